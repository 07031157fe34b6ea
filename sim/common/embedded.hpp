// Data files compiled into the binary (cmake/embed.cmake): locks/*.lock, protocols/*.table and
// the machine presets configs/machines/*.yaml,
// keyed by file stem ("ticket", "mesi").
#pragma once
#include <map>
#include <string>

namespace lockstep::embedded {
const std::map<std::string, std::string>& locks();
const std::map<std::string, std::string>& protocols();
const std::map<std::string, std::string>& machines();  // configs/machines/*.yaml: `extends: bus16`
}  // namespace lockstep::embedded

// Data files compiled into the binary (cmake/embed.cmake): locks/*.lock and protocols/*.table,
// keyed by file stem ("ticket", "mesi").
#pragma once
#include <map>
#include <string>

namespace lockstep::embedded {
const std::map<std::string, std::string>& locks();
const std::map<std::string, std::string>& protocols();
}  // namespace lockstep::embedded

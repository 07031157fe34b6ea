// Finds and assembles the lock a workload names: a built-in (locks/*.lock, embedded at
// build) or a path to a .lock file (relative to the experiment file's folder, then to the
// current directory).
#pragma once
#include <string>
#include <vector>

#include "config/config.hpp"
#include "isa/program.hpp"

namespace lockstep::workload {

std::vector<std::string> builtin_locks();               // sorted names
std::string lock_source(const std::string& name_or_path, const std::string& base_dir,
                        std::string* file_out);          // throws InputError naming the nearest built-in
// Assembles point.workload.lock for point.workload.threads threads with lock_params applied.
isa::Program load_lock(const config::Point& point);

}  // namespace lockstep::workload

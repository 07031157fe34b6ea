// Lock lookup: built-in names first (locks/*.lock compiled in by cmake/embed.cmake), then
// files. A built-in wins over a same-named file in the working directory, so an experiment
// that says `lock: mcs` means the same lock on every machine.
#include "workload/lock_library.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/embedded.hpp"
#include "common/error.hpp"
#include "common/input_file.hpp"

namespace lockstep::workload {

namespace fs = std::filesystem;

std::vector<std::string> builtin_locks() {
  std::vector<std::string> names;
  for (const auto& [stem, _] : embedded::locks()) names.push_back(stem);  // std::map: sorted
  return names;
}


std::string lock_source(const std::string& name_or_path, const std::string& base_dir, std::string* file_out) {
  const auto& builtins = embedded::locks();
  auto it = builtins.find(name_or_path);
  if (it != builtins.end()) {
    if (file_out) *file_out = "builtin:" + name_or_path;
    return it->second;
  }
  std::string text;
  fs::path p(name_or_path);
  // A relative path is relative to the experiment file first, then to the working directory.
  std::vector<fs::path> tries;
  if (p.is_relative() && !base_dir.empty()) tries.push_back(fs::path(base_dir) / p);
  tries.push_back(p);
  for (const auto& t : tries) {
    std::error_code ec;
    if (!fs::exists(t, ec)) continue;
    // A directory, a device or a huge file is not "no such file": say what it is.
    if (std::string why = read_input_file(t.string(), text); !why.empty())
      throw InputError("workload.lock: '" + t.string() + "' " + why);
    if (file_out) *file_out = t.string();
    return text;
  }
  std::string msg = "unknown lock '" + name_or_path + "': not a built-in lock and no such file";
  std::string near = nearest(fs::path(name_or_path).stem().string(), builtin_locks());
  if (!near.empty()) msg += " (did you mean '" + near + "'?)";
  throw InputError(msg);
}

isa::Program load_lock(const config::Point& point) {
  std::string file;
  std::string text = lock_source(point.workload.lock, point.base_dir, &file);
  isa::AssembleOptions opt;
  opt.file = file;
  opt.ncpu = point.workload.threads > 0 ? point.workload.threads : point.machine.cores;
  // Interrupt handlers that take the lock are lock users of their own (tid threads + core).
  if (point.machine.interrupts.handler_takes_lock) opt.ncpu += point.machine.cores;
  opt.line_bytes = point.machine.l1.line_bytes;
  // Parameters the lock does not declare: named at their YAML line, with the nearest one.
  std::vector<std::string> declared;
  for (const auto& [name, value] : isa::assemble(text, opt).params) declared.push_back(name);
  for (const auto& [name, value] : point.workload.lock_params) {
    if (std::find(declared.begin(), declared.end(), name) != declared.end()) continue;
    auto at = point.lock_param_locs.find(name);
    std::string msg = "workload.lock_params: lock '" + point.workload.lock + "' has no parameter '" + name + "'";
    const std::string near = nearest(name, declared);
    if (!near.empty()) msg += " (did you mean '" + near + "'?)";
    if (declared.empty()) msg += "; it has no parameters";
    else if (near.empty()) {
      msg += "; its parameters:";
      for (size_t i = 0; i < declared.size(); ++i) msg += (i ? ", " : " ") + declared[i];
    }
    throw InputError(at == point.lock_param_locs.end() ? msg : at->second + ": " + msg);
  }
  opt.params = point.workload.lock_params;
  return isa::assemble(text, opt);
}

}  // namespace lockstep::workload

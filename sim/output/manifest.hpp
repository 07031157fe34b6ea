// DIR/manifest.json: the host-side facts of a run (DESIGN.md §5), kept out of stats.json so
// that stats.json stays byte-identical across hosts and runs.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lockstep::output {

inline constexpr const char* kVersion = "0.1.0";
inline constexpr const char* kManifestSchema = "lockstep.manifest/1";

struct HostInfo {
  std::string hostname;
  std::string cpu_model;   // "model name" of /proc/cpuinfo ("" when unknown)
  unsigned nproc = 0;
};

HostInfo host_info();

// The git revision of the source tree the running binary was built in: `git rev-parse HEAD`
// run in the directory of the executable (build folders live inside the checkout).
// "unknown" when that fails (installed binary, no git); computed once.
std::string git_revision();

// argv joined by spaces, each argument quoted for a POSIX shell when it needs it.
std::string command_line(const std::vector<std::string>& argv);

struct ManifestInfo {
  std::string experiment;               // experiment name
  std::string experiment_file;
  std::vector<std::string> argv;        // the full command line
  double wall_seconds = 0;
  int jobs = 1;
  int shard_index = 0, shard_count = 1;
  std::vector<std::string> points;      // points run, in index order
};

nlohmann::ordered_json manifest_json(const ManifestInfo& info);

}  // namespace lockstep::output

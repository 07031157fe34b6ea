#include "run/check_points.hpp"

#include <set>
#include <string>

#include "common/error.hpp"
#include "run/machine.hpp"

namespace lockstep::sim {

namespace {

// What construction depends on: the machine and the workload's lock, threads and critical
// section (not the counts of acquisitions or the outside work, which a sweep often varies).
std::string build_key(const config::Point& p) {
  if (!p.resolved) return std::to_string(p.index);
  nlohmann::json key = nlohmann::json::object();
  if (p.resolved->contains("machine")) key["machine"] = (*p.resolved)["machine"];
  if (p.resolved->contains("workload")) {
    nlohmann::json w = (*p.resolved)["workload"];
    for (const char* k : {"acquisitions_per_thread", "warmup_acquisitions", "outside", "duration_cycles"}) w.erase(k);
    key["workload"] = w;
  }
  return key.dump();
}

}  // namespace

void check_points(const config::Experiment& ex, const std::vector<size_t>& which) {
  std::set<std::string> built;
  for (size_t i : which) {
    const config::Point& p = ex.points[i];
    if (!built.insert(build_key(p)).second) continue;
    try {
      Machine m(p);
    } catch (const InputError& e) {
      std::string msg = e.what();
      if (ex.points.size() > 1) msg += " (point " + p.name + ")";
      throw InputError(config::locate_error(ex, i, msg));
    }
  }
}

}  // namespace lockstep::sim

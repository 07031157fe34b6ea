// Host-speed benchmarks of the simulator (never timed unit tests): each case runs a fixed
// workload with fast-forward on and off and reports host seconds, engine events per host
// second and simulated acquisitions per host second. `lockstep bench` and the
// `lockstep_bench` target both print this table; docs/performance.md records it.
#pragma once
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace lockstep::sim {

struct BenchCase {
  std::string name;
  std::string lock;
  int cores;
  int64_t total_acquisitions;
  std::string protocol = "MESI";
  std::string coherence = "snoop";
  std::string topology = "bus";
  int width = 0, height = 0;  // mesh
  bool with_ff_off = true;    // also run with fast-forward off (not for the scale cases: 4,096 spinning cores)
};

std::vector<BenchCase> bench_cases(bool quick);
// Runs the cases whose name contains `filter` ("" = all); prints one row per case and mode.
void run_bench(const std::vector<BenchCase>& cases, const std::string& filter, std::ostream& out);

}  // namespace lockstep::sim

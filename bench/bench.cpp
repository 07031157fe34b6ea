// lockstep_bench: host-time figures for the simulator (issue: benchmark, not a timed test).
//   lockstep_bench [--quick]
// For each case: host seconds, engine events per host second, acquisitions per host second,
// with fast-forward on and off. Results go to stdout as a table (docs/performance.md).
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "run/machine.hpp"

using namespace lockstep;

namespace {
struct Case {
  const char* name;
  const char* lock;
  int cores;
  int64_t total_acquisitions;
  std::string protocol = "MESI";
  std::string coherence = "snoop";
  std::string topology = "bus";
};

config::Point point(const Case& c, bool ff) {
  config::Point p;
  p.name = c.name;
  p.machine.cores = c.cores;
  p.machine.protocol = c.protocol;
  p.machine.coherence = c.coherence;
  p.machine.interconnect.topology = c.topology;
  if (c.topology == "mesh") { p.machine.interconnect.width = 8; p.machine.interconnect.height = c.cores / 8; }
  p.workload.lock = c.lock;
  p.workload.threads = c.cores;
  p.workload.acquisitions_per_thread = c.total_acquisitions / c.cores;
  p.workload.warmup_acquisitions = 0;
  p.run.fast_forward = ff;
  return p;
}
}  // namespace

int main(int argc, char** argv) {
  bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  std::vector<Case> cases = {
      {"ticket-32-bus", "ticket", 32, quick ? 10000 : 100000},
      {"mcs-64-bus", "mcs", 64, quick ? 10000 : 100000},
  };
  std::printf("%-16s %-4s %10s %12s %14s %14s %12s\n", "case", "ff", "host_s", "events", "events/s", "acq/s", "sim_cycles");
  for (const auto& c : cases) {
    for (bool ff : {true, false}) {
      auto p = point(c, ff);
      auto t0 = std::chrono::steady_clock::now();
      sim::Machine m(p);
      auto s = m.run();
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::printf("%-16s %-4s %10.3f %12llu %14.0f %14.0f %12llu\n", c.name, ff ? "on" : "off", secs,
                  (unsigned long long)s.events, double(s.events) / secs, double(s.acquisitions) / secs,
                  (unsigned long long)s.cycles);
    }
  }
  return 0;
}

#include "run/bench.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include <sys/resource.h>

#include "run/machine.hpp"

namespace lockstep::sim {

std::vector<BenchCase> bench_cases(bool quick) {
  int64_t k = quick ? 10 : 1;  // --quick: a tenth of the work, for a smoke run
  std::vector<BenchCase> v;
  v.push_back({"ticket-32-bus", "ticket", 32, 100000 / k});
  v.push_back({"mcs-64-bus", "mcs", 64, 100000 / k});
  // Directory coherence over a contended 8x8 mesh (issue 3: 10^6 acquisitions in <= 10 s).
  v.push_back({"mcs-64-mesh-moesi", "mcs", 64, 1000000 / k, "MOESI", "directory", "mesh", 8, 8});
  // Scale (issue 11): host time per coherence transaction from 16 to 4,096 cores.
  v.push_back({"mcs-16-bus", "mcs", 16, 40960 / k, "MESI", "snoop", "bus", 0, 0, false});
  v.push_back({"mcs-4096-bus", "mcs", 4096, 40960 / k, "MESI", "snoop", "bus", 0, 0, false});
  v.push_back({"ticket-1024-bus", "ticket", 1024, 2048 / k, "MESI", "snoop", "bus", 0, 0, false});
  return v;
}

void run_bench(const std::vector<BenchCase>& cases, const std::string& filter, std::ostream& out) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%-22s %-4s %9s %12s %12s %12s %12s %13s %9s %9s\n", "case", "ff", "host_s", "events",
                "events/s", "acq/s", "msgs/s", "sim_cycles", "us/txn", "rss_MiB");
  out << buf;
  for (const auto& c : cases) {
    if (!filter.empty() && c.name.find(filter) == std::string::npos) continue;
    for (bool ff : {true, false}) {
      if (!ff && !c.with_ff_off) continue;
      config::Point p;
      p.name = c.name;
      p.machine.cores = c.cores;
      p.machine.protocol = c.protocol;
      p.machine.coherence = c.coherence;
      p.machine.interconnect.topology = c.topology;
      p.machine.interconnect.width = c.width;
      p.machine.interconnect.height = c.height;
      p.workload.lock = c.lock;
      p.workload.threads = c.cores;
      p.workload.acquisitions_per_thread = std::max<int64_t>(1, c.total_acquisitions / c.cores);
      p.workload.warmup_acquisitions = 0;
      p.run.fast_forward = ff;
      auto t0 = std::chrono::steady_clock::now();
      Machine m(p);
      auto t1 = std::chrono::steady_clock::now();
      auto s = m.run();
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      double run_secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
      // A coherence transaction: a bus tenure (snoop) or a request (directory). us/txn is the
      // run's host time per transaction, without building the machine (host_s includes it).
      uint64_t txns = c.coherence == "snoop" ? s.coherence.bus_transactions : s.coherence.gets + s.coherence.getm;
      struct rusage ru {};
      getrusage(RUSAGE_SELF, &ru);  // peak so far in this process (cases run in order)
      std::snprintf(buf, sizeof buf, "%-22s %-4s %9.3f %12llu %12.0f %12.0f %12.0f %13llu %9.3f %9.1f\n", c.name.c_str(),
                    ff ? "on" : "off", secs, (unsigned long long)s.events, double(s.events) / secs,
                    double(s.acquisitions) / secs, double(s.coherence.messages) / secs, (unsigned long long)s.cycles,
                    txns ? run_secs * 1e6 / double(txns) : 0.0, double(ru.ru_maxrss) / 1024.0);
      out << buf << std::flush;
    }
  }
}

}  // namespace lockstep::sim

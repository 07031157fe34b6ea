#include "run/bench.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include <sys/resource.h>

#include "run/machine.hpp"

namespace lockstep::sim {

namespace {
double cpu_seconds() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}
}  // namespace

std::vector<BenchCase> bench_cases(bool quick) {
  int64_t k = quick ? 10 : 1;  // --quick: a tenth of the work, for a smoke run
  std::vector<BenchCase> v;
  v.push_back({"ticket-32-bus", "ticket", 32, 100000 / k});
  v.push_back({"mcs-64-bus", "mcs", 64, 100000 / k});
  // Directory coherence over a contended 8x8 mesh (issue 3: 10^6 acquisitions in <= 10 s).
  v.push_back({"mcs-64-mesh-moesi", "mcs", 64, 1000000 / k, "MOESI", "directory", "mesh", 8, 8});
  // Scale (issue 11): host time per coherence transaction from 16 to 4,096 cores, bus and
  // 64x64 mesh. MCS: at least 40 acquisitions per thread (40,960 in all below 1,024 cores),
  // so that the first touch of each core's lines is not most of the run; ticket: 2 per
  // thread at 1,024 cores (each release makes N-1 invalidations and N-1 re-reads).
  for (int n : {16, 256, 1024, 4096}) {  // 64 cores: case (b) above
    const int64_t total = std::max<int64_t>(40960, int64_t(40) * n) / k;
    v.push_back({"mcs-" + std::to_string(n) + "-bus", "mcs", n, total, "MESI", "snoop", "bus", 0, 0, false});
  }
  for (int n : {16, 64, 256, 1024})
    v.push_back({"ticket-" + std::to_string(n) + "-bus", "ticket", n, std::max(2048, 2 * n) / k, "MESI", "snoop", "bus", 0,
                 0, false});
  for (int w : {8, 16, 32, 64}) {
    const int n = w * w;
    const std::string shape = std::to_string(w) + "x" + std::to_string(w);
    v.push_back({"mcs-" + std::to_string(n) + "-mesh" + shape, "mcs", n, std::max<int64_t>(40960, int64_t(10) * n) / k,
                 "MESI", "directory", "mesh", w, w, false});
  }
  return v;
}

void run_bench(const std::vector<BenchCase>& cases, const std::string& filter, std::ostream& out) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%-22s %-4s %9s %12s %12s %12s %12s %13s %9s %9s %10s %11s\n", "case", "ff", "host_s",
                "events", "events/s", "acq/s", "msgs/s", "sim_cycles", "us/txn", "rss_MiB", "txns", "cpu_us/txn");
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
      const double cpu0 = cpu_seconds();
      auto s = m.run();
      const double cpu_run = cpu_seconds() - cpu0;
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      double run_secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
      // A coherence transaction: a bus tenure (snoop) or a network message (directory). us/txn
      // is the run's host time per transaction, without building the machine (host_s
      // includes it); cpu_us/txn the same in CPU time (user + system) of this process, which
      // other work on a shared machine disturbs less.
      uint64_t txns = c.coherence == "snoop" ? s.coherence.bus_transactions : s.coherence.messages;
      struct rusage ru {};
      getrusage(RUSAGE_SELF, &ru);  // peak so far in this process (cases run in order)
      std::snprintf(buf, sizeof buf, "%-22s %-4s %9.3f %12llu %12.0f %12.0f %12.0f %13llu %9.3f %9.1f %10llu %11.3f\n",
                    c.name.c_str(), ff ? "on" : "off", secs, (unsigned long long)s.events, double(s.events) / secs,
                    double(s.acquisitions) / secs, double(s.coherence.messages) / secs, (unsigned long long)s.cycles,
                    txns ? run_secs * 1e6 / double(txns) : 0.0, double(ru.ru_maxrss) / 1024.0,
                    (unsigned long long)txns, txns ? cpu_run * 1e6 / double(txns) : 0.0);
      out << buf << std::flush;
    }
  }
}

}  // namespace lockstep::sim

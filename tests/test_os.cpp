// The OS model (sim/os, docs/os.md): more threads than cores, park/wake/yield/owner_running,
// context switches, hypervisor preemption, and the locks built on them (futex_mutex,
// adaptive_mutex, qspinlock_pv). Cycle counts are derived by hand from the os defaults:
// park 900, wake 1500, wakeup latency 15000, context switch 6000, ALU 1.
#include <doctest/doctest.h>

#include <algorithm>
#include <sstream>

#include "common/error.hpp"
#include "observe/event.hpp"
#include "cli_helpers.hpp"
#include "sim_helpers.hpp"

using namespace lockstep;

namespace {

stats::Point run(const config::Point& p) {
  sim::Machine m(p);
  return m.run();
}

// Everything deterministic a point reports, OS figures included.
std::string figures(const stats::Point& s) {
  std::ostringstream o;
  o << s.cycles << " " << s.acquisitions << " " << s.handoff.count() << " " << s.handoff.mean() << " "
    << s.coherence.bus_transactions << " " << s.coherence.invalidations << " " << s.preemptions.holder << " "
    << s.preemptions.waiter << " " << s.preemptions.other;
  for (auto& c : s.per_core)
    o << " | " << c.acquisitions << " " << c.micro_ops << " " << c.l1_hits << " " << c.l1_misses << " "
      << c.cycles_acquiring << " " << c.cycles_in_cs << " " << c.cycles_spinning << " " << c.cycles_parked << " "
      << c.context_switches << " " << c.wakeups << " " << c.cycles_on_cpu;
  return o.str();
}

// `threads` threads on `cores` cores, a short timeslice so that the runs stay small.
config::Point oversubscribed(const std::string& lock, int cores, int threads, int64_t acq = 20) {
  auto p = testing::point(cores, lock, acq, 4);
  p.workload.threads = threads;
  p.workload.critical_section = {200, 1, 1};
  p.workload.outside = {"exponential", 0, 0, 0, 400};
  p.os.timeslice_cycles = 30000;
  return p;
}

uint64_t cpu_cycles(const stats::Point& s) {
  uint64_t n = 0;
  for (auto& c : s.per_core) n += c.cycles_on_cpu;
  return n;
}

const char* kParkWake = R"(lock parkwake
capacity 2
.shared flag
.percpu t 1
acquire:
  bne   tid, 0, waker
  park  [flag], 0          # thread 0: flag is 0, so it sleeps
  now   r3                 # first op after it is switched in again
  st    [t], r3
  ret
waker:
  work  5000
  st    [flag], 1
  now   r2                 # the wake runs one cycle later
  wake  [flag], 1
  st    [t], r2
  ret
release:
  ret
)";

}  // namespace

TEST_CASE("a park/wake pair on 2 cores: the sleeper resumes wakeup latency + one context switch after the wake") {
  testing::Directed d(2, kParkWake);
  const uint64_t woke = d.word("t", 0), waker_now = d.word("t", 64);
  const uint64_t wake_at = waker_now + 1;
  CHECK(woke == wake_at + 15000 + 6000);
  const auto& sleeper = d.s.per_core[0];
  // It parked at cycle 1 (after one ALU op) and left its core 900 cycles later; it was off
  // the CPU until switched in at wake + latency.
  CHECK(sleeper.cycles_parked == wake_at + 15000 - 901);
  CHECK(sleeper.context_switches == 1);
  CHECK(sleeper.wakeups == 1);
  CHECK(sleeper.cycles_spinning == sleeper.cycles_acquiring - sleeper.cycles_parked);
  // On a CPU until its release returned: two ALU cycles after the acquire (the empty
  // critical section's ret, then release's ret), minus the time off it.
  CHECK(sleeper.cycles_on_cpu == sleeper.cycles_acquiring + 2 - sleeper.cycles_parked);
  const auto& waker = d.s.per_core[1];
  CHECK(waker.context_switches == 0);
  CHECK(waker.wakeups == 0);
  CHECK(waker.cycles_parked == 0);
  CHECK(waker.cycles_spinning == waker.cycles_acquiring);
}

TEST_CASE("a failed futex wait costs exactly park_cycles and returns") {
  testing::Directed d(1, R"(lock failed
.shared flag
.array out 2 packed
acquire:
  now   r1
  park  [flag], 7          # flag is 0, not 7: returns at once
  now   r2
  st    [out], r1
  st    [out + 8], r2
  ret
release:
  ret
)");
  CHECK(d.word("out", 8) - d.word("out") == 1 + 900);
  CHECK(d.s.per_core[0].context_switches == 0);
  CHECK(d.s.per_core[0].cycles_parked == 0);
}

TEST_CASE("owner_running: 1 while the thread is on a core, 0 once it has parked and left it") {
  testing::Directed d(2, R"(lock owner
capacity 2
.shared flag
.array out 2 packed
acquire:
  bne   tid, 0, watcher
  park  [flag], 0          # thread 0 parks at cycle 1 and leaves its core at 901
  ret
watcher:
  li    r4, 0
  owner_running r1, r4     # cycle 2: thread 0 is still paying its park on core 0
  work  3000
  owner_running r2, r4     # cycle 3000+: it has left
  st    [out], r1
  st    [out + 8], r2
  st    [flag], 1
  wake  [flag], 1
  ret
release:
  ret
)");
  CHECK(d.word("out") == 1);
  CHECK(d.word("out", 8) == 0);
}

TEST_CASE("every thread parked with no one left to wake it: exit 4 naming the word each waits on") {
  std::string msg;
  try {
    testing::Directed d(2, R"(lock stuck
capacity 2
.shared flag
acquire:
  park  [flag], 0
  ret
release:
  ret
)");
  } catch (const NoProgressError& e) {
    msg = e.what();
  }
  CHECK(msg.find("no progress: deadlock at cycle 900") != std::string::npos);
  CHECK(msg.find("every thread that has not finished is parked") != std::string::npos);
  CHECK(msg.find("thread 0: parked on [flag] (futex wait since cycle 900)") != std::string::npos);
  CHECK(msg.find("thread 1: parked on [flag] (futex wait since cycle 900)") != std::string::npos);
}

#ifdef LOCKSTEP_BINARY
TEST_CASE("the command: a parked deadlock exits 4, conflicting thread counts exit 2") {
  testing::TempDir dir;
  dir.write("stuck.lock", "lock stuck\ncapacity 2\n.shared flag\nacquire:\n  park [flag], 0\n  ret\nrelease:\n  ret\n");
  const std::string yaml = dir.write("x.yaml", "machine: {cores: 2}\nworkload: {lock: stuck.lock, acquisitions_per_thread: 1}\n");
  auto r = testing::lockstep("run '" + yaml + "' -o '" + (dir.path / "out").string() + "'");
  CHECK(r.status == 4);
  CHECK(r.err.find("thread 1: parked on [flag]") != std::string::npos);
  const std::string bad = dir.write("bad.yaml", "machine: {cores: 2}\nworkload: {threads: 4}\nos: {threads: 3}\n");
  r = testing::lockstep("run '" + bad + "' -o '" + (dir.path / "out2").string() + "'");
  CHECK(r.status == 2);
  CHECK(r.err.find("bad.yaml:3:") != std::string::npos);
  CHECK(r.err.find("os.threads (3) and workload.threads (4) differ") != std::string::npos);
}

TEST_CASE("natively: park/wake are real futex calls, owner_running a per-thread flag (2 threads, no lost update)") {
  testing::TempDir dir;
  const std::string yaml = dir.write("n.yaml",
                                     "machine: {cores: 2}\n"
                                     "workload: {acquisitions_per_thread: 3000, warmup_acquisitions: 10,\n"
                                     "           critical_section: {cycles: 100, lines_written: 1}}\n"
                                     "sweep: {workload.lock: [futex_mutex, adaptive_mutex, qspinlock_pv]}\n");
  auto r = testing::lockstep("native run '" + yaml + "' -o '" + (dir.path / "out").string() + "'");
  CAPTURE(r.err);
  CHECK(r.status == 0);
  const std::string csv = testing::slurp(dir.path / "out" / "summary.csv");
  // The runner checks mutual exclusion and the critical section's counter (exit 3 otherwise).
  for (const char* l : {"futex_mutex,", "adaptive_mutex,", "qspinlock_pv,"}) {
    const size_t at = csv.find(l);
    REQUIRE(at != std::string::npos);
    const std::string row = csv.substr(at, csv.find('\n', at) - at);
    CHECK(row.find(",6000,") != std::string::npos);  // 2 threads x 3,000 measured acquisitions
  }
}
#endif

TEST_CASE("twice as many threads as cores: every lock keeps mutual exclusion, every thread finishes") {
  for (const char* lock : {"futex_mutex", "adaptive_mutex", "qspinlock_pv", "ttas", "ticket", "mcs", "qspinlock"}) {
    for (int cores : {2, 4}) {
      CAPTURE(lock);
      CAPTURE(cores);
      auto p = oversubscribed(lock, cores, 2 * cores);
      stats::Point s;
      CHECK_NOTHROW(s = run(p));  // a violation throws; so does a lost critical-section update
      CHECK(s.acquisitions == uint64_t(20 * 2 * cores));
      CHECK(s.per_core.size() == size_t(2 * cores));
      uint64_t sum = 0;
      for (auto& c : s.per_core) {
        CHECK(c.acquisitions <= 24);  // 4 warm-up + 20 each; the warm-up ends on a global count
        sum += c.acquisitions;
      }
      CHECK(sum == s.acquisitions);
      // Never more CPU time than the cores have: at most cores x the window.
      CHECK(cpu_cycles(s) <= uint64_t(cores) * s.cycles);
    }
  }
}

TEST_CASE("time-window mode with the OS model: the figures stop at the close, CPU time within the cores") {
  for (const char* lock : {"futex_mutex", "adaptive_mutex", "ttas"}) {
    CAPTURE(lock);
    auto p = oversubscribed(lock, 2, 6, 1);
    p.workload.duration_cycles = 200000;
    p.os.preemption = {50000, 5000};
    auto s = run(p);
    CHECK(s.cycles == 200000);
    CHECK(s.acquisitions > 50);
    uint64_t on = cpu_cycles(s), parked = 0;
    for (auto& c : s.per_core) parked += c.cycles_parked;
    CHECK(on <= 2 * 200000);
    CHECK(on + parked <= 6 * 200000);  // a thread is on a CPU or parked, never both
    p.run.fast_forward = false;
    CHECK(figures(run(p)) == figures(s));
  }
}

TEST_CASE("with the OS model fast-forward on and off still give identical figures") {
  for (const char* lock : {"futex_mutex", "adaptive_mutex", "qspinlock_pv", "ttas", "mcs"}) {
    CAPTURE(lock);
    auto p = oversubscribed(lock, 2, 4, 15);
    p.os.preemption = {20000, 3000};
    auto on = run(p);
    p.run.fast_forward = false;
    auto off = run(p);
    CHECK(figures(on) == figures(off));
  }
}

TEST_CASE("oversubscribed (threads = 2 x cores): futex_mutex burns less CPU per acquisition than ttas") {
  auto cpu_per_acq = [](const char* lock) {
    auto p = oversubscribed(lock, 4, 8, 30);
    p.workload.critical_section = {2000, 1, 1};
    auto s = run(p);
    return double(cpu_cycles(s)) / double(s.acquisitions);
  };
  const double futex = cpu_per_acq("futex_mutex"), ttas = cpu_per_acq("ttas");
  CAPTURE(futex);
  CAPTURE(ttas);
  CHECK(futex < ttas);
  // ttas keeps all 4 cores busy (spinning) for every 2,000-cycle critical section: >= 4 x 2,000.
  CHECK(ttas > 4 * 2000);
}

TEST_CASE("without the OS model nothing switches and the CPU time is the run time of each thread") {
  auto p = testing::point(4, "ticket", 30, 5);
  auto s = run(p);
  for (auto& c : s.per_core) {
    CHECK(c.context_switches == 0);
    CHECK(c.cycles_parked == 0);
    CHECK(c.cycles_spinning == c.cycles_acquiring);
    CHECK(c.cycles_on_cpu > 0);
    CHECK(c.cycles_on_cpu <= s.cycles);
  }
  CHECK(s.preemptions.holder + s.preemptions.waiter + s.preemptions.other == 0);
}

TEST_CASE("hypervisor preemption hits holders, waiters and others; the fair ticket lock suffers most") {
  auto run_with = [](const char* lock, bool preempt) {
    auto p = testing::point(4, lock, 60, 5);
    p.workload.critical_section = {300, 1, 1};
    p.workload.outside = {"exponential", 0, 0, 0, 300};
    if (preempt) p.os.preemption = {20000, 10000};
    return run(p);
  };
  auto t0 = run_with("ticket", false), t1 = run_with("ticket", true);
  auto a0 = run_with("tas", false), a1 = run_with("tas", true);
  CHECK(t1.preemptions.holder > 0);
  CHECK(t1.preemptions.waiter > 0);
  CHECK(t1.preemptions.other > 0);
  CHECK(t0.preemptions.holder + t0.preemptions.waiter + t0.preemptions.other == 0);
  const double ticket_slowdown = double(t1.cycles) / double(t0.cycles);
  const double tas_slowdown = double(a1.cycles) / double(a0.cycles);
  CAPTURE(ticket_slowdown);
  CAPTURE(tas_slowdown);
  CHECK(ticket_slowdown > tas_slowdown);
}

TEST_CASE("same seed, same figures with threads > cores and preemption") {
  auto p = oversubscribed("adaptive_mutex", 2, 5, 15);
  p.os.preemption = {30000, 5000};
  CHECK(figures(run(p)) == figures(run(p)));
  auto q = p;
  q.seed = 99;
  CHECK(figures(run(p)) != figures(run(q)));
}

TEST_CASE("futex_sem: k holders at once with twice as many threads as cores; no system call while a server is free") {
  struct Holders : observe::Observer {
    int now = 0, most = 0;
    void on(const observe::Event& e) override {
      if (e.kind == observe::Ev::AcquireReturn && e.arg) most = std::max(most, ++now);
      else if (e.kind == observe::Ev::ReleaseCall) --now;
    }
  };
  for (int k : {1, 2, 3}) {
    CAPTURE(k);
    auto p = oversubscribed("futex_sem", 4, 8);
    p.workload.lock_params = {{"k", k}};
    p.workload.critical_section = {2000, 0, 0};  // no shared line: k holders may overlap
    sim::Machine m(p);
    CHECK(m.lock().capacity == k);
    Holders h;
    m.subscribe(&h);
    auto s = m.run();  // throws on more than k holders
    CHECK(s.acquisitions == 160);
    CHECK(h.most == k);
    uint64_t wakeups = 0;
    for (auto& c : s.per_core) wakeups += c.wakeups;
    CHECK(wakeups > 0);  // full servers: waiters slept and were woken
  }
  // As many servers as threads: nobody ever finds the count at 0, so no thread parks, no
  // release wakes, no thread leaves its core.
  auto p = testing::point(4, "futex_sem", 20, 2);
  p.workload.lock_params = {{"k", 4}};
  p.workload.critical_section = {2000, 0, 0};
  auto s = run(p);
  CHECK(s.acquisitions == 80);
  for (auto& c : s.per_core) {
    CHECK(c.wakeups == 0);
    CHECK(c.context_switches == 0);
    CHECK(c.cycles_parked == 0);
  }
}

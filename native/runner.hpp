// Runs one experiment point on this machine's cores: the assembled lock program (or a
// hand-written version of it) on one pinned OS thread per workload thread, with the
// simulator's harness loop around it, and returns the same kind of stats::Point the
// simulator returns (times in core cycles at machine.clock_ghz instead of counts).
// Throws InputError (bad program, too many threads), CorrectnessError (mutual exclusion
// violated: exit 3), NoProgressError (no acquisition for watchdog_seconds: exit 4).
#pragma once
#include <string>

#include "config/config.hpp"
#include "interpreter.hpp"
#include "isa/program.hpp"
#include "stats/stats.hpp"

namespace lockstep::native {

// throughput: only the lock and the critical section run on every acquisition; timestamps,
//   the holder count and the per-acquisition record are taken on every k-th acquisition
//   (k chosen so they cost under 5% of an uncontended acquire+release, see choose_sampling);
//   mutual exclusion is checked on every acquisition by an ownership tag in the critical
//   section's line (its cost is measured and reported) and exactly at the end (the
//   critical sections' counter). Handoff, reacquires and lockstat are not measured (null).
// latency: every acquisition timestamped (acquire call/return, release call/return), for
//   the handoff / wait / hold / release distributions and lockstat.
enum class Measure { Throughput, Latency };

struct NativeOptions {
  Measure measure = Measure::Throughput;
  int sample_every = 0;            // throughput: 0 = chosen by measurement; latency: always 1
  double clock_ghz = 0;            // core clock ticks are converted at; 0 = machine.clock_ghz
  double watchdog_seconds = 5;     // no acquisition by any thread for this long -> exit 4
  bool oversubscribe = false;      // allow more threads than usable CPUs
  bool handwritten = false;        // run native/handwritten's C++ lock instead of the program
  bool pin = true;
  bool perf = true;                // hardware counters via perf_event_open, where it works
  Order order = Order::SeqCst;     // plain ld/st ordering
};

// How throughput mode picks k: the cost of one sampled record (four serialised timestamps,
// two holder read-modify-writes, one record) against the cost of one uncontended
// acquire+release of the same lock, both timed on this thread before the run.
struct Sampling {
  int every = 1;                   // k
  double record_ns = 0;            // one sampled record's extra cost
  double pair_ns = 0;              // one uncontended acquire + release
  double check_ns = 0;             // the per-acquisition ownership check
  double overhead() const { return pair_ns > 0 ? (record_ns / every + check_ns) / pair_ns : 0; }
};
// k = ceil(record_ns / budget), budget = 0.05 * pair_ns - check_ns (at least 0.025 *
// pair_ns), so that record_ns / k + check_ns <= 5% of pair_ns; at least 1, at most 4096.
int sample_every_for(double record_ns, double pair_ns, double check_ns = 0);

// Loads point.workload.lock (workload::load_lock) and runs it.
stats::Point run_native(const config::Point& point, const NativeOptions& opt = {});

// Runs an already assembled program (tests, and run_native).
stats::Point run_native_program(const isa::Program& prog, const config::Point& point,
                                const NativeOptions& opt = {});

// Runs a single thread's `init` (if any) then `acquire` and `release` once each, and
// returns the final registers and arena words: the single-thread equivalence check against
// the simulator. Words holding arena addresses are rebased to offsets from the arena start
// (so they compare with the simulator's addresses up to its arena base).
struct SingleThreadResult {
  uint64_t regs[16] = {};
  std::vector<uint64_t> words;     // arena as u64 words
  uint64_t micro_ops = 0;
};
SingleThreadResult run_single_thread(const isa::Program& prog, int calls = 1, uint64_t seed = 1);

}  // namespace lockstep::native

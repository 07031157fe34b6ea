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

struct NativeOptions {
  double watchdog_seconds = 5;     // no acquisition by any thread for this long -> exit 4
  bool oversubscribe = false;      // allow more threads than usable CPUs
  bool handwritten = false;        // run native/handwritten's C++ lock instead of the program
  bool pin = true;
  bool perf = true;                // hardware counters via perf_event_open, where it works
  Order order = Order::SeqCst;     // plain ld/st ordering
};

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

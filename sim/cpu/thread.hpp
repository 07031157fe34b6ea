// A software thread (DESIGN.md §3 "Cores and threads are separate things"): everything a
// program needs to run — its contexts (registers, pc, call stack), where it is in the
// harness loop, its random streams and its per-thread counters. A Core executes whichever
// thread it is given; without an OS model each core runs one thread for the whole run.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "common/splitmix.hpp"
#include "engine/engine.hpp"
#include "isa/program.hpp"
#include "stats/stats.hpp"

namespace lockstep::cpu {

using Regs = std::array<uint64_t, 16>;

// One program being executed: the lock (registers persist across calls) or the harness's
// critical-section code (its own scratch registers).
struct Context {
  const isa::Program* prog = nullptr;
  uint64_t base = 0;  // where its variables start
  Regs regs{};
};

// Where a thread is in the harness loop: acquire -> critical section -> release -> outside.
enum class Phase : uint8_t { Idle, Acquire, CS, Release, Outside, Done };

struct Thread {
  int id = 0;
  Context lock, cs;
  Context* ctx = nullptr;      // the context running now
  int pc = 0;
  std::vector<int> stack;      // return addresses of `call`
  Phase phase = Phase::Idle;
  int64_t iterations_left = 0; // quota mode: acquisitions still to do (warm-up included)
  SplitMix64 rng, outside_rng;
  stats::PerCore ctr;
  Cycle acquire_start = 0, acquired_at = 0;
  int wait_line = 0;           // .lock line of the first wait loop of this acquire (0: none)
  bool retrying = false;       // the last acquire failed: the next call is a retry of the same acquisition
  bool reading = false;        // reader-writer locks: this acquisition is a read
  SplitMix64 rw_rng;           // reader-writer locks: read or write, per acquisition
  // workload.irqsave: the harness's irq_save before acquire / irq_restore after release,
  // executed by the core as one micro-op each; irq_flags is what the save returned.
  bool irq_save_pending = false, irq_restore_pending = false;
  uint64_t irq_flags = 1;
  // The OS model (sim/os): the core it is on (-1: off CPU) and its CPU-time bookkeeping.
  int core = -1;
  Cycle on_cpu_since = 0;      // when it last got a core
  Cycle off_since = 0;         // when it last left one
  Cycle acquire_off_cpu = 0;   // off-CPU cycles in the current acquire (from the warm-up reset on)

  void call(Context& c, int entry) {
    ctx = &c;
    pc = entry;
    stack.clear();
  }
};

}  // namespace lockstep::cpu

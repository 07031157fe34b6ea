// The workload around a lock (DESIGN.md §4): every thread repeats
//   acquire -> critical section -> release -> outside work
// and the harness watches it: mutual exclusion (at most `capacity` holders, exit 3),
// handoff latency, the warm-up reset, the end of the run, and "no progress" (exit 4).
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "config/config.hpp"
#include "engine/engine.hpp"
#include "isa/program.hpp"
#include "stats/stats.hpp"

namespace lockstep::cpu { class Core; }

namespace lockstep::workload {

// The critical section as micro-ops run by the core with their own registers:
// read `lines_read` shared lines, increment a counter in each of `lines_written` lines
// (non-atomically: a mutual-exclusion failure shows up as a lost update), then work.
isa::Program critical_section_program(const config::CriticalSectionCfg& cs, int line_bytes);

class Harness {
 public:
  Harness(Engine& e, const config::Point& p, const isa::Program& lock);
  void set_cores(std::vector<cpu::Core*> cores) { cores_ = std::move(cores); }
  // Called at warm-up end with the reset cycle: clears every counter of the machine.
  void on_reset(std::function<void()> f) { reset_ = std::move(f); }
  // A predicate telling whether the memory system still has work in flight.
  void on_idle_query(std::function<bool()> f) { memory_idle_ = std::move(f); }

  void acquire_returned(cpu::Core& c, Cycle now, Cycle started);
  void release_called(cpu::Core& c, Cycle now);
  void release_returned(cpu::Core& c, Cycle now);
  void finished(cpu::Core& c, Cycle now);
  void sev(int from);
  // With fast-forward off: every live core spins on a fixed point and nothing is in flight.
  void check_stuck(Cycle now);
  [[noreturn]] void report_stuck(Cycle now, const std::string& why);

  bool all_done() const { return done_ == int(cores_.size()); }
  Cycle reset_cycle() const { return reset_cycle_; }
  Cycle end_cycle() const { return end_cycle_; }
  uint64_t measured_acquisitions() const { return measured_; }
  stats::Histogram& handoff() { return handoff_; }
  int64_t total_acquisitions() const { return total_; }

 private:
  Engine& engine_;
  const config::Point& p_;
  const isa::Program& lock_;
  std::vector<cpu::Core*> cores_;
  std::function<void()> reset_;
  std::function<bool()> memory_idle_;
  std::vector<int> holders_;
  int64_t warm_total_ = 0;
  int64_t total_ = 0;
  uint64_t measured_ = 0;
  Cycle reset_cycle_ = 0, end_cycle_ = 0;
  Cycle last_release_ = 0;
  bool release_pending_ = false;
  int releasing_ = -1;         // core inside its release routine (capacity 1 locks)
  Cycle release_call_ = 0;
  bool handed_early_ = false;
  stats::Histogram handoff_;
  int done_ = 0;
};

}  // namespace lockstep::workload

// The workload around a lock (DESIGN.md §4): every thread repeats
//   acquire -> critical section -> release -> outside work
// The harness moves each thread through that loop, checks mutual exclusion (at most
// `capacity` holders, exit 3), runs the warm-up reset and the measurement window, notices
// "no progress" (exit 4), and emits what happens as events on the observation stream
// (sim/observe): the latency figures are computed by observers, not here.
//
// Two modes: quota (every thread does warmup + acquisitions_per_thread acquisitions) and
// time window (workload.duration_cycles > 0: after the warm-up every thread loops until the
// window closes; acquisitions whose acquire returns before the close are measured, and a
// thread stops at its next acquire call after the close).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "cpu/thread.hpp"
#include "engine/engine.hpp"
#include "isa/program.hpp"
#include "observe/event.hpp"
#include "stats/stats.hpp"

namespace lockstep::cpu { class Core; }
namespace lockstep::os { class Scheduler; }

namespace lockstep::workload {

// The critical section as micro-ops run by the core with their own registers:
// read `lines_read` shared lines, increment a counter in each of `lines_written` lines
// (non-atomically: a mutual-exclusion failure shows up as a lost update), then work.
isa::Program critical_section_program(const config::CriticalSectionCfg& cs, int line_bytes);

class Harness : public Component {
 public:
  Harness(Engine& e, const config::Point& p, const isa::Program& lock, const isa::Program& cs,
          uint64_t arena_base, observe::Stream& stream);
  void set_cores(std::vector<cpu::Core*> cores) { cores_ = std::move(cores); }
  // The OS model places the threads (more threads than cores); without it thread i runs on core i.
  void set_os(os::Scheduler* s) { os_ = s; }
  // Appended to a no-progress report (the OS model: who sleeps on which word).
  void on_describe(std::function<std::string()> f) { describe_ = std::move(f); }
  // The threads of the workload, one per core (no OS model yet), ready to start.
  std::vector<cpu::Thread>& threads() { return threads_; }
  void start(Cycle t);
  // Called at warm-up end with the reset cycle: clears every counter of the machine.
  void on_reset(std::function<void()> f) { reset_ = std::move(f); }
  // Time-window mode: called at the close, the moment the figures are taken.
  void on_close(std::function<void(Cycle)> f) { close_ = std::move(f); }
  // A predicate telling whether the memory system still has work in flight.
  void on_idle_query(std::function<bool()> f) { memory_idle_ = std::move(f); }

  // A top-level routine of `t` returned on `core` at `now`: move its loop on. Returns the
  // cycle at which the thread continues (after outside work); t.phase is Done when finished.
  Cycle returned(cpu::Core& core, cpu::Thread& t, Cycle now);
  // The outside work of `t` is done at `at`: it calls acquire (or stops: window closed).
  void begin_acquire(cpu::Thread& t, int core, Cycle at);
  void sev(int from);
  // An interrupt handler (machine.interrupts.handler_takes_lock) acquired / is releasing the
  // lock as holder `holder` (threads + core): counted against the capacity, no lock events.
  void irq_acquired(int holder, int core, Cycle now);
  void irq_releasing(int holder);
  // One micro-op executed on `core`: a machine that runs run.livelock_micro_ops of them with
  // no acquire returning and no release called is livelocked (or spins on a lock forever).
  void micro_op(const cpu::Core& core) {
    if (++since_progress_ == livelock_limit_) report_livelock(core);
  }
  // A `trace NAME` site ran on `core` at `at` (workload.tracepoints nop|on): an event only.
  void tracepoint(int core, const cpu::Thread& t, Cycle at, int line, const char* name) const {
    if (!stream_.active()) return;
    observe::Event e{observe::Ev::Tracepoint, at, core, t.id, line, 0};
    e.what = name;
    stream_.emit(e);
  }
  // With fast-forward off: every live core spins on a fixed point and nothing is in flight.
  void check_stuck(Cycle now);
  [[noreturn]] void report_stuck(Cycle now, const std::string& why);
  void handle(int kind, uint64_t arg) override;  // the window's close

  bool all_done() const { return done_ == int(threads_.size()); }
  bool windowed() const { return p_.workload.duration_cycles > 0; }
  Cycle reset_cycle() const { return reset_cycle_; }
  Cycle end_cycle() const { return end_cycle_; }
  uint64_t measured_acquisitions() const { return measured_; }
  int64_t total_acquisitions() const { return total_; }
  int64_t total_read_acquisitions() const { return total_reads_; }  // reader-writer locks: reads

 private:
  void acquire_returned(cpu::Thread& t, int core, Cycle now);
  void acquire_failed(cpu::Thread& t, int core, Cycle now);
  void add_trylock_info(observe::Event& e, const cpu::Thread& t) const;
  void release_called(cpu::Thread& t, int core, Cycle now);
  void finish(cpu::Thread& t, Cycle now);
  void check_capacity(Cycle now, const std::string& who);  // exit 3 when over capacity
  void open_window(int core, Cycle now);
  [[noreturn]] void report_livelock(const cpu::Core& core);
  // A thread's event; `what` = "read" while it does a read acquisition of a reader-writer lock.
  static observe::Event event(observe::Ev kind, Cycle at, int core, const cpu::Thread& t, int line = 0, uint64_t arg = 0) {
    observe::Event e{kind, at, core, t.id, line, arg};
    e.what = t.reading ? "read" : nullptr;
    return e;
  }
  void emit(observe::Ev kind, Cycle at, int core, const cpu::Thread& t, int line = 0, uint64_t arg = 0) const {
    if (stream_.active()) stream_.emit(event(kind, at, core, t, line, arg));
  }

  Engine& engine_;
  const config::Point& p_;
  const isa::Program& lock_;
  const isa::Program& cs_;
  observe::Stream& stream_;
  std::vector<cpu::Thread> threads_;
  std::vector<cpu::Core*> cores_;
  std::function<void()> reset_;
  std::function<void(Cycle)> close_;
  std::function<bool()> memory_idle_;
  std::function<std::string()> describe_;
  os::Scheduler* os_ = nullptr;
  std::vector<int> holders_;
  isa::Program cs_read_;       // a read's critical section: the same lines, read only
  int64_t total_reads_ = 0;
  int64_t warm_total_ = 0;
  int64_t total_ = 0;
  uint64_t measured_ = 0;
  Cycle reset_cycle_ = 0, end_cycle_ = 0;
  Cycle window_end_ = 0;       // time-window mode: the close (0 = not yet open)
  bool closed_ = false;
  int done_ = 0;
  uint64_t since_progress_ = 0;
  uint64_t livelock_limit_ = 0;  // 0: never reached (the counter starts at 1)
};

}  // namespace lockstep::workload

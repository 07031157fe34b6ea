// One stream of observation events (DESIGN.md §3 "Observation is one stream").
//
// The harness and the cores emit what happened — acquire call/return, release call/return,
// and, as the model grows, tracepoints, interrupts, irqs-off spans, coherence requests — each
// stamped with cycle, core, thread and the .lock source line. Consumers (lock metrics,
// lockstat, profilers, histograms, trace writers) live in their own rooms and subscribe as
// Observers; the emitters know none of them. A stream without observers costs one branch.
#pragma once
#include <cstdint>
#include <vector>

#include "engine/engine.hpp"

namespace lockstep::isa { struct Program; }

namespace lockstep::observe {

enum class Ev : uint8_t {
  AcquireCall,    // the harness calls acquire
  AcquireReturn,  // acquire returned with the lock (arg = 1), or failed (arg = 0)
  ReleaseCall,    // the holder calls release
  ReleaseReturn,  // release returned
  WindowOpen,     // measurement starts (end of warm-up): observers clear what they counted
  WindowClose,    // measurement ends (time-window mode, or the last release)
  // Coherence traffic (emitted only when a trace writer or `lockstep step` listens):
  BusGrant,       // a snooping-bus transaction is ordered: core = requester, addr = line,
                  // what = GetS|GetM|Upgrade, peer = supplying cache (-1: memory/LLC, -2: no
                  // data), count = copies invalidated, dur = bus cycles of its tenure, arg = 1 when
                  // a PutM owed from an eviction rides the tenure; snooped L1s have changed already
  BusDone,        // that transaction completed: the requester's L1 has its final state
  NetSend,        // a directory message leaves: core = sending L1 (-1: a home), home = the home
                  // involved, peer = receiving L1 (-1: the home), addr = line, what = message
                  // name, dur = cycles until it arrives, count = acks, arg = 1 for Data-Excl
  NetDeliver,     // that message arrived and its receiver has handled it
  // Interrupts and preemption (sim/cpu/irq.hpp; docs/model.md "Interrupts"). line = .lock
  // source line of the micro-op that caused it (0 for harness actions and interrupt entry/exit).
  IrqsOff,        // the core's interrupt-enable flag goes off: irq_save that disabled, an
                  // irq_restore of 0, or interrupt entry (arg = 1). what = "lock_irqsave" for
                  // the harness's workload.irqsave save, else nullptr
  IrqsOn,         // ... goes on: irq_restore that enabled, or interrupt exit (arg = 1). what =
                  // "unlock_irqrestore" for the harness's workload.irqsave restore, else nullptr
  PreemptOff,     // the core's preempt count goes 0 -> 1 (preempt_disable)
  PreemptOn,      // ... 1 -> 0 (preempt_enable)
  IrqRaise,       // an interrupt is raised for this core: what = "timer" | "device", arg = its
                  // raise id (per core, from 1); cycle = when it was raised
  IrqEnter,       // its handler starts on the core (what, arg as IrqRaise)
  IrqExit,        // its handler ends; the interrupted thread resumes at this cycle
  Exec,           // one micro-op starts executing: cycle = its start, line, arg = pc, prog = the
                  // program. Emitted only when an observer subscribed with wants_exec (the run
                  // then has fast-forward off); events of one core come in that core's cycle order
};

struct Event {
  Ev kind;
  Cycle cycle = 0;
  int core = -1;
  int thread = -1;
  int line = 0;        // .lock source line where the thread waited (AcquireReturn), else 0
  uint64_t arg = 0;
  // Coherence events (Bus*, Net*) only:
  uint64_t addr = 0;          // the cache line (line number, not byte address)
  const char* what = nullptr; // request or message name (a string literal)
  int peer = -1;
  int count = 0;
  int home = -1;
  Cycle dur = 0;
  const isa::Program* prog = nullptr;  // Exec: the program the micro-op belongs to
};

class Observer {
 public:
  virtual ~Observer() = default;
  virtual void on(const Event& e) = 0;
};

class Stream {
 public:
  // wants_exec: the observer needs an Exec event per micro-op (a profiler); the machine then
  // turns fast-forward off for the run (the stats are identical either way).
  void subscribe(Observer* o, bool wants_exec = false) {
    obs_.push_back(o);
    wants_exec_ = wants_exec_ || wants_exec;
  }
  bool active() const { return !obs_.empty(); }
  bool wants_exec() const { return wants_exec_; }
  void emit(const Event& e) const {
    for (Observer* o : obs_) o->on(e);
  }

 private:
  std::vector<Observer*> obs_;
  bool wants_exec_ = false;
};

}  // namespace lockstep::observe

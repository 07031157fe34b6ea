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
  // Interrupts and preemption (the contract of DESIGN.md / issue 8; emitted by the machine's
  // interrupt model, consumed by irqsoff stats, the profiler, snapshots and trace writers):
  IrqsOff,        // the core's interrupt-enable flag clears; what = "lock_irqsave" for the
                  // harness's save, else nullptr; arg = 1 when caused by interrupt entry
  IrqsOn,         // it sets again; what = "unlock_irqrestore" for the harness's restore; arg = 1
                  // when caused by interrupt exit
  PreemptOff,     // preempt count 0 -> 1
  PreemptOn,      // preempt count 1 -> 0
  IrqRaise,       // an interrupt is raised for this core: what = "timer" | "device", arg = raise id
  IrqEnter,       // its handler starts on the core (what, arg as IrqRaise)
  IrqExit,        // its handler ends
  Exec,           // one micro-op starts (only when Stream::wants_exec()): arg = pc, prog, line
  Tracepoint,     // a `trace NAME` site ran (workload.tracepoints nop|on): what = NAME, line =
                  // its .lock line, cycle = the op's start
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
  const char* what = nullptr; // request or message name (a string literal); Tracepoint: its
                              // name (alive as long as the lock's Program)
  int peer = -1;
  int count = 0;
  int home = -1;
  Cycle dur = 0;
  const isa::Program* prog = nullptr;  // Exec: the program running
};

class Observer {
 public:
  virtual ~Observer() = default;
  virtual void on(const Event& e) = 0;
};

class Stream {
 public:
  void subscribe(Observer* o) { obs_.push_back(o); }
  bool active() const { return !obs_.empty(); }
  void emit(const Event& e) const {
    for (Observer* o : obs_) o->on(e);
  }

 private:
  std::vector<Observer*> obs_;
};

}  // namespace lockstep::observe

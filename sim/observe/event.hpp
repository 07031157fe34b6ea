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

namespace lockstep::observe {

enum class Ev : uint8_t {
  AcquireCall,    // the harness calls acquire
  AcquireReturn,  // acquire returned with the lock (arg = 1), or failed (arg = 0)
  ReleaseCall,    // the holder calls release
  ReleaseReturn,  // release returned
  WindowOpen,     // measurement starts (end of warm-up): observers clear what they counted
  WindowClose,    // measurement ends (time-window mode, or the last release)
};

struct Event {
  Ev kind;
  Cycle cycle = 0;
  int core = -1;
  int thread = -1;
  int line = 0;        // .lock source line where the thread waited (AcquireReturn), else 0
  uint64_t arg = 0;
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

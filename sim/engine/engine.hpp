// The discrete-event engine: integer cycles, one priority queue, deterministic order.
//
// Events at the same cycle are ordered by (priority class, component id, insertion).
// The classes encode who sees what within one cycle, independent of the order in which
// events happened to be scheduled (so fast-forward on/off and any host give one order):
//   kMemory  (0)  fills and completions: a core's op at cycle t sees every fill at t
//   kCore    (1)  core micro-ops, by core id
//   kArbiter (2)  bus arbitration and snoops: they see every request made at cycle t,
//                 and a core notices a snoop at cycle t from cycle t+1 on
// Idle components never tick: a component schedules an event only when it has work.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace lockstep {

using Cycle = uint64_t;

enum Priority : uint8_t { kMemory = 0, kCore = 1, kArbiter = 2 };

class Component {
 public:
  virtual ~Component() = default;
  // `kind` and `arg` are the component's own encoding of what to do.
  virtual void handle(int kind, uint64_t arg) = 0;
};

class Engine {
 public:
  void schedule(Cycle when, Priority prio, uint32_t order, Component* c, int kind, uint64_t arg = 0);
  // Runs until the queue is empty or `stop()` is called. Returns false when stopped early.
  bool run();
  void stop() { stopped_ = true; }
  Cycle now() const { return now_; }
  Priority current_priority() const { return prio_; }
  uint64_t events() const { return events_; }
  bool empty() const { return heap_.empty(); }
  size_t pending() const { return heap_.size(); }
  // Count of queued events of one priority class (the deadlock detector asks for kMemory).
  size_t pending_in(Priority p) const { return by_prio_[p]; }
  void set_limit(Cycle max_cycle) { limit_ = max_cycle; }
  bool hit_limit() const { return hit_limit_; }
  // Calls fn(ctx) after every `every` events (0 = never): a cheap hook for progress reports.
  void set_poll(uint64_t every, void (*fn)(void*), void* ctx) {
    poll_every_ = every, poll_fn_ = fn, poll_ctx_ = ctx, next_poll_ = every && fn ? events_ + every : UINT64_MAX;
  }

 private:
  struct Event {
    Cycle when;
    uint64_t key;  // prio(8) | order(24): the class and the component within one cycle
    uint64_t seq;  // insertion order, last resort (never wraps: 64 bits)
    Component* c;
    int kind;
    uint64_t arg;
  };
  static bool later(const Event& a, const Event& b) {
    if (a.when != b.when) return a.when > b.when;
    if (a.key != b.key) return a.key > b.key;
    return a.seq > b.seq;
  }
  std::vector<Event> heap_;
  Cycle now_ = 0;
  Priority prio_ = kMemory;
  uint64_t seq_ = 0;
  uint64_t events_ = 0;
  size_t by_prio_[3] = {0, 0, 0};
  Cycle limit_ = UINT64_MAX;
  bool stopped_ = false;
  bool hit_limit_ = false;
  uint64_t poll_every_ = 0, next_poll_ = UINT64_MAX;
  void (*poll_fn_)(void*) = nullptr;
  void* poll_ctx_ = nullptr;
};

}  // namespace lockstep

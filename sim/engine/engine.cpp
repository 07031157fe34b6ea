#include "engine/engine.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace lockstep {

void Engine::schedule(Cycle when, Priority prio, uint32_t order, Component* c, int kind, uint64_t arg) {
  // The sequence number breaks ties between events of one component at one (cycle, class)
  // in the order they were scheduled: the directory fabric relies on it to deliver two
  // messages between the same pair of nodes in one cycle in the order they were sent.
  // Time only moves forward: an event before now would be handled after later ones (and
  // would run the clock backwards). It is a bug in whoever scheduled it, not bad input.
  if (when < now_)
    throw std::logic_error("engine: event scheduled at cycle " + std::to_string(when) + ", in the past (now " +
                           std::to_string(now_) + ", kind " + std::to_string(kind) + ")");
  uint64_t key = (uint64_t(prio) << 24) | uint64_t(order & 0xffffff);
  heap_.push_back(Event{when, key, seq_++, c, kind, arg});
  std::push_heap(heap_.begin(), heap_.end(), later);
  ++by_prio_[prio];
}

bool Engine::run() {
  stopped_ = false;
  while (!heap_.empty() && !stopped_) {
    std::pop_heap(heap_.begin(), heap_.end(), later);
    Event e = heap_.back();
    heap_.pop_back();
    if (e.when > limit_) {
      hit_limit_ = true;
      heap_.clear();
      return false;
    }
    now_ = e.when;
    prio_ = Priority(e.key >> 24);
    --by_prio_[prio_];
    ++events_;
    e.c->handle(e.kind, e.arg);
    if (events_ == next_poll_) {
      next_poll_ += poll_every_;
      poll_fn_(poll_ctx_);
    }
  }
  return !stopped_;
}

}  // namespace lockstep

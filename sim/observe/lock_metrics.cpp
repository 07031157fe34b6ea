#include "observe/lock_metrics.hpp"

#include <algorithm>

namespace lockstep::observe {

LockMetrics::LockMetrics(int threads, int capacity, std::string lock_file)
    : capacity_(capacity), file_(std::move(lock_file)), th_(size_t(threads)) {
  ls_.present = true;
}

void LockMetrics::clear() {
  handoff_.clear();
  wait_.clear();
  hold_.clear();
  release_.clear();
  reacquires_ = 0;
  ls_ = stats::Lockstat{};
  ls_.present = true;
  points_.clear();
}

namespace {
void add_min(uint64_t& min, uint64_t v) {
  if (v > 0 && (min == 0 || v < min)) min = v;  // lock_stat: the shortest non-zero time
}
}  // namespace

void LockMetrics::on(const Event& e) {
  switch (e.kind) {
    case Ev::WindowOpen: clear(); counting_ = true; return;
    case Ev::WindowClose: counting_ = false; return;
    default: break;
  }
  ThreadState& t = th_[size_t(e.thread)];
  switch (e.kind) {
    case Ev::AcquireCall:
      t.waiting = true;
      t.call = e.cycle;
      t.contended = holding_ >= capacity_ || waiting_ > 0;
      ++waiting_;
      break;
    case Ev::AcquireReturn: {
      t.waiting = false;
      --waiting_;
      ++holding_;
      t.acquired = e.cycle;
      // The next release waiting to be handed on is consumed by whoever gets in; it is a
      // handoff only when that thread was already waiting when release was called.
      bool handoff = false;
      Cycle from = 0;
      if (!pending_.empty()) {
        from = pending_.front();
        pending_.pop_front();
        handoff = t.call < from;
      }
      t.measured = counting_;
      // lock_stat's bounce: the lock was last taken on another CPU (tracked outside the window too).
      const bool bounce = last_acquirer_core_ >= 0 && last_acquirer_core_ != e.core;
      last_acquirer_core_ = e.core;
      if (!counting_) break;
      const uint64_t wait = e.cycle - t.call;
      wait_.add(wait);
      if (handoff) handoff_.add(e.cycle - from);
      if (e.thread == last_releaser_ && waiting_ > 0) ++reacquires_;
      ++ls_.acquisitions;
      if (bounce) ++ls_.acq_bounces;
      if (t.contended) {
        ++ls_.contentions;
        if (bounce) ++ls_.con_bounces;
        ls_.waittime_total += wait;
        ls_.waittime_max = std::max(ls_.waittime_max, wait);
        add_min(ls_.waittime_min, wait);
        ++points_[e.line];
      }
      break;
    }
    case Ev::ReleaseCall:
      t.release_call = e.cycle;
      if (waiting_ > 0) pending_.push_back(e.cycle);
      if (counting_ && t.measured) {
        const uint64_t hold = e.cycle - t.acquired;
        hold_.add(hold);
        ls_.holdtime_total += hold;
        ls_.holdtime_max = std::max(ls_.holdtime_max, hold);
        add_min(ls_.holdtime_min, hold);
      }
      break;
    case Ev::ReleaseReturn:
      --holding_;
      last_releaser_ = e.thread;
      if (counting_ && t.measured) release_.add(e.cycle - t.release_call);
      break;
    default: break;
  }
}

void LockMetrics::fill(stats::Point& out) const {
  out.handoff = handoff_;
  out.wait = wait_;
  out.hold = hold_;
  out.release = release_;
  out.reacquires = reacquires_;
  out.lockstat = ls_;
  out.lockstat.contention_points.clear();
  for (const auto& [line, n] : points_)
    out.lockstat.contention_points.emplace_back(line > 0 ? file_ + ":" + std::to_string(line) : file_ + ":acquire", n);
}

}  // namespace lockstep::observe

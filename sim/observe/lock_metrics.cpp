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
  trylock_ = stats::Trylock{trylock_.present, 0, 0, {}, {}};
  rw_ = stats::ReaderWriter{rw_.present, 0, 0, readers_, 0, {}, {}};
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
      if (!t.retrying) {
        t.call = e.cycle;
        t.contended = holding_ >= capacity_ || waiting_ > 0;
      }
      ++waiting_;
      break;
    case Ev::AcquireReturn: {
      t.waiting = false;
      --waiting_;
      if (counting_ && trylock_.present) {
        ++trylock_.attempts;
        ++trylock_.waiters_seen_hist[uint64_t(std::max(e.count, 0))];
      }
      if (e.arg == 0) {  // failed: no lock; the thread retries (or gives up)
        t.retrying = true;
        if (counting_ && trylock_.present) {
          ++trylock_.failures;
          ++trylock_.holder_seen[e.peer];
        }
        break;
      }
      t.retrying = false;
      t.reading = e.what != nullptr;  // "read"
      if (t.reading) {
        ++readers_;
        rw_.max_readers = std::max(rw_.max_readers, readers_);
      }
      if (counting_ && rw_.present) {
        if (t.reading) {
          ++rw_.reads;
          if (readers_ > 1) ++rw_.overlapped_reads;
          rw_.read_wait.add(e.cycle - t.call);
        } else {
          ++rw_.writes;
          rw_.write_wait.add(e.cycle - t.call);
        }
      }
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
      if (t.reading) --readers_;
      t.reading = false;
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
  out.trylock = trylock_;
  out.rw = rw_;
  out.lockstat.contention_points.clear();
  for (const auto& [line, n] : points_)
    out.lockstat.contention_points.emplace_back(line > 0 ? file_ + ":" + std::to_string(line) : file_ + ":acquire", n);
}

}  // namespace lockstep::observe

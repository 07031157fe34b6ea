// Latency and fairness figures of one lock, computed from the event stream (docs/stats.md):
//   wait    acquire call -> acquire return, every acquisition
//   hold    acquire return -> release call
//   release release call -> release return
//   handoff release call -> the acquire return of the next acquirer that was already waiting
//           when release was called (a contended transfer; "release call", not "release
//           return", so a release that waits for its successor — Hemlock — or misses on its
//           own store is inside the handoff, where the waiting thread feels it)
//   reacquires: acquisitions by the thread that released last while another thread waited
//   lockstat: Linux lock_stat's figures (Documentation/locking/lockstat.rst)
//   trylock: for `.trylock_info` locks, every acquire attempt, its failures and the waiters it
//           saw (AcquireReturn: arg 0 = failed, count = r1 waiters seen, peer = r2 - 1 holder)
//   rw:      for reader-writer locks (events of a read carry what = "read"): reads, writes,
//           their waits, the most readers inside at once
// A failed acquire (arg 0) is not an acquisition: the thread's next AcquireCall (arg 1, a
// retry) continues the same wait, which runs from the first call to the successful return.
// Only events inside the measurement window count; threads mid-acquire when the window opens
// are tracked from their real acquire call.
#pragma once
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "observe/event.hpp"
#include "stats/stats.hpp"

namespace lockstep::observe {

class LockMetrics : public Observer {
 public:
  LockMetrics(int threads, int capacity, std::string lock_file);
  void on(const Event& e) override;
  // Copies the figures into `out` (handoff, wait, hold, release, reacquires, lockstat).
  void fill(stats::Point& out) const;
  // What kind of lock this is: a try-lock reporting r1/r2, a reader-writer lock.
  void set_kind(bool trylock_info, bool reader_writer) {
    trylock_.present = trylock_info;
    rw_.present = reader_writer;
  }

 private:
  struct ThreadState {
    bool waiting = false;
    bool contended = false;   // the lock was busy when this acquire was called
    bool measured = false;    // this acquisition was counted (acquired inside the window)
    Cycle call = 0, acquired = 0, release_call = 0;
    bool retrying = false;    // the last attempt failed; the next call continues this wait
    bool reading = false;     // holds (or waits for) a reader-writer lock as a reader
  };
  void clear();

  int capacity_;
  std::string file_;
  std::vector<ThreadState> th_;
  int waiting_ = 0;            // threads between acquire call and return
  int holding_ = 0;            // threads between acquire return and release return
  std::deque<Cycle> pending_;  // release calls made while another thread waited (FIFO)
  int last_releaser_ = -1;
  int last_acquirer_core_ = -1;
  bool counting_ = false;     // between WindowOpen and WindowClose
  stats::Histogram handoff_, wait_, hold_, release_;
  uint64_t reacquires_ = 0;
  stats::Lockstat ls_;
  std::map<int, uint64_t> points_;  // contention line -> count
  stats::Trylock trylock_;
  stats::ReaderWriter rw_;
  uint64_t readers_ = 0;            // readers inside now
};

}  // namespace lockstep::observe

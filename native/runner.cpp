#include "runner.hpp"

#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cmath>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/error.hpp"
#include "common/splitmix.hpp"
#include "handwritten/locks.hpp"
#include "perf.hpp"
#include "platform.hpp"
#include "topology.hpp"
#include "workload/lock_library.hpp"
#include "workload/outside.hpp"

namespace lockstep::native {

namespace {

constexpr uint64_t kReader = uint64_t(1) << 32;  // a reader's share of the holder count

// One timed acquisition as the harness saw it, in counter ticks: acquire called, acquire
// returned, release called, release returned. Kept per thread and merged after the run, so
// the hot loop writes only its own memory.
struct Record {
  uint64_t call, ret, relcall, rel;
  uint64_t ops;   // micro-ops the lock's acquire and release executed
};

// Each thread's figures, alone on its line: the watchdog reads `progress` while the run
// goes (a shared counter would add a coherence miss to every acquisition); the rest is
// written once at the end.
struct alignas(Arena::kAlign) Slot {
  std::atomic<uint64_t> progress{0};
  uint64_t acquisitions = 0;   // measured acquisitions (after warm-up, in the window)
  uint64_t cs_entered = 0;     // critical sections entered, warm-up included
  uint64_t micro_ops = 0;      // measured acquisitions' micro-ops
  uint64_t end = 0;            // ticks after the thread's last measured release
  uint64_t failures = 0;       // failed acquires after the thread's warm-up (.can_fail locks)
};

std::string fmt_seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g s", s);
  return buf;
}

struct InterpOps {
  Interpreter& in;
  int acquire_pc, release_pc;
  // Failing acquires (`.can_fail`): r0 = 0 means no lock; wait on_failure.retry_after_cycles
  // and call acquire again, counting the failure. Reader-writer locks: each acquisition is a
  // read with probability read_fraction (read_acquire:/read_release:).
  const isa::Program* prog = nullptr;
  const CycleClock* clock = nullptr;
  const std::atomic<bool>* stop = nullptr;
  uint64_t retry_cycles = 0;
  double read_fraction = 0;
  SplitMix64 rw_rng{};
  bool is_read = false;
  uint64_t failed = 0;
  bool acquire() {
    is_read = read_fraction > 0 && rw_rng.unit_open0() <= read_fraction;
    const int pc = is_read ? prog->entry_read_acquire : acquire_pc;
    for (;;) {
      if (in.run(pc) != Interpreter::Exit::Returned) return false;
      if (!prog->can_fail || in.reg(0) != 0) return true;
      ++failed;
      if (stop->load(std::memory_order_relaxed)) return false;
      clock->spin(retry_cycles);
    }
  }
  bool release() { return in.run(is_read ? prog->entry_read_release : release_pc) == Interpreter::Exit::Returned; }
  bool reading() const { return is_read; }
  uint64_t failures() const { return failed; }
};

struct HandOps {
  HandLock& lock;
  int tid;
  const std::atomic<bool>& stop;
  bool acquire() { return lock.acquire(tid, stop); }
  bool release() { lock.release(tid); return true; }
  bool reading() const { return false; }
  uint64_t failures() const { return 0; }
};

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// Median ns per call of fn over `batches` batches of `n` calls.
template <class F>
double time_ns(F&& fn, long n, int batches = 5) {
  const double ns_per_tick = 1e9 / tick_rate().hz;
  std::vector<double> v;
  for (int b = 0; b < batches; ++b) {
    uint64_t t0 = hw::ticks();
    for (long i = 0; i < n; ++i) fn();
    v.push_back(double(hw::ticks() - t0) * ns_per_tick / double(n));
  }
  return median_of(v);
}

class Run {
 public:
  Run(const isa::Program* prog, const config::Point& point, const NativeOptions& opt)
      : prog_(prog), pt_(point), opt_(opt), clock_(opt.clock_ghz > 0 ? opt.clock_ghz : point.machine.clock_ghz),
        arena_(prog ? std::max<uint64_t>(prog->arena_bytes, 8) : 8),
        data_(size_t(std::max(1, point.workload.critical_section.lines_read +
                                     point.workload.critical_section.lines_written)) * Arena::kAlign) {
    n_ = point.workload.threads > 0 ? point.workload.threads : point.machine.cores;
    if (n_ < 1) throw InputError("native: workload.threads must be at least 1");
    capacity_ = prog ? std::max(1, prog->capacity) : 1;
    if (point.workload.read_fraction > 0 && (!prog || prog->entry_read_acquire < 0))
      throw InputError("workload.read_fraction: lock '" + (prog ? prog->name : point.workload.lock) +
                       "' is not a reader-writer lock (it has no 'read_acquire:' section)");
    lock_name_ = prog ? prog->name : point.workload.lock;
    topo_ = read_topology();
    if (topo_.cpus.empty()) throw InputError("native: no usable CPU");
    const int ncpu = int(topo_.cpus.size());
    if (n_ > ncpu && !opt.oversubscribe)
      throw InputError("native: " + std::to_string(n_) + " threads but only " + std::to_string(ncpu) +
                       " usable CPUs; pass --oversubscribe to run anyway (timings are then meaningless)");
    sh_.arena = arena_.base();
    sh_.arena_bytes = prog ? prog->arena_bytes : 0;
    sh_.clock = &clock_;
    sh_.yield_on_pause = n_ > ncpu;
    sh_.order = opt.order;
  }

  stats::Point go();

 private:
  template <class Ops>
  void body(int tid, Ops ops);
  void thread_main(int tid);
  void violation(const std::string& what, int tid, uint64_t iteration);
  Sampling choose_sampling();
  stats::Point collect();
  void collect_latency(stats::Point& st);

  const isa::Program* prog_;
  const config::Point& pt_;
  NativeOptions opt_;
  CycleClock clock_;
  Arena arena_, data_;
  RunShared sh_;
  Topology topo_;
  int n_ = 1, capacity_ = 1;
  std::string lock_name_;
  std::unique_ptr<Slot[]> slots_;
  std::vector<std::unique_ptr<Interpreter>> interp_;
  std::unique_ptr<HandLock> hand_;
  std::vector<std::vector<Record>> recs_;
  std::vector<uint64_t> start_;
  std::vector<std::map<std::string, double>> perf_;
  std::vector<std::exception_ptr> errors_;
  std::atomic<int> arrived_{0}, warmed_{0}, done_{0};
  std::atomic<bool> go_{false};
  std::atomic<bool> violated_{false};
  std::string violation_msg_;
  Sampling sampling_;
  int every_ = 1;
  bool two_phase_ = false;          // warm-up, barrier, measured phase (throughput or a window)
  uint64_t duration_ticks_ = 0;
  uint64_t t_go_ = 0;
};

void Run::violation(const std::string& what, int tid, uint64_t iteration) {
  if (!violated_.exchange(true)) {
    violation_msg_ = "mutual exclusion violated natively: lock " + lock_name_ + " (" +
                     (prog_ ? prog_->file : std::string("hand-written")) + "), " + what + " with capacity " +
                     std::to_string(capacity_) + ", seen by thread " + std::to_string(tid) + " at its acquisition " +
                     std::to_string(iteration) + " (" + std::to_string(n_) + " threads)";
  }
  sh_.stop.store(true);
}

// Times, on the calling thread and before any worker starts: one uncontended acquire +
// release of a fresh copy of the lock; the instrumentation of one sampled acquisition
// (four serialised timestamps, two holder read-modify-writes, one record); the ownership
// check. k follows from the first two (sample_every_for).
Sampling Run::choose_sampling() {
  Sampling s;
  const long n = 2000;
  std::atomic<bool> stop{false};
  if (opt_.handwritten) {
    auto lock = make_handwritten(lock_name_, 1);
    s.pair_ns = time_ns([&] { lock->acquire(0, stop); lock->release(0); }, n);
  } else {
    // A program may not survive back-to-back pairs (a release that does nothing): a timer
    // stops the interpreter after a second, and the run's own watchdog judges the lock.
    SoloRun solo(*prog_, clock_.clock_ghz(), pt_.seed);
    solo.shared.order = opt_.order;
    Interpreter in(*prog_, solo.shared, 0, 1, pt_.seed);
    std::mutex m;
    std::condition_variable cv;
    bool finished = false;
    std::thread timer([&] {
      std::unique_lock<std::mutex> lk(m);
      if (!cv.wait_for(lk, std::chrono::seconds(1), [&] { return finished; })) solo.shared.stop.store(true);
    });
    auto stop_timer = [&] {
      {
        std::lock_guard<std::mutex> lk(m);
        finished = true;
      }
      cv.notify_one();
      timer.join();
    };
    try {  // a program fault (exit 2) must not leave the timer thread joinable
      s.pair_ns = time_ns([&] {
        if (in.run(prog_->entry_acquire) == Interpreter::Exit::Returned) in.run(prog_->entry_release);
      }, n);
    } catch (...) {
      stop_timer();
      throw;
    }
    stop_timer();
    if (solo.shared.stop.load()) s.pair_ns = 0;  // not measurable: k falls back to 1
  }
  Arena scratch(2 * Arena::kAlign);
  auto* word = reinterpret_cast<uint64_t*>(scratch.base());
  std::vector<Record> recs;
  recs.reserve(size_t(5 * n));
  s.record_ns = time_ns([&] {
    Record r;
    r.call = hw::ticks();
    r.ret = hw::ticks();
    uint64_t h = __atomic_add_fetch(word + 1, 1, __ATOMIC_SEQ_CST);
    asm volatile("" ::"r"(h));
    __atomic_sub_fetch(word + 1, 1, __ATOMIC_SEQ_CST);
    r.relcall = hw::ticks();
    r.rel = hw::ticks();
    r.ops = 0;
    recs.push_back(r);
  }, n);
  s.check_ns = time_ns([&] {
    __atomic_store_n(word + 2, 1, __ATOMIC_RELAXED);
    uint64_t v = __atomic_load_n(word + 2, __ATOMIC_RELAXED);
    asm volatile("" ::"r"(v));
  }, n);
  s.every = sample_every_for(s.record_ns, s.pair_ns, s.check_ns);
  return s;
}

template <class Ops>
void Run::body(int tid, Ops ops) {
  const auto& w = pt_.workload;
  const int64_t warm = std::max<int64_t>(0, w.warmup_acquisitions);
  const int64_t quota = duration_ticks_ ? INT64_MAX : std::max<int64_t>(0, w.acquisitions_per_thread);
  auto& rec = recs_[size_t(tid)];
  rec.reserve(two_phase_ ? size_t(4096) : size_t(warm + quota));
  SplitMix64 rng{pt_.seed * 0x2545f4914f6cdd1dull + uint64_t(tid) * 0x9e3779b97f4a7c15ull + 7};
  std::unique_ptr<ThreadCounters> pc;
  if (opt_.perf) pc = std::make_unique<ThreadCounters>();
  Slot& slot = slots_[size_t(tid)];

  // The critical section does what sim/workload's does: read `lines_read` lines, increment
  // (non-atomically) a counter in each of `lines_written` lines, then work; line 0's counter
  // must end equal to the number of critical sections entered, or increments were lost.
  // Word 1 of line 0 is the holder count (atomic), word 2 the ownership tag: both share the
  // line the critical section writes anyway, so with lines_written >= 1 the checks add no
  // line transfer of their own.
  char* data = data_.base();
  auto* holders = reinterpret_cast<uint64_t*>(data + 8);
  auto* tag = reinterpret_cast<uint64_t*>(data + 16);
  auto line = [data](int k) { return reinterpret_cast<uint64_t*>(data + size_t(k) * Arena::kAlign); };
  const int lw = w.critical_section.lines_written, lr = w.critical_section.lines_read;
  const uint64_t cs_cycles = uint64_t(std::max(0, w.critical_section.cycles));
  const bool fixed_outside = w.outside.dist != "uniform" && w.outside.dist != "exponential";
  const uint64_t outside_fixed = uint64_t(std::max<int64_t>(0, int64_t(w.outside.cycles)));
  Interpreter* in = interp_.empty() ? nullptr : interp_[size_t(tid)].get();
  const uint64_t mytag = uint64_t(tid) + 1;
  const bool tag_check = capacity_ == 1;
  uint64_t cs_entered = 0;
  uint64_t fail0 = 0;  // failures during the warm-up
  bool recording = !two_phase_;

  // A read of a reader-writer lock reads the written lines instead of incrementing them.
  auto cs = [&](bool reading = false) {
    uint64_t sink = 0;
    for (int k = 0; k < (reading ? std::max(lr, lw) : lr); ++k) sink += __atomic_load_n(line(k), __ATOMIC_RELAXED);
    asm volatile("" ::"r"(sink));
    for (int k = 0; k < (reading ? 0 : lw); ++k)
      __atomic_store_n(line(k), __atomic_load_n(line(k), __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
    clock_.spin(cs_cycles);
  };
  // The ownership check: the holder writes its tag, runs the critical section, and must
  // read its own tag back. A second thread inside at the same time overwrites it.
  auto check_tag = [&](uint64_t i) {
    uint64_t seen = __atomic_load_n(tag, __ATOMIC_RELAXED);
    if (seen != mytag)
      violation("thread " + std::to_string(seen - 1) + " wrote its ownership tag inside thread " +
                    std::to_string(tid) + "'s critical section",
                tid, i);
  };
  // Writers count 1 in `holders`, readers kReader: at most `capacity` writers, and a
  // writer never with a reader (reader-writer locks; the others have only writers).
  const bool rw = prog_ && prog_->entry_read_acquire >= 0;
  auto check_holders = [&](uint64_t h, bool reading, uint64_t i) {
    const uint64_t writers = h % kReader, readers = h / kReader;
    if (writers > uint64_t(capacity_)) violation(std::to_string(writers) + " threads in the critical section", tid, i);
    if (writers > 0 && readers > 0) {
      std::string m = reading ? "a reader entered beside " : "a writer entered beside ";  // appended, not
      m += std::to_string(readers);  // "lit" + std::string&& (GCC 12 warns falsely, -Wrestrict)
      m += " reader(s) and ";
      m += std::to_string(writers);
      m += " writer(s)";
      violation(m, tid, i);
    }
  };
  auto full = [&](uint64_t i) -> bool {
    Record r;
    r.ops = in ? in->micro_ops() : 0;
    r.call = hw::ticks();
    if (!ops.acquire()) return false;
    r.ret = hw::ticks();
    if (!ops.reading()) ++cs_entered;  // the counter counts writes
    const uint64_t one = ops.reading() ? kReader : 1;
    check_holders(__atomic_add_fetch(holders, one, __ATOMIC_SEQ_CST), ops.reading(), i);
    if (tag_check && !ops.reading()) __atomic_store_n(tag, mytag, __ATOMIC_RELAXED);
    cs(ops.reading());
    if (tag_check && !ops.reading()) check_tag(i);
    __atomic_sub_fetch(holders, one, __ATOMIC_SEQ_CST);
    r.relcall = hw::ticks();
    if (!ops.release()) return false;
    r.rel = hw::ticks();
    r.ops = in ? in->micro_ops() - r.ops : 0;
    if (recording) rec.push_back(r);
    return true;
  };
  auto fast = [&](uint64_t i) -> bool {
    if (!ops.acquire()) return false;
    if (!ops.reading()) ++cs_entered;
    if (tag_check && !rw) {
      __atomic_store_n(tag, mytag, __ATOMIC_RELAXED);
      cs();
      check_tag(i);
    } else {
      const uint64_t one = ops.reading() ? kReader : 1;
      check_holders(__atomic_add_fetch(holders, one, __ATOMIC_SEQ_CST), ops.reading(), i);
      cs(ops.reading());
      __atomic_sub_fetch(holders, one, __ATOMIC_SEQ_CST);
    }
    return ops.release();
  };
  auto outside = [&] { clock_.spin(fixed_outside ? outside_fixed : workload::outside_cycles(w.outside, rng)); };

  arrived_.fetch_add(1);
  while (arrived_.load(std::memory_order_acquire) < n_) {
    if (sh_.yield_on_pause) sched_yield(); else hw::cpu_relax();
  }
  start_[size_t(tid)] = hw::ticks();
  uint64_t i = 0;
  if (!two_phase_) {
    // Latency mode, fixed quota: every acquisition recorded; collect() finds where the
    // threads' warm-up ends (counted globally, as the simulator's harness does).
    for (; int64_t(i) < warm + quota; ++i) {
      if (int64_t(i) == warm) fail0 = ops.failures();
      if (int64_t(i) == warm && pc) pc->start();
      if (!full(i)) break;
      slot.progress.store(i + 1, std::memory_order_relaxed);
      if (sh_.stop.load(std::memory_order_relaxed)) break;
      outside();
    }
  } else {
    for (; int64_t(i) < warm; ++i) {
      if (!full(i)) break;
      slot.progress.store(i + 1, std::memory_order_relaxed);
      if (sh_.stop.load(std::memory_order_relaxed)) break;
      outside();
    }
    fail0 = ops.failures();
    warmed_.fetch_add(1);
    while (!go_.load(std::memory_order_acquire) && !sh_.stop.load(std::memory_order_relaxed)) {
      if (sh_.yield_on_pause) sched_yield(); else hw::cpu_relax();
    }
    if (pc) pc->start();
    recording = true;
    const uint64_t ops0 = in ? in->micro_ops() : 0;
    uint64_t done = 0;
    int countdown = every_;
    for (int64_t m = 0; m < quota; ++m, ++i) {
      if (sh_.stop.load(std::memory_order_relaxed)) break;
      bool ok;
      if (--countdown == 0) {
        countdown = every_;
        ok = full(i);
      } else {
        ok = fast(i);
      }
      if (!ok) break;
      ++done;
      slot.progress.store(i + 1, std::memory_order_relaxed);
      outside();
    }
    slot.end = hw::ticks();
    slot.acquisitions = done;
    slot.micro_ops = in ? in->micro_ops() - ops0 : 0;
  }
  slot.cs_entered = cs_entered;
  slot.failures = ops.failures() - fail0;
  if (pc) {
    pc->stop();
    perf_[size_t(tid)] = pc->read();
  }
}

void Run::thread_main(int tid) {
  try {
    if (opt_.pin) pin_to_cpu(topo_.cpus[size_t(tid) % topo_.cpus.size()].id);
    if (hand_) body(tid, HandOps{*hand_, tid, sh_.stop});
    else {
      InterpOps ops{*interp_[size_t(tid)], prog_->entry_acquire, prog_->entry_release};
      ops.prog = prog_;
      ops.clock = &clock_;
      ops.stop = &sh_.stop;
      ops.retry_cycles = uint64_t(std::max<int64_t>(0, pt_.workload.on_failure.retry_after_cycles));
      ops.read_fraction = prog_->entry_read_acquire >= 0 ? pt_.workload.read_fraction : 0.0;
      ops.rw_rng.s = pt_.seed * 0x9e3779b97f4a7c15ULL + uint64_t(tid) * 2 + 3;
      body(tid, ops);
    }
  } catch (...) {
    errors_[size_t(tid)] = std::current_exception();
    sh_.stop.store(true);
    arrived_.fetch_add(n_);  // nobody waits at the start barrier for a thread that failed
    warmed_.fetch_add(n_);
  }
  done_.fetch_add(1);
}

stats::Point Run::go() {
  const size_t N = size_t(n_);
  slots_ = std::make_unique<Slot[]>(N);
  recs_.resize(N);
  start_.assign(N, 0);
  perf_.resize(N);
  errors_.resize(N);
  sh_.t0 = hw::ticks();
  if (opt_.handwritten) {
    hand_ = make_handwritten(lock_name_, n_);
    if (!hand_) {
      std::string names;
      for (const auto& s : handwritten_locks()) names += (names.empty() ? "" : ", ") + s;
      throw InputError("native --handwritten: no hand-written version of lock '" + lock_name_ + "' (have: " + names + ")");
    }
  } else {
    for (int t = 0; t < n_; ++t)
      interp_.push_back(std::make_unique<Interpreter>(*prog_, sh_, t, n_, pt_.seed));
    if (prog_->entry_init >= 0) {
      // init runs once, before any thread starts, as thread 0 would (registers discarded).
      Interpreter init(*prog_, sh_, 0, n_, pt_.seed);
      init.run(prog_->entry_init);
    }
  }
  const bool throughput = opt_.measure == Measure::Throughput;
  if (throughput) {
    sampling_ = choose_sampling();
    if (opt_.sample_every > 0) sampling_.every = opt_.sample_every;
    every_ = sampling_.every;
  }
  const int64_t dur = pt_.workload.duration_cycles;
  duration_ticks_ = dur > 0 ? std::max<uint64_t>(1, clock_.to_ticks(uint64_t(dur))) : 0;
  two_phase_ = throughput || duration_ticks_ > 0;

  std::vector<std::thread> threads;
  threads.reserve(N);
  for (int t = 0; t < n_; ++t) threads.emplace_back([this, t] { thread_main(t); });

  // The calling thread is the watchdog (progress is the sum of per-thread counters) and,
  // in the two-phase modes, opens the measured phase and closes a time window.
  bool stalled = false, window_closed = false;
  uint64_t last_sum = UINT64_MAX, deadline = 0;
  auto last_change = std::chrono::steady_clock::now();
  const double ns_per_tick = 1e9 / tick_rate().hz;
  while (done_.load() < n_) {
    long sleep_ns = 10 * 1000 * 1000;
    if (two_phase_ && !go_.load()) {
      if (warmed_.load() >= n_) {
        t_go_ = hw::ticks();
        go_.store(true, std::memory_order_release);
        if (duration_ticks_) deadline = t_go_ + duration_ticks_;
      } else {
        sleep_ns = 100 * 1000;
      }
    }
    if (deadline && !window_closed) {
      uint64_t now = hw::ticks();
      if (now >= deadline) {
        window_closed = true;
        sh_.stop.store(true);  // every thread leaves after its current acquisition
      } else {
        sleep_ns = std::min<long>(sleep_ns, long(double(deadline - now) * ns_per_tick) + 1000);
      }
    }
    timespec ts{0, sleep_ns};
    nanosleep(&ts, nullptr);
    uint64_t sum = 0;
    for (size_t t = 0; t < N; ++t) sum += slots_[t].progress.load(std::memory_order_relaxed);
    auto now = std::chrono::steady_clock::now();
    if (sum != last_sum) { last_sum = sum; last_change = now; continue; }
    if (!sh_.stop.load() && std::chrono::duration<double>(now - last_change).count() > opt_.watchdog_seconds) {
      stalled = true;
      sh_.stop.store(true);
    }
#if defined(__aarch64__)
    // A thread asleep in WFE wakes on an event; send one while anyone is still inside.
    if (sh_.stop.load()) hw::send_event();
#endif
  }
  for (auto& th : threads) th.join();

  for (auto& e : errors_)
    if (e) std::rethrow_exception(e);
  if (violated_.load()) throw CorrectnessError(violation_msg_);
  if (stalled) {
    std::string msg = "no progress natively: lock " + lock_name_ + ", " + std::to_string(n_) +
                      " threads, no acquisition completed for " + fmt_seconds(opt_.watchdog_seconds) + ";";
    for (int t = 0; t < n_; ++t) {
      msg += " thread " + std::to_string(t) + " after " + std::to_string(slots_[size_t(t)].progress.load()) +
             " acquisitions at ";
      msg += hand_ ? std::string("hand-written code") : interp_[size_t(t)]->where();
      msg += t + 1 < n_ ? ";" : "";
    }
    throw NoProgressError(msg);
  }
  // The exact check: the non-atomic counter must equal the number of critical sections
  // entered (capacity 1: with k holders allowed, increments may legitimately be lost).
  uint64_t entered = 0;
  for (size_t t = 0; t < N; ++t) entered += slots_[t].cs_entered;
  uint64_t counted = __atomic_load_n(reinterpret_cast<uint64_t*>(data_.base()), __ATOMIC_SEQ_CST);
  if (capacity_ == 1 && pt_.workload.critical_section.lines_written > 0 && counted != entered)
    throw CorrectnessError("mutual exclusion violated natively: lock " + lock_name_ + ", the critical sections' counter reads " +
                           std::to_string(counted) + " after " + std::to_string(entered) + " critical sections (" +
                           std::to_string(entered - counted) + " increments lost, " + std::to_string(n_) + " threads)");
  return collect();
}

// Latency mode: replays every thread's records in time order (one clock, the invariant
// counter, for every thread) through the rules of sim/workload's harness. Each thread's
// events stay in their own order (call, return, release call, next call) even when the
// timer's step makes two of them equal; across threads, on the same tick, an acquire call
// sorts first (it found the lock still held), then a release call, then an acquire return
// (a handoff), so every handoff is also a contention.
//   measured window: from the end of the threads' warm-up (threads x warmup_acquisitions,
//     counted globally; two-phase runs record only measured acquisitions) to the last
//     release return;
//   handoff: an acquire return that is the first after a release call, by a thread that
//     was already waiting (called acquire before that release call): release call -> return;
//   contention (lockstat): an acquisition whose call found the lock held or another waiter;
//   bounce: an acquisition whose previous holder was another thread (threads are pinned,
//     one per CPU, so another CPU touched the lock data last);
//   reacquire: the last releaser acquires again while another thread waits.
void Run::collect_latency(stats::Point& st) {
  const size_t N = size_t(n_);
  const uint64_t warm_total =
      two_phase_ ? 0 : uint64_t(n_) * uint64_t(std::max<int64_t>(0, pt_.workload.warmup_acquisitions));
  std::vector<size_t> idx(N, 0);
  std::vector<int> phase(N, 0);  // 0: next is call, 1: ret, 2: relcall
  std::vector<std::vector<char>> contended(N);
  for (size_t t = 0; t < N; ++t) contended[t].assign(recs_[t].size(), 0);
  uint64_t reset = UINT64_MAX, end = 0, total = 0, last_relcall = 0;
  for (size_t t = 0; t < N; ++t) reset = std::min(reset, start_[t]);
  if (two_phase_) reset = t_go_;
  int waiting = 0, holding = 0;
  long last_releaser = -1, last_holder = -1;
  bool pending = false;
  auto& ls = st.lockstat;
  ls.present = true;
  auto kind_rank = [](int ph) { return ph == 0 ? 0 : ph == 2 ? 1 : 2; };
  for (;;) {
    long best = -1;
    uint64_t bt = 0;
    int br = 0;
    for (size_t t = 0; t < N; ++t) {
      if (idx[t] >= recs_[t].size()) continue;
      const Record& r = recs_[t][idx[t]];
      uint64_t tt = phase[t] == 0 ? r.call : phase[t] == 1 ? r.ret : r.relcall;
      int rk = kind_rank(phase[t]);
      if (best < 0 || tt < bt || (tt == bt && rk < br)) { best = long(t); bt = tt; br = rk; }
    }
    if (best < 0) break;
    const size_t t = size_t(best);
    const Record& r = recs_[t][idx[t]];
    if (phase[t] == 0) {
      contended[t][idx[t]] = (waiting + holding) > 0;
      ++waiting;
      phase[t] = 1;
      continue;
    }
    if (phase[t] == 2) {
      --holding;
      last_relcall = r.relcall;
      last_releaser = best;
      pending = true;
      end = std::max(end, r.rel);
      phase[t] = 0;
      ++idx[t];
      continue;
    }
    // Acquire return.
    --waiting;
    ++holding;
    phase[t] = 2;
    const bool handoff = pending && r.call <= last_relcall;
    const bool reacquire = last_releaser == best && waiting > 0;
    const bool bounce = last_holder >= 0 && last_holder != best;
    pending = false;
    last_holder = best;
    ++total;
    if (total <= warm_total) {
      if (total == warm_total) reset = r.ret;
      continue;
    }
    const uint64_t wait = clock_.to_cycles(r.ret - r.call), hold = clock_.to_cycles(r.relcall - r.ret);
    if (handoff) st.handoff.add(clock_.to_cycles(r.ret - last_relcall));
    st.wait.add(wait);
    st.hold.add(hold);
    st.release.add(clock_.to_cycles(r.rel - r.relcall));
    if (reacquire) ++st.reacquires;
    auto& pc = st.per_core[t];
    ++pc.acquisitions;
    ++st.acquisitions;
    pc.micro_ops += r.ops;
    pc.cycles_acquiring += wait;
    pc.cycles_in_cs += hold;
    ++ls.acquisitions;
    if (bounce) ++ls.acq_bounces;
    if (hold) {
      ls.holdtime_min = ls.holdtime_min ? std::min(ls.holdtime_min, hold) : hold;
      ls.holdtime_max = std::max(ls.holdtime_max, hold);
    }
    ls.holdtime_total += hold;
    if (contended[t][idx[t]]) {
      ++ls.contentions;
      if (bounce) ++ls.con_bounces;
      if (wait) {
        ls.waittime_min = ls.waittime_min ? std::min(ls.waittime_min, wait) : wait;
        ls.waittime_max = std::max(ls.waittime_max, wait);
      }
      ls.waittime_total += wait;
    }
  }
  st.cycles = end > reset ? clock_.to_cycles(end - reset) : 0;
  st.extra["native.ticks"] = double(end > reset ? end - reset : 0);
}

stats::Point Run::collect() {
  stats::Point st;
  const size_t N = size_t(n_);
  st.per_core.resize(N);
  for (size_t t = 0; t < N; ++t) st.per_core[t].acquire_failures = slots_[t].failures;
  const bool throughput = opt_.measure == Measure::Throughput;
  if (!throughput) {
    collect_latency(st);
    if (two_phase_)  // the interpreter's counters cover every measured acquisition
      for (size_t t = 0; t < N; ++t) st.per_core[t].micro_ops = slots_[t].micro_ops;
  } else {
    // Exact counts over the window; distributions from the sampled acquisitions.
    uint64_t end = t_go_;
    for (size_t t = 0; t < N; ++t) {
      st.per_core[t].acquisitions = slots_[t].acquisitions;
      st.per_core[t].micro_ops = slots_[t].micro_ops;
      st.acquisitions += slots_[t].acquisitions;
      end = std::max(end, slots_[t].end);
      for (const Record& r : recs_[t]) {
        st.wait.add(clock_.to_cycles(r.ret - r.call));
        st.hold.add(clock_.to_cycles(r.relcall - r.ret));
        st.release.add(clock_.to_cycles(r.rel - r.relcall));
      }
    }
    st.cycles = clock_.to_cycles(end - t_go_);
    st.extra["native.ticks"] = double(end - t_go_);
    st.extra["native.sample_every"] = sampling_.every;
    st.extra["native.samples"] = double(st.wait.count());
    st.extra["native.sample_record_ns"] = sampling_.record_ns;
    st.extra["native.uncontended_pair_ns"] = sampling_.pair_ns;
    st.extra["native.check_ns"] = sampling_.check_ns;
    st.extra["native.harness_overhead"] = sampling_.overhead();
  }
  // Tracepoints: executions over the whole run (the interpreter does not split the warm-up off).
  if (prog_ && prog_->trace_mode != isa::TraceMode::Off)
    for (size_t t = 0; t < interp_.size(); ++t)
      for (size_t k = 0; k < prog_->trace_names.size(); ++k)
        st.tracepoints[prog_->trace_names[k]] += interp_[t]->trace_counts()[k];
  st.extra["native.measure_latency"] = throughput ? 0 : 1;
  const double ticks = st.extra["native.ticks"];
  const double seconds = ticks / tick_rate().hz;
  st.extra["native.acq_per_second"] = seconds > 0 ? double(st.acquisitions) / seconds : 0.0;
  st.extra["native.tick_hz"] = tick_rate().hz;
  st.extra["native.cycles_per_tick"] = clock_.cycles_per_tick();
  st.extra["native.clock_ghz"] = clock_.clock_ghz();
  st.extra["native.handwritten"] = hand_ ? 1 : 0;
  st.extra["native.oversubscribed"] = sh_.yield_on_pause ? 1 : 0;
  uint64_t fallbacks = 0;
  for (const auto& in : interp_) fallbacks += in->stx_fallbacks();
  if (fallbacks) st.extra["native.stx_cas_fallbacks"] = double(fallbacks);
  // Counters: summed over threads, only when every thread had the counter.
  std::map<std::string, double> sum;
  std::map<std::string, size_t> have;
  for (const auto& m : perf_)
    for (const auto& [k, v] : m) { sum[k] += v; ++have[k]; }
  for (const auto& [k, v] : sum) {
    if (have[k] != N) continue;
    st.extra["perf." + k] = v;
    if (st.acquisitions) st.extra["perf." + k + "_per_acq"] = v / double(st.acquisitions);
  }
  return st;
}

}  // namespace

int sample_every_for(double record_ns, double pair_ns, double check_ns) {
  if (!(pair_ns > 0) || !(record_ns > 0)) return 1;
  // The 5% budget less what the every-acquisition check already costs; never below 2.5%
  // (a check dearer than that is reported, not hidden by sampling less).
  const double budget = std::max(0.05 * pair_ns - std::max(0.0, check_ns), 0.025 * pair_ns);
  double k = std::ceil(record_ns / budget);
  return int(std::clamp(k, 1.0, 4096.0));
}

stats::Point run_native_program(const isa::Program& prog, const config::Point& point, const NativeOptions& opt) {
  if (prog.entry_acquire < 0 || prog.entry_release < 0)
    throw InputError(prog.file + ": lock " + prog.name + " needs acquire: and release:");
  Run run(&prog, point, opt);
  return run.go();
}

stats::Point run_native(const config::Point& point, const NativeOptions& opt) {
  // Loaded even for --handwritten: the program's name picks the hand-written lock and its
  // capacity drives the checker.
  isa::Program prog = workload::load_lock(point);
  return run_native_program(prog, point, opt);
}

SingleThreadResult run_single_thread(const isa::Program& prog, int calls, uint64_t seed) {
  SoloRun solo(prog, 1.0, seed);
  const Arena& arena = solo.arena;
  SingleThreadResult res;
  Interpreter in(prog, solo.shared, 0, 1, seed);
  for (int i = 0; i < calls; ++i) {
    if (prog.entry_acquire >= 0) in.run(prog.entry_acquire);
    if (prog.entry_release >= 0) in.run(prog.entry_release);
  }
  const uint64_t base = reinterpret_cast<uintptr_t>(arena.base());
  auto rebase = [&](uint64_t v) { return v >= base && v < base + prog.arena_bytes ? v - base : v; };
  for (int i = 0; i < 16; ++i) res.regs[i] = rebase(in.reg(i));
  for (uint64_t off = 0; off + 8 <= prog.arena_bytes; off += 8) res.words.push_back(rebase(arena.word(off)));
  res.micro_ops = in.micro_ops();
  return res;
}

}  // namespace lockstep::native

#include "runner.hpp"

#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <algorithm>
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

// One acquisition as the harness saw it, in counter ticks: acquire called, acquire
// returned, release returned. Kept per thread and merged after the run, so the hot loop
// writes only its own memory.
struct Record {
  uint64_t call, ret, rel;
  uint64_t ops;   // micro-ops the lock's acquire and release executed
};

// The watchdog reads each thread's progress from its own line; a shared counter would add
// a coherence miss to every acquisition.
struct alignas(Arena::kAlign) Slot {
  std::atomic<uint64_t> progress{0};
};


std::string fmt_seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g s", s);
  return buf;
}

struct InterpOps {
  Interpreter& in;
  int acquire_pc, release_pc;
  bool acquire() { return in.run(acquire_pc) == Interpreter::Exit::Returned; }
  bool release() { return in.run(release_pc) == Interpreter::Exit::Returned; }
};

struct HandOps {
  HandLock& lock;
  int tid;
  const std::atomic<bool>& stop;
  bool acquire() { return lock.acquire(tid, stop); }
  bool release() { lock.release(tid); return true; }
};

class Run {
 public:
  Run(const isa::Program* prog, const config::Point& point, const NativeOptions& opt)
      : prog_(prog), pt_(point), opt_(opt), clock_(point.machine.clock_ghz),
        arena_(prog ? std::max<uint64_t>(prog->arena_bytes, 8) : 8),
        data_(size_t(std::max(1, point.workload.critical_section.lines_read +
                                     point.workload.critical_section.lines_written)) * Arena::kAlign) {
    n_ = point.workload.threads > 0 ? point.workload.threads : point.machine.cores;
    if (n_ < 1) throw InputError("native: workload.threads must be at least 1");
    capacity_ = prog ? std::max(1, prog->capacity) : 1;
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
  void violation(int tid, uint64_t holders, uint64_t iteration);
  stats::Point collect(bool stalled);

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
  std::atomic<int> arrived_{0}, done_{0};
  std::atomic<bool> violated_{false};
  std::string violation_msg_;
};

void Run::violation(int tid, uint64_t holders, uint64_t iteration) {
  if (!violated_.exchange(true)) {
    violation_msg_ = "mutual exclusion violated natively: lock " + lock_name_ + " (" +
                     (prog_ ? prog_->file : std::string("hand-written")) + "), " + std::to_string(holders) +
                     " threads in the critical section with capacity " + std::to_string(capacity_) +
                     ", seen by thread " + std::to_string(tid) + " at its acquisition " +
                     std::to_string(iteration) + " (" + std::to_string(n_) + " threads)";
  }
  sh_.stop.store(true);
}

template <class Ops>
void Run::body(int tid, Ops ops) {
  const auto& w = pt_.workload;
  const int64_t warm = std::max<int64_t>(0, w.warmup_acquisitions);
  const int64_t total = warm + std::max<int64_t>(0, w.acquisitions_per_thread);
  auto& rec = recs_[size_t(tid)];
  rec.reserve(size_t(total));
  SplitMix64 rng{pt_.seed * 0x2545f4914f6cdd1dull + uint64_t(tid) * 0x9e3779b97f4a7c15ull + 7};
  std::unique_ptr<ThreadCounters> pc;
  if (opt_.perf) pc = std::make_unique<ThreadCounters>();

  // The critical section does what sim/workload's does: read `lines_read` lines, increment
  // (non-atomically) a counter in each of `lines_written` lines, then work; line 0's counter
  // must end equal to the number of acquisitions, or increments were lost. Word 1 of line 0
  // is the checker's holder count (atomic): it shares the line the critical section writes
  // anyway, so with lines_written >= 1 the check adds no line transfer of its own.
  char* data = data_.base();
  auto* holders = reinterpret_cast<uint64_t*>(data + 8);
  auto line = [data](int k) { return reinterpret_cast<uint64_t*>(data + size_t(k) * Arena::kAlign); };
  const int lw = w.critical_section.lines_written, lr = w.critical_section.lines_read;
  const uint64_t cs_cycles = uint64_t(std::max(0, w.critical_section.cycles));
  Interpreter* in = interp_.empty() ? nullptr : interp_[size_t(tid)].get();

  arrived_.fetch_add(1);
  while (arrived_.load(std::memory_order_acquire) < n_) {
    if (sh_.yield_on_pause) sched_yield(); else hw::cpu_relax();
  }
  start_[size_t(tid)] = hw::ticks();
  for (int64_t i = 0; i < total; ++i) {
    if (i == warm && pc) pc->start();
    Record r;
    uint64_t ops0 = in ? in->micro_ops() : 0;
    r.call = hw::ticks();
    if (!ops.acquire()) break;
    r.ret = hw::ticks();
    uint64_t h = __atomic_add_fetch(holders, 1, __ATOMIC_SEQ_CST);
    if (h > uint64_t(capacity_)) violation(tid, h, uint64_t(i));
    uint64_t sink = 0;
    for (int k = 0; k < lr; ++k) sink += __atomic_load_n(line(k), __ATOMIC_RELAXED);
    asm volatile("" ::"r"(sink));
    for (int k = 0; k < lw; ++k)
      __atomic_store_n(line(k), __atomic_load_n(line(k), __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
    clock_.spin(cs_cycles);
    __atomic_sub_fetch(holders, 1, __ATOMIC_SEQ_CST);
    if (!ops.release()) break;
    r.rel = hw::ticks();
    r.ops = in ? in->micro_ops() - ops0 : 0;
    rec.push_back(r);
    slots_[size_t(tid)].progress.store(uint64_t(i) + 1, std::memory_order_relaxed);
    if (sh_.stop.load(std::memory_order_relaxed)) break;
    clock_.spin(workload::outside_cycles(w.outside, rng));
  }
  if (pc) {
    pc->stop();
    perf_[size_t(tid)] = pc->read();
  }
}

void Run::thread_main(int tid) {
  try {
    if (opt_.pin) pin_to_cpu(topo_.cpus[size_t(tid) % topo_.cpus.size()].id);
    if (hand_) body(tid, HandOps{*hand_, tid, sh_.stop});
    else body(tid, InterpOps{*interp_[size_t(tid)], prog_->entry_acquire, prog_->entry_release});
  } catch (...) {
    errors_[size_t(tid)] = std::current_exception();
    sh_.stop.store(true);
    arrived_.fetch_add(n_);  // nobody waits at the start barrier for a thread that failed
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

  std::vector<std::thread> threads;
  threads.reserve(N);
  for (int t = 0; t < n_; ++t) threads.emplace_back([this, t] { thread_main(t); });

  // The calling thread is the watchdog: progress is the sum of per-thread counters.
  bool stalled = false;
  uint64_t last_sum = UINT64_MAX;
  auto last_change = std::chrono::steady_clock::now();
  while (done_.load() < n_) {
    timespec ts{0, 10 * 1000 * 1000};
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
  // The non-atomic counter must equal the number of critical sections entered.
  uint64_t entered = 0;
  for (const auto& r : recs_) entered += r.size();
  uint64_t counted = __atomic_load_n(reinterpret_cast<uint64_t*>(data_.base()), __ATOMIC_SEQ_CST);
  if (pt_.workload.critical_section.lines_written > 0 && counted != entered)
    throw CorrectnessError("mutual exclusion violated natively: lock " + lock_name_ + ", the critical sections' counter reads " +
                           std::to_string(counted) + " after " + std::to_string(entered) + " acquisitions (" +
                           std::to_string(entered - counted) + " increments lost, " + std::to_string(n_) + " threads)");
  return collect(stalled);
}

stats::Point Run::collect(bool) {
  stats::Point st;
  const size_t N = size_t(n_);
  st.per_core.resize(N);
  // Replays the run's acquire-returns and release-completions in time order (one clock, the
  // invariant counter, for every thread) through the rules of sim/workload/harness.cpp:
  // the measured window starts when the threads' warm-up acquisitions (threads x
  // warmup_acquisitions, counted globally) are done and ends at the last release; a handoff
  // is an acquire-return that is the first after a release completion, by a thread that was
  // already waiting (called acquire before that release completed).
  struct Ev { uint64_t t; bool rel; uint32_t tid; uint32_t idx; };
  std::vector<Ev> ev;
  for (size_t t = 0; t < N; ++t)
    for (size_t i = 0; i < recs_[t].size(); ++i) {
      ev.push_back({recs_[t][i].ret, false, uint32_t(t), uint32_t(i)});
      ev.push_back({recs_[t][i].rel, true, uint32_t(t), uint32_t(i)});
    }
  std::sort(ev.begin(), ev.end(), [](const Ev& a, const Ev& b) { return a.t != b.t ? a.t < b.t : a.rel < b.rel; });
  const uint64_t warm_total = uint64_t(n_) * uint64_t(std::max<int64_t>(0, pt_.workload.warmup_acquisitions));
  uint64_t reset = UINT64_MAX, end = 0, total = 0, last_release = 0;
  for (size_t t = 0; t < N; ++t) reset = std::min(reset, start_[t]);
  bool pending = false;
  for (const auto& e : ev) {
    const Record& r = recs_[e.tid][e.idx];
    if (e.rel) {
      last_release = e.t;
      pending = true;
      end = std::max(end, e.t);
      continue;
    }
    bool handoff = pending && r.call <= last_release;
    pending = false;
    ++total;
    if (total > warm_total) {
      if (handoff) st.handoff.add(clock_.to_cycles(r.ret - last_release));
      auto& pc = st.per_core[e.tid];
      ++pc.acquisitions;
      ++st.acquisitions;
      pc.micro_ops += r.ops;
      pc.cycles_acquiring += clock_.to_cycles(r.ret - r.call);
      pc.cycles_in_cs += clock_.to_cycles(r.rel - r.ret);
    } else if (total == warm_total) {
      reset = e.t;
    }
  }
  const uint64_t start = reset;
  st.cycles = end > start ? clock_.to_cycles(end - start) : 0;

  double seconds = double(end > start ? end - start : 0) / tick_rate().hz;
  st.extra["native.acq_per_second"] = seconds > 0 ? double(st.acquisitions) / seconds : 0.0;
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

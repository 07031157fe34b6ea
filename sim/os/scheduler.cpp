#include "os/scheduler.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "cpu/core.hpp"
#include "isa/semantics.hpp"
#include "workload/harness.hpp"

namespace lockstep::os {

using cpu::Phase;

bool needed(const config::Point& p, const isa::Program& lock) {
  if (p.workload.threads > p.machine.cores || p.os.preemption.mean_interval_cycles > 0) return true;
  for (const auto& in : lock.code)
    if (in.op == isa::Op::Park || in.op == isa::Op::Wake || in.op == isa::Op::Yield || in.op == isa::Op::OwnerRunning)
      return true;
  return false;
}

namespace {
// After everything else of its cycle's memory class: fills of cycle t come first.
constexpr uint32_t kOrder = 0xfffff0;
}  // namespace

Scheduler::Scheduler(Engine& e, const config::Point& p, workload::Harness& h, std::vector<cpu::Thread>& threads)
    : engine_(e), p_(p), cfg_(p.os), harness_(h), threads_(threads), ts_(threads.size(), TS::Runnable),
      woken_early_(threads.size(), false), parked_on_(threads.size(), 0), off_parked_(threads.size(), false),
      last_core_(threads.size(), -1) {
  preemption_ = cfg_.preemption.mean_interval_cycles > 0;
}

void Scheduler::attach(std::vector<cpu::Core*> cores, Peek peek) {
  cores_ = std::move(cores);
  peek_ = std::move(peek);
  cs_.resize(cores_.size());
  for (size_t c = 0; c < cs_.size(); ++c) cs_[c].rng.s = p_.seed * 0x9e3779b97f4a7c15ULL + 0x5bd1e995ULL * (c + 1);
}

void Scheduler::schedule(Cycle at, Kind k, uint64_t arg) { engine_.schedule(at, kMemory, kOrder, this, k, arg); }

Cycle Scheduler::exp_sample(SplitMix64& r, int64_t mean) const {
  const double x = -double(mean) * std::log(r.unit_open0());
  return std::max<Cycle>(1, Cycle(std::llround(x)));
}

void Scheduler::start(Cycle t) {
  for (auto& th : threads_)
    if (th.phase != Phase::Done) rq_.push_back(th.id);
    else ts_[size_t(th.id)] = TS::Done;
  for (size_t c = 0; c < cores_.size() && !rq_.empty(); ++c) {
    const int id = rq_.front();
    rq_.pop_front();
    switch_in(int(c), threads_[size_t(id)], t, false);
  }
  if (preemption_)
    for (size_t c = 0; c < cores_.size(); ++c) arm_preempt(int(c), t);
}

// ---- bookkeeping ----------------------------------------------------------------------------

void Scheduler::account_on(cpu::Thread& t, Cycle now) const {
  const Cycle from = std::max(t.on_cpu_since, harness_.reset_cycle());
  if (now > from) t.ctr.cycles_on_cpu += now - from;
}

void Scheduler::account_off(cpu::Thread& t, Cycle now) {
  const Cycle from = std::max(t.off_since, harness_.reset_cycle());
  if (now <= from) return;
  if (off_parked_[size_t(t.id)]) t.ctr.cycles_parked += now - from;
  if (t.phase == Phase::Acquire) t.acquire_off_cpu += now - from;
}

void Scheduler::switch_in(int core, cpu::Thread& t, Cycle now, bool cost) {
  CoreState& s = cs_[size_t(core)];
  s.state = CS::Busy;
  s.t = &t;
  s.leave = Leave::None;
  s.want_slice = false;
  s.slice_start = now;
  ++s.slice_gen;
  s.slice_armed = false;
  account_off(t, now);
  off_parked_[size_t(t.id)] = false;
  t.core = core;
  t.on_cpu_since = now;
  ts_[size_t(t.id)] = TS::Running;
  last_core_[size_t(t.id)] = core;
  cores_[size_t(core)]->run(t, now + (cost ? Cycle(cfg_.context_switch_cycles) : 0));
  if (!rq_.empty()) arm_slices(now);
}

void Scheduler::switch_out(int core, Cycle now, bool parked) {
  CoreState& s = cs_[size_t(core)];
  cpu::Thread& t = *s.t;
  account_on(t, now);
  ++t.ctr.context_switches;
  t.core = -1;
  t.off_since = now;
  off_parked_[size_t(t.id)] = parked;
  s.t = nullptr;
  s.state = CS::Idle;
  s.leave = Leave::None;
  cores_[size_t(core)]->detach();
}

void Scheduler::dispatch(int core, Cycle now) {
  CoreState& s = cs_[size_t(core)];
  if (s.pending_preempt) {
    s.pending_preempt = false;
    freeze(core, now);
    return;
  }
  if (!rq_.empty()) {
    const int id = rq_.front();
    rq_.pop_front();
    switch_in(core, threads_[size_t(id)], now, true);
    return;
  }
  s.state = CS::Idle;
  check_deadlock(now);
}

void Scheduler::make_runnable(cpu::Thread& t, Cycle now) {
  ts_[size_t(t.id)] = TS::Runnable;
  int to = -1;
  const int prev = last_core_[size_t(t.id)];
  if (prev >= 0 && cs_[size_t(prev)].state == CS::Idle) to = prev;  // cache affinity: its old core
  for (size_t c = 0; to < 0 && c < cs_.size(); ++c)
    if (cs_[c].state == CS::Idle) to = int(c);
  if (to >= 0) {
    switch_in(to, t, now, true);
    return;
  }
  rq_.push_back(t.id);
  arm_slices(now);
}

// Someone waits for a core: every running thread's timeslice ends at its next boundary.
void Scheduler::arm_slices(Cycle now) {
  const Cycle ts = Cycle(cfg_.timeslice_cycles);
  for (size_t c = 0; c < cs_.size(); ++c) {
    CoreState& s = cs_[c];
    if (s.state != CS::Busy || s.slice_armed) continue;
    const Cycle k = (now - s.slice_start) / ts + 1;
    s.slice_armed = true;
    schedule(s.slice_start + k * ts, kSlice, uint64_t(c) | uint64_t(s.slice_gen) << 32);
  }
}

void Scheduler::arm_preempt(int core, Cycle now) {
  schedule(now + exp_sample(cs_[size_t(core)].rng, cfg_.preemption.mean_interval_cycles), kPreempt, uint64_t(core));
}

// The vCPU stops: its thread (if any) stays on it but does not run.
void Scheduler::freeze(int core, Cycle now) {
  CoreState& s = cs_[size_t(core)];
  s.state = CS::Frozen;
  s.want_slice = s.want_preempt = false;
  ++s.slice_gen;
  s.slice_armed = false;
  if (s.t) {
    cpu::Thread& t = *s.t;
    if (t.phase == Phase::CS || t.phase == Phase::Release) ++preempt_.holder;
    else if (t.phase == Phase::Acquire) ++preempt_.waiter;
    else ++preempt_.other;
    account_on(t, now);
    t.off_since = now;
    off_parked_[size_t(t.id)] = false;
  } else {
    ++preempt_.other;
  }
  schedule(now + exp_sample(s.rng, cfg_.preemption.mean_duration_cycles), kUnfreeze, uint64_t(core));
}

bool Scheduler::all_done() const {
  for (TS s : ts_)
    if (s != TS::Done) return false;
  return true;
}

void Scheduler::check_deadlock(Cycle now) {
  bool parked = false;
  for (TS s : ts_) {
    if (s == TS::Running || s == TS::Parking || s == TS::Waking || s == TS::Runnable) return;
    parked |= s == TS::Parked;
  }
  if (parked) harness_.report_stuck(now, "every thread that has not finished is parked, and no one is left to wake it");
}

// The core gave up its thread's pending ask (park, yield, the end): the ask moves to the core.
void Scheduler::pending_from_wants(CoreState& s) {
  if (s.want_preempt) s.pending_preempt = true;
  s.want_preempt = s.want_slice = false;
}

// ---- the micro-ops ---------------------------------------------------------------------------

bool Scheduler::park(cpu::Core& c, cpu::Thread& t, uint64_t addr, unsigned size, uint64_t v, Cycle now) {
  // The kernel compares the word under its hash-bucket lock: atomically with any wake.
  if (isa::truncate(peek_(addr, size), size) != isa::truncate(v, size)) return false;
  const size_t id = size_t(t.id);
  ts_[id] = TS::Parking;
  parked_on_[id] = addr;
  woken_early_[id] = false;
  waiters_[addr].push_back(t.id);
  CoreState& s = cs_[size_t(c.id())];
  pending_from_wants(s);
  s.state = CS::Held;
  s.leave = Leave::Park;
  schedule(now + Cycle(cfg_.park_cycles), kLeave, uint64_t(c.id()));
  return true;
}

uint64_t Scheduler::wake(uint64_t addr, uint64_t n, Cycle now) {
  auto it = waiters_.find(addr);
  uint64_t woken = 0;
  while (it != waiters_.end() && !it->second.empty() && woken < n) {
    const int id = it->second.front();
    it->second.pop_front();
    ++woken;
    ++threads_[size_t(id)].ctr.wakeups;
    if (ts_[size_t(id)] == TS::Parking) {
      woken_early_[size_t(id)] = true;  // still paying its park on its core: it just goes on
    } else {
      ts_[size_t(id)] = TS::Waking;
      schedule(now + Cycle(cfg_.wakeup_latency_cycles), kRunnable, uint64_t(id));
    }
  }
  if (it != waiters_.end() && it->second.empty()) waiters_.erase(it);
  return woken;
}

bool Scheduler::yield(cpu::Core& c, Cycle now) {
  if (rq_.empty()) return false;
  CoreState& s = cs_[size_t(c.id())];
  pending_from_wants(s);
  s.state = CS::Held;
  s.leave = Leave::Yield;
  schedule(now + Cycle(cfg_.yield_cycles), kLeave, uint64_t(c.id()));
  return true;
}

bool Scheduler::on_cpu(int tid) const {
  const int c = threads_[size_t(tid)].core;
  return c >= 0 && cs_[size_t(c)].state != CS::Frozen;
}

void Scheduler::stopped(cpu::Core& c, Cycle now) {
  const int core = c.id();
  CoreState& s = cs_[size_t(core)];
  if (s.want_preempt) {
    freeze(core, now);
    return;
  }
  if (s.want_slice) {
    s.want_slice = false;
    if (!rq_.empty() && !c.preemptible()) {  // preempt_disable: the slice ends at the next boundary
      c.run(*s.t, now);
      arm_slices(now);
      return;
    }
    if (!rq_.empty()) {
      const int id = s.t->id;
      switch_out(core, now, false);
      ts_[size_t(id)] = TS::Runnable;
      rq_.push_back(id);
      dispatch(core, now);
      return;
    }
  }
  c.run(*s.t, now);  // nothing to do after all (the queue emptied meanwhile)
}

void Scheduler::thread_done(cpu::Core& c, Cycle now) {
  CoreState& s = cs_[size_t(c.id())];
  if (s.t) ts_[size_t(s.t->id)] = TS::Done;
  pending_from_wants(s);
  s.t = nullptr;
  s.state = CS::Idle;  // the core keeps pointing at its finished thread until it gets another
  if (all_done()) return;
  dispatch(c.id(), now);
}

// ---- events ----------------------------------------------------------------------------------

void Scheduler::handle(int kind, uint64_t arg) {
  const Cycle now = engine_.now();
  switch (Kind(kind)) {
    case kLeave: {
      const int core = int(arg);
      CoreState& s = cs_[size_t(core)];
      cpu::Thread& t = *s.t;
      const size_t id = size_t(t.id);
      bool stays = false;
      if (s.leave == Leave::Park) {
        stays = woken_early_[id];
        if (!stays) {
          ts_[id] = TS::Parked;
          switch_out(core, now, true);
          dispatch(core, now);
          return;
        }
        ts_[id] = TS::Running;
      } else {  // yield
        stays = rq_.empty();
        if (!stays) {
          switch_out(core, now, false);
          ts_[id] = TS::Runnable;
          rq_.push_back(int(id));
          dispatch(core, now);
          return;
        }
      }
      s.leave = Leave::None;
      s.state = CS::Busy;
      if (s.pending_preempt) {
        s.pending_preempt = false;
        freeze(core, now);
      } else {
        cores_[size_t(core)]->run(t, now);
      }
      return;
    }
    case kRunnable: make_runnable(threads_[arg], now); return;
    case kSlice: {
      CoreState& s = cs_[size_t(arg & 0xffffffff)];
      if (uint32_t(arg >> 32) != s.slice_gen) return;  // that slice is over already
      s.slice_armed = false;
      if (s.state == CS::Busy && !rq_.empty()) {
        s.want_slice = true;
        cores_[size_t(arg & 0xffffffff)]->request_switch();
      }
      return;
    }
    case kPreempt: {
      if (all_done()) return;
      const int core = int(arg);
      CoreState& s = cs_[size_t(core)];
      if (s.state == CS::Busy) {
        s.want_preempt = true;
        cores_[size_t(core)]->request_switch();
      } else if (s.state == CS::Idle) {
        freeze(core, now);
      } else {
        s.pending_preempt = true;  // applied when the park or yield being paid ends
      }
      return;
    }
    case kUnfreeze: {
      const int core = int(arg);
      CoreState& s = cs_[size_t(core)];
      if (s.t) {
        cpu::Thread& t = *s.t;
        account_off(t, now);
        t.on_cpu_since = now;
        s.state = CS::Busy;
        s.slice_start = now;
        cores_[size_t(core)]->run(t, now);
        if (!rq_.empty()) arm_slices(now);
      } else {
        dispatch(core, now);
      }
      if (!all_done()) arm_preempt(core, now);
      return;
    }
  }
}

void Scheduler::add_open_intervals(std::vector<stats::PerCore>& out, Cycle at, Cycle reset) const {
  for (size_t i = 0; i < threads_.size() && i < out.size(); ++i) {
    const cpu::Thread& t = threads_[i];
    if (ts_[i] == TS::Done) continue;
    const bool on = t.core >= 0 && cs_[size_t(t.core)].state != CS::Frozen;
    if (on) {
      const Cycle from = std::max(t.on_cpu_since, reset);
      if (at > from) out[i].cycles_on_cpu += at - from;
    } else if (off_parked_[i]) {
      const Cycle from = std::max(t.off_since, reset);
      if (at > from) out[i].cycles_parked += at - from;
    }
  }
}

std::string Scheduler::describe() const {
  std::ostringstream o;
  for (size_t i = 0; i < threads_.size(); ++i) {
    if (ts_[i] != TS::Parked && ts_[i] != TS::Parking) continue;
    const cpu::Thread& t = threads_[i];
    o << "\n  thread " << i << ": parked on "
      << cpu::Core::describe_address(*t.lock.prog, t.lock.base, parked_on_[i]) << " (futex wait since cycle "
      << t.off_since << ")";
  }
  if (!rq_.empty()) {
    o << "\n  run queue:";
    for (int id : rq_) o << " " << id;
  }
  return o.str();
}

}  // namespace lockstep::os

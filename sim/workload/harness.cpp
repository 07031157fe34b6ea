#include "workload/harness.hpp"

#include <sstream>

#include "common/error.hpp"
#include "cpu/core.hpp"
#include "os/scheduler.hpp"
#include "workload/outside.hpp"

namespace lockstep::workload {

isa::Program critical_section_program(const config::CriticalSectionCfg& cs, int line_bytes) {
  using isa::Op;
  isa::Program p;
  p.name = "critical-section";
  p.file = "harness:critical_section";
  int n = std::max(cs.lines_read, cs.lines_written);
  isa::Variable v;
  v.kind = isa::Variable::Kind::Array;
  v.name = "cs_data";
  v.count = uint64_t(std::max(n, 1));
  v.stride = uint64_t(line_bytes);
  p.vars.push_back(v);
  p.arena_bytes = v.count * v.stride;
  auto at = [&](int i) {
    isa::Address a;
    a.kind = isa::Address::Kind::Var;
    a.var = 0;
    a.offset = int64_t(i) * line_bytes;
    return a;
  };
  auto reg = [](int r) { isa::Operand o; o.kind = isa::Operand::Kind::Reg; o.reg = uint8_t(r); return o; };
  auto imm = [](int64_t v) { isa::Operand o; o.kind = isa::Operand::Kind::Imm; o.imm = v; return o; };
  for (int i = 0; i < cs.lines_read; ++i) {
    isa::Instr ld; ld.op = Op::Ld; ld.rd = 0; ld.addr = at(i); p.code.push_back(ld);
  }
  // Written lines: load, add one, store. Without mutual exclusion increments get lost,
  // which the end-of-run check sees in cs_data[0].
  for (int i = 0; i < cs.lines_written; ++i) {
    isa::Instr ld; ld.op = Op::Ld; ld.rd = 1; ld.addr = at(i); p.code.push_back(ld);
    isa::Instr add; add.op = Op::Add; add.rd = 1; add.a = reg(1); add.b = imm(1); p.code.push_back(add);
    isa::Instr st; st.op = Op::St; st.a = reg(1); st.addr = at(i); p.code.push_back(st);
  }
  if (cs.cycles > 0) {
    isa::Instr w; w.op = Op::Work; w.a = imm(cs.cycles); p.code.push_back(w);
  }
  isa::Instr ret; ret.op = Op::Ret; p.code.push_back(ret);
  for (size_t i = 0; i < p.code.size(); ++i) p.code[i].line = int(i) + 1;
  p.entry_acquire = 0;
  p.entry_release = 0;
  return p;
}

Harness::Harness(Engine& e, const config::Point& p, const isa::Program& lock, const isa::Program& cs,
                 uint64_t arena_base, observe::Stream& stream)
    : engine_(e), p_(p), lock_(lock), cs_(cs), stream_(stream) {
  warm_total_ = int64_t(p.workload.threads) * p.workload.warmup_acquisitions;
  livelock_limit_ = uint64_t(p.run.livelock_micro_ops);
  if (lock.entry_read_acquire >= 0) {
    config::CriticalSectionCfg r = p.workload.critical_section;
    r.lines_read = std::max(r.lines_read, r.lines_written);
    r.lines_written = 0;
    cs_read_ = critical_section_program(r, p.machine.l1.line_bytes);
  }
  if (p.workload.read_fraction > 0 && lock.entry_read_acquire < 0)
    throw InputError("workload.read_fraction: lock '" + lock.name +
                     "' is not a reader-writer lock (it has no 'read_acquire:' section); use e.g. qrwlock, or leave read_fraction at 0");
  threads_.resize(size_t(p.workload.threads));
  for (int i = 0; i < p.workload.threads; ++i) {
    cpu::Thread& t = threads_[size_t(i)];
    t.id = i;
    t.lock = {&lock, arena_base, {}};
    t.cs = {&cs, arena_base + lock.arena_bytes, {}};
    t.rng.s = p.seed * 0x100000001b3ULL + uint64_t(i) * 2 + 1;
    t.outside_rng.s = p.seed * 0xc2b2ae3d27d4eb4fULL + uint64_t(i) * 2 + 2;
    t.rw_rng.s = p.seed * 0x9e3779b97f4a7c15ULL + uint64_t(i) * 2 + 3;
    t.iterations_left = p.workload.warmup_acquisitions + p.workload.acquisitions_per_thread;
  }
}

void Harness::start(Cycle t) {
  if (warm_total_ == 0) open_window(-1, t);
  for (size_t i = 0; i < threads_.size(); ++i) {
    cpu::Thread& th = threads_[i];
    if (!windowed() && th.iterations_left == 0) {
      finish(th, t);
    } else if (i < cores_.size()) {
      begin_acquire(th, cores_[i]->id(), t);
    } else {
      th.phase = cpu::Phase::Outside;  // in the run queue: it calls acquire when it first runs
    }
    if (os_) continue;
    if (th.phase != cpu::Phase::Done) {
      th.core = int(i);
      th.on_cpu_since = t;
    }
    cores_[i]->run(th, t);
  }
  if (os_) os_->start(t);
}

void Harness::begin_acquire(cpu::Thread& t, int core, Cycle at) {
  if (windowed() && closed_) {  // the window has closed: no new acquisitions
    finish(t, at);
    return;
  }
  t.phase = cpu::Phase::Acquire;
  if (!t.retrying) {  // a retry continues the same acquisition: its wait runs from the first call
    t.acquire_start = at;
    t.acquire_off_cpu = 0;
    t.wait_line = 0;
    // Reader-writer locks: read or write, drawn per acquisition (no draw for other locks).
    t.reading = p_.workload.read_fraction > 0 && t.rw_rng.unit_open0() <= p_.workload.read_fraction;
  }
  t.call(t.lock, t.reading ? lock_.entry_read_acquire : lock_.entry_acquire);
  // The core runs the save before acquire's first op; a retry is inside the same
  // spin_lock_irqsave (saving again would save "off" and the restore would leave them off).
  t.irq_save_pending = p_.workload.irqsave && !t.retrying;
  emit(observe::Ev::AcquireCall, at, core, t, 0, t.retrying ? 1 : 0);  // arg 1: a retry
}

void Harness::finish(cpu::Thread& t, Cycle now) {
  if (t.core >= 0) {  // its CPU time ends here
    const Cycle from = std::max(t.on_cpu_since, reset_cycle_);
    if (now > from) t.ctr.cycles_on_cpu += now - from;
    t.core = -1;
  }
  t.phase = cpu::Phase::Done;
  ++done_;
  if (!windowed()) end_cycle_ = std::max(end_cycle_, now);
}

Cycle Harness::returned(cpu::Core& core, cpu::Thread& t, Cycle now) {
  switch (t.phase) {
    case cpu::Phase::Acquire:
      if (lock_.can_fail && t.lock.regs[0] == 0) {  // failed (trylock, timeout): retry later
        acquire_failed(t, core.id(), now);
        t.phase = cpu::Phase::Outside;
        return now + Cycle(p_.workload.on_failure.retry_after_cycles);
      }
      acquire_returned(t, core.id(), now);
      t.phase = cpu::Phase::CS;
      if (lock_.entry_read_acquire >= 0) t.cs.prog = t.reading ? &cs_read_ : &cs_;
      t.call(t.cs, 0);
      return now;
    case cpu::Phase::CS:
      release_called(t, core.id(), now);
      t.phase = cpu::Phase::Release;
      t.call(t.lock, t.reading ? lock_.entry_read_release : lock_.entry_release);
      return now;
    default: break;
  }
  // release returned
  t.irq_restore_pending = p_.workload.irqsave;  // the core runs the restore right after
  emit(observe::Ev::ReleaseReturn, now, core.id(), t);
  if (!windowed()) end_cycle_ = std::max(end_cycle_, now);
  if (!windowed() && --t.iterations_left == 0) {
    finish(t, now);
    return now;
  }
  t.phase = cpu::Phase::Outside;  // the core calls begin_acquire when the outside work is done
  return now + workload::outside_cycles(p_.workload.outside, t.outside_rng);
}

// What a `.trylock_info` lock reported with this acquire (r1 waiters, r2 holder + 1), on `e`.
void Harness::add_trylock_info(observe::Event& e, const cpu::Thread& t) const {
  if (!lock_.trylock_info) return;
  e.count = int(std::min<uint64_t>(t.lock.regs[1], uint64_t(1) << 30));
  e.peer = t.lock.regs[2] == 0 || t.lock.regs[2] > uint64_t(threads_.size()) ? -1 : int(t.lock.regs[2]) - 1;
}

// The acquire returned r0 = 0: no lock. The thread is alive but makes no progress (the
// livelock counter keeps running); it is not a holder.
void Harness::acquire_failed(cpu::Thread& t, int core, Cycle now) {
  t.retrying = true;
  if (!(windowed() && closed_)) ++t.ctr.acquire_failures;
  if (stream_.active()) {
    observe::Event e = event(observe::Ev::AcquireReturn, now, core, t, t.wait_line, 0);
    add_trylock_info(e, t);
    stream_.emit(e);
  }
}

void Harness::irq_acquired(int holder, int core, Cycle now) {
  holders_.push_back(holder);
  check_capacity(now, "the interrupt handler's acquire just returned on core " + std::to_string(core));
}

void Harness::irq_releasing(int holder) {
  for (size_t i = 0; i < holders_.size(); ++i)
    if (holders_[i] == holder) { holders_.erase(holders_.begin() + long(i)); break; }
}

void Harness::acquire_returned(cpu::Thread& t, int core, Cycle now) {
  since_progress_ = 0;
  t.retrying = false;
  holders_.push_back(t.id);
  check_capacity(now, "thread " + std::to_string(t.id) + "'s acquire just returned on core " + std::to_string(core));
  bool counted = !(windowed() && closed_);
  if (counted) {
    const Cycle waited = now - std::max(t.acquire_start, reset_cycle_);
    t.ctr.cycles_acquiring += waited;
    t.ctr.cycles_spinning += waited - std::min(waited, t.acquire_off_cpu);
  }
  t.acquired_at = now;
  if (stream_.active()) {
    observe::Event e = event(observe::Ev::AcquireReturn, now, core, t, t.wait_line, 1);
    add_trylock_info(e, t);
    stream_.emit(e);
  }
  ++total_;
  if (t.reading) ++total_reads_;
  if (total_ > warm_total_ && counted) {
    ++measured_;
    ++t.ctr.acquisitions;
  }
  if (total_ == warm_total_) open_window(core, now);
}

// Writers: at most `capacity`, and never together with a reader; readers (of a
// reader-writer lock) may overlap. Holders above the thread count are interrupt handlers.
void Harness::check_capacity(Cycle now, const std::string& who) {
  auto reader = [this](int h) { return h < int(threads_.size()) && threads_[size_t(h)].reading; };
  int readers = 0;
  for (int h : holders_) readers += reader(h) ? 1 : 0;
  const int writers = int(holders_.size()) - readers;
  if (writers <= lock_.capacity && (writers == 0 || readers == 0)) return;
  std::ostringstream m;
  m << "mutual exclusion violated: lock '" << lock_.name << "' (capacity " << lock_.capacity << ") held by threads";
  for (int h : holders_) m << " " << h << (reader(h) ? " (reader)" : "");
  m << " at cycle " << now << " (" << who << ")";
  for (auto* k : cores_) m << "\n  " << k->where() << "; its last shared-memory ops:" << k->recent_ops();
  throw CorrectnessError(m.str());
}

// End of warm-up at `now`, during core `core`'s event (-1: before any event).
void Harness::open_window(int core, Cycle now) {
  // Cores asleep in a spin first count what they did before this event.
  for (auto* k : cores_) k->settle(k->id() < core ? now + 1 : now);
  reset_cycle_ = now;
  for (auto& t : threads_) {
    t.ctr = stats::PerCore{};
    t.acquire_off_cpu = 0;
  }
  if (reset_) reset_();
  if (stream_.active()) stream_.emit(observe::Event{observe::Ev::WindowOpen, now, core, -1, 0, 0});
  if (windowed()) {
    window_end_ = now + Cycle(p_.workload.duration_cycles);
    end_cycle_ = window_end_;
    // The close comes after everything of cycle window_end_ - 1 (last arbiter slot).
    engine_.schedule(window_end_ - 1, kArbiter, 0xffffff, this, 0);
  }
}

void Harness::handle(int, uint64_t) {
  // Counted: everything up to the end of cycle window_end_ - 1. Sleeping cores first count
  // what the unskipped run would have done by then.
  for (auto* k : cores_) k->settle(window_end_);
  closed_ = true;
  if (stream_.active()) stream_.emit(observe::Event{observe::Ev::WindowClose, window_end_, -1, -1, 0, 0});
  if (close_) close_(window_end_);
}

void Harness::release_called(cpu::Thread& t, int core, Cycle now) {
  since_progress_ = 0;
  if (!(windowed() && closed_)) t.ctr.cycles_in_cs += now - std::max(t.acquired_at, reset_cycle_);
  for (size_t i = 0; i < holders_.size(); ++i)
    if (holders_[i] == t.id) { holders_.erase(holders_.begin() + long(i)); break; }
  emit(observe::Ev::ReleaseCall, now, core, t);
}

void Harness::report_livelock(const cpu::Core& core) {
  report_stuck(engine_.now(), "livelock: " + std::to_string(livelock_limit_) +
                                  " micro-ops machine-wide without an acquire returning or a release being called; core " +
                                  std::to_string(core.id()) + " was running (run.livelock_micro_ops raises the limit)");
}

void Harness::sev(int from) {
  for (auto* k : cores_)
    if (k->id() != from) k->signal_event();
}

void Harness::check_stuck(Cycle now) {
  for (auto* k : cores_)
    if (!k->done() && !k->spinning()) return;
  if (engine_.pending_in(kMemory) > 0 || (memory_idle_ && !memory_idle_())) return;
  report_stuck(now, "every core that has not finished spins on lines nothing will change");
}

void Harness::report_stuck(Cycle now, const std::string& why) {
  std::ostringstream m;
  m << "no progress: deadlock at cycle " << now << " with lock '" << lock_.name << "' (" << why << "); " << total_;
  if (windowed()) m << " acquisitions done";
  else m << " of " << int64_t(p_.workload.threads) * (p_.workload.warmup_acquisitions + p_.workload.acquisitions_per_thread)
         << " acquisitions done";
  for (auto* k : cores_) m << "\n  " << k->where();
  if (describe_) m << describe_();
  throw NoProgressError(m.str());
}

}  // namespace lockstep::workload

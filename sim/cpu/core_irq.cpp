// The core's side of interrupts and preemption (docs/model.md "Interrupts"): the irq and
// preempt micro-ops, workload.irqsave's save and restore, raising, deferring and delivering
// interrupts at micro-op boundaries, and running a handler as a context pushed on the core.
//
// Every raise is seen at a micro-op boundary of its core that runs as an engine event at its
// own cycle (a core running ahead inline stops at the first boundary at or after a raise), so
// fast-forward on and off see, count and deliver each interrupt at the same cycle: a spinner
// asleep in fast-forward is woken at the exact boundary the unskipped run would reach.
#include <string>

#include "common/error.hpp"
#include "cpu/core.hpp"
#include "workload/harness.hpp"

namespace lockstep::cpu {

using isa::Op;
using observe::Ev;

void Core::configure_irq(const IrqSetup& s) {
  irq_setup_ = s;
  irq_.due = irq_.events = IrqSchedule(s.cfg, id_, s.cores, s.seed);
  track_bounds_ = irq_.due.any();
  handler_.id = s.handler_tid;
  handler_.lock = {s.lock, s.arena_base, {}};
  handler_.rng.s = s.seed * 0x9e3779b97f4a7c15ULL + uint64_t(s.handler_tid) * 2 + 1;
}

void Core::begin_run() {
  exec_ = stream_ && stream_->wants_exec();
  if (irq_.events.any()) engine_.schedule(irq_.events.next(), kCore, uint32_t(id_), this, kRaise);
}

stats::IrqCore Core::irq_counters() const {
  stats::IrqCore c = irq_.ctr;
  c.handler_micro_ops = handler_.ctr.micro_ops;
  return c;
}

void Core::irq_reset() {
  irq_.ctr = {};
  handler_.ctr = stats::PerCore{};
}

void Core::emit(Ev k, Cycle at, int line, const char* what, uint64_t arg) const {
  if (!stream_ || !stream_->active()) return;
  observe::Event e{k, at, id_, ev_thread(), line, arg};
  e.what = what;
  stream_->emit(e);
}

void Core::emit_exec(const isa::Instr& in, Cycle at) const {
  observe::Event e{Ev::Exec, at, id_, ev_thread(), in.line, uint64_t(t_->pc)};
  e.prog = t_->ctx->prog;
  stream_->emit(e);
}

// ---- the micro-ops ------------------------------------------------------------------------

void Core::set_irqs(bool on, Cycle at, int line, const char* what, uint64_t arg) {
  if (irq_.enabled == on) return;
  irq_.enabled = on;
  emit(on ? Ev::IrqsOn : Ev::IrqsOff, at, line, what, arg);
}

void Core::exec_irq_op(const isa::Instr& in, Cycle local) {
  switch (in.op) {
    case Op::IrqSave:
      t_->ctx->regs[in.rd] = irq_.enabled ? 1 : 0;
      set_irqs(false, local, in.line, nullptr, 0);
      break;
    case Op::IrqRestore: set_irqs(operand(in.a) != 0, local, in.line, nullptr, 0); break;
    case Op::PreemptDisable:
      if (irq_.preempt++ == 0) emit(Ev::PreemptOff, local, in.line, nullptr, 0);
      break;
    case Op::PreemptEnable:
      if (irq_.preempt == 0) fault(in, "preempt_enable: the preempt count is already 0 (more enables than disables)");
      if (--irq_.preempt == 0) emit(Ev::PreemptOn, local, in.line, nullptr, 0);
      break;
    default: break;
  }
}

// workload.irqsave: one ALU micro-op each, counted as the thread's.
void Core::harness_irq_save(Cycle at) {
  t_->irq_save_pending = false;
  ++t_->ctr.micro_ops;
  harness_.micro_op(*this);
  t_->irq_flags = irq_.enabled ? 1 : 0;
  set_irqs(false, at, 0, "lock_irqsave", 0);
}

void Core::harness_irq_restore(Cycle at) {
  t_->irq_restore_pending = false;
  ++t_->ctr.micro_ops;
  harness_.micro_op(*this);
  set_irqs(t_->irq_flags != 0, at, 0, "unlock_irqrestore", 0);
}

// ---- raising and delivering ---------------------------------------------------------------

// Every raise up to `at` becomes pending (it is counted and announced with its own cycle).
void Core::take_due(Cycle at) {
  while (irq_.due.next() <= at) {
    IrqPending p{irq_.due.next_kind(), irq_.next_id++, irq_.due.next()};
    irq_.due.pop();
    irq_.pending.push_back(p);
    ++irq_.ctr.raised;
    emit(Ev::IrqRaise, p.raised, 0, irq_name(p.kind), p.id);
  }
}

bool Core::irq_boundary(Cycle now, Cycle local) {
  if (local > now) {  // taking an interrupt touches the core's state: at its exact cycle
    engine_.schedule(local, kCore, uint32_t(id_), this, kStep);
    return false;
  }
  take_due(local);
  if (deliverable()) deliver(local);
  return true;
}

// The handler starts at `at` as a context pushed on the core: the interrupted thread keeps
// its context, pc and harness phase untouched until the handler returns.
void Core::deliver(Cycle at) {
  const IrqPending p = irq_.pending.front();
  irq_.pending.pop_front();
  ++irq_.ctr.delivered;
  irq_.ctr.deferred_cycles += at - p.raised;
  set_irqs(false, at, 0, nullptr, 1);
  irq_.in_handler = true;
  interrupted_ = t_;
  handler_enter_ = at;
  handler_irq_ = p;
  emit(Ev::IrqEnter, at, 0, irq_name(p.kind), p.id);
  const bool lock = irq_setup_.cfg.handler_takes_lock;
  // The classic self-deadlock: the handler would spin on a lock that only the thread it
  // interrupted can release, and that thread cannot run until the handler returns.
  if (lock && interrupted_->phase == Phase::CS && irq_setup_.lock->capacity == 1)
    harness_.report_stuck(at, std::string(irq_name(p.kind)) + " interrupt handler on core " + std::to_string(id_) +
                                  " waits for the lock its own core holds (acquired at cycle " +
                                  std::to_string(interrupted_->acquired_at) + " by thread " +
                                  std::to_string(interrupted_->id) + ", interrupted in its critical section; " +
                                  "workload.irqsave: true keeps interrupts off while it is held)");
  t_ = &handler_;
  handler_.cs = {irq_setup_.body[int(p.kind)], 0, {}};
  if (lock) {
    handler_.phase = Phase::Acquire;
    handler_.call(handler_.lock, irq_setup_.lock->entry_acquire);
  } else {
    handler_.phase = Phase::CS;
    handler_.call(handler_.cs, 0);
  }
  spin_reset(-1, at);
}

// A top-level routine of the handler returned at `now` (`local` = now + the ret's cycle).
bool Core::handler_returned(Cycle now, Cycle& local) {
  const bool lock = irq_setup_.cfg.handler_takes_lock;
  if (handler_.phase == Phase::Acquire) {
    if (irq_setup_.lock->can_fail && handler_.lock.regs[0] == 0) {
      // A lock whose acquire can fail (trylock, timeout) said no: a handler can neither sleep
      // nor leave its work for later here, so it tries again at once (spin_trylock in a loop).
      handler_.call(handler_.lock, irq_setup_.lock->entry_acquire);
      spin_reset(-1, local);
      return true;
    }
    harness_.irq_acquired(handler_.id, id_, now);
    handler_.phase = Phase::CS;
    handler_.call(handler_.cs, 0);
    spin_reset(-1, local);
    return true;
  }
  if (handler_.phase == Phase::CS && lock) {
    harness_.irq_releasing(handler_.id);
    handler_.phase = Phase::Release;
    handler_.call(handler_.lock, irq_setup_.lock->entry_release);
    spin_reset(-1, local);
    return true;
  }
  // The handler is done: the interrupted thread resumes at the ret's cycle.
  local = now;
  emit(Ev::IrqExit, now, 0, irq_name(handler_irq_.kind), handler_irq_.id);
  irq_.in_handler = false;
  irq_.ctr.handler_cycles += now - handler_enter_;
  t_ = interrupted_;
  interrupted_ = nullptr;
  set_irqs(true, now, 0, nullptr, 1);
  spin_reset(-1, now);
  if (t_->phase == Phase::Outside) {  // the outside work it suspended goes on for what was left
    outside_end_ += now - handler_enter_;
    take_due(now);
    if (deliverable()) {
      deliver(now);
      return true;
    }
    start_outside(now, outside_end_);
    return false;
  }
  return true;  // the next boundary (now) takes any interrupt pending meanwhile
}

// The thread does outside work from `start` to `end` (the harness's time, no micro-ops): an
// interrupt during it runs its handler there and pushes the end back by the handler's time.
void Core::start_outside(Cycle start, Cycle end) {
  outside_end_ = end;
  engine_.schedule(end, kCore, uint32_t(id_), this, kOutsideEnd, ++outside_token_);
  if (start < end && deliverable())  // pending since the irqs-off section the restore ended
    engine_.schedule(start, kCore, uint32_t(id_), this, kOutsideEnd, outside_token_);
}

bool Core::irq_outside(Cycle now) {
  take_due(now);
  if (!deliverable()) return false;
  deliver(now);
  return true;
}

// The wake-up event of a raise: a core that would not reach a boundary by itself is brought
// to the first one at or after the raise (the boundary takes it, or keeps it pending).
void Core::on_raise() {
  const Cycle r = engine_.now();
  while (irq_.events.next() <= r) irq_.events.pop();
  if (done()) return;  // a finished thread's core takes no more interrupts (the run can end)
  if (irq_.events.any()) engine_.schedule(irq_.events.next(), kCore, uint32_t(id_), this, kRaise);
  if (sleeping_) {
    resume(r);  // irq_resume() picks the boundary at or after r
  } else if (waiting_event_) {  // an interrupt ends wfe (a spurious wake-up, as wfe allows)
    waiting_event_ = false;
    engine_.schedule(r, kCore, uint32_t(id_), this, kStep);
  } else if (!irq_.in_handler && t_->phase == Phase::Outside && r < outside_end_) {
    step();
  }
}

// ---- fast-forward -------------------------------------------------------------------------

void Core::record_bound(Cycle local) {
  if (bounds_.size() == kMaxBounds) {  // too long an iteration to track: never fast-forward it
    spin_pure_ = false;
    return;
  }
  bounds_.push_back(Bound{local - spin_t0_, t_->pc, spin_uops_, uint32_t(probes_.size()), t_->ctx->regs});
}

// A sleeping spinner reaches the boundary at or after its next raise before `rs`: the
// unskipped run stops there (to take the interrupt, or keep it pending), so resume there.
void Core::irq_resume(Resume& rs) const {
  const Cycle r = irq_.due.next();
  if (sleep_bounds_.empty() || r >= rs.at) return;
  const Cycle d = r > sleep_t0_ ? r - sleep_t0_ : 0;
  uint64_t k = d / sleep_period_;
  const Cycle rem = d % sleep_period_;
  size_t b = 0;
  while (b < sleep_bounds_.size() && sleep_bounds_[b].offset < rem) ++b;
  if (b == sleep_bounds_.size()) { ++k; b = 0; }
  const Bound& bd = sleep_bounds_[b];
  const Cycle at = sleep_t0_ + k * sleep_period_ + bd.offset;
  if (at >= rs.at) return;
  rs = Resume{at, k, k * sleep_uops_ + bd.uops_before, k * sleep_probes_.size() + bd.loads_before, bd.loads_before,
              &bd.regs, bd.pc};
}

}  // namespace lockstep::cpu

#include "cpu/core.hpp"

#include <cmath>
#include <cstring>
#include <sstream>

#include "common/error.hpp"
#include "isa/semantics.hpp"
#include "os/scheduler.hpp"
#include "workload/harness.hpp"
#include "workload/numa_node.hpp"
#include "workload/outside.hpp"

namespace lockstep::cpu {

using isa::Op;

namespace {
uint64_t load_bytes(const uint8_t* p, unsigned size) {
  uint64_t v = 0;
  std::memcpy(&v, p, size);  // little-endian host, as x86-64 and AArch64 are
  return v;
}
void store_bytes(uint8_t* p, unsigned size, uint64_t v) { std::memcpy(p, &v, size); }

// A write that costs core.atomic_cycles on top of the access: every one but a plain store (stx
// counts as atomic; the tracepoint's buffer store is a plain store).
bool is_rmw(Op op) { return op != Op::St && op != Op::Trace; }

// Ops whose effect reaches beyond the core: a spin iteration containing one is not a fixed
// point. A load is pure when it hits (exec_memory clears purity on a miss).
bool is_pure(Op op) {
  switch (op) {
    case Op::St: case Op::Xchg: case Op::Cas: case Op::Faa: case Op::FetchOr:
    case Op::FetchAnd: case Op::Tas: case Op::Ldx: case Op::Stx: case Op::Call: case Op::Ret:
    case Op::Rand: case Op::Now: case Op::Sev: case Op::Wfe: case Op::Prefetchw:
    case Op::IrqSave: case Op::IrqRestore: case Op::PreemptDisable: case Op::PreemptEnable:
    case Op::Park: case Op::Wake: case Op::Yield: case Op::OwnerRunning:
    case Op::Trace:  // counted and observed each time: a spin holding one is never skipped
      return false;
    default:
      return true;
  }
}
}  // namespace

Core::Core(int id, Engine& e, const config::Point& p, Harness& h, MemPort* port, uint64_t arena_base)
    : id_(id), engine_(e), point_(p), core_cfg_(p.machine.core), hit_cycles_(p.machine.l1.hit_cycles),
      line_bytes_(p.machine.l1.line_bytes), harness_(h), port_(port), arena_base_(arena_base),
      sb_cap_(size_t(p.machine.core.store_buffer)) {}

void Core::run(Thread& t, Cycle at) {
  t_ = &t;
  switch_req_ = false;
  if (t.phase == Phase::Done) return;  // nothing to run (it has no context to reset)
  spin_reset(-1, at);
  if (t.phase != Phase::Done) engine_.schedule(at, kCore, uint32_t(id_), this, kStep);
}

void Core::handle(int kind, uint64_t arg) {
  if (kind == kStep) step();
  else if (kind == kDrain) drain();
  else if (kind == kRaise) on_raise();
  // Outside work ends (or a pending interrupt is taken in it); not when an interrupt moved the end.
  else if (kind == kOutsideEnd && arg == outside_token_ && !irq_.in_handler) step();
}

uint64_t Core::operand(const isa::Operand& o) const {
  switch (o.kind) {
    case isa::Operand::Kind::Reg: return t_->ctx->regs[o.reg];
    case isa::Operand::Kind::Imm: return uint64_t(o.imm);
    case isa::Operand::Kind::Tid: return uint64_t(t_->id);
    case isa::Operand::Kind::Node: return uint64_t(workload::numa_node_of(point_.machine, id_));
    case isa::Operand::Kind::None: return 0;
  }
  return 0;
}

void Core::fault(const isa::Instr& in, const std::string& msg) const {
  throw InputError(located(t_->ctx->prog->file, in.line, in.col, msg + " (core " + std::to_string(id_) + ", cycle " +
                                                                   std::to_string(engine_.now()) + ")"));
}

// Runs from t_->pc at the current cycle until the core must wait: for an exact cycle (the next
// shared-state op), for a miss, for an event (wfe), for a change (fast-forward), or the end.
void Core::step() {
  Cycle now = engine_.now();
  Cycle local = now;
  const auto& cc = core_cfg_;
  // The OS model takes the thread here when asked (not inside a handler or an interrupted
  // stretch of outside work: both belong to this core's state).
  if (switch_req_ && !irq_.in_handler && !(t_->phase == Phase::Outside && now < outside_end_) && os_stop(now)) return;
  if (t_->phase == Phase::Outside && !irq_.in_handler) {
    if (now < outside_end_) {  // an interrupt arrives during the outside work
      if (!irq_outside(now)) return;
    } else {                   // outside work done: acquire again
      harness_.begin_acquire(*t_, id_, now);
      if (t_->phase == Phase::Done) return finished(now);
    }
  }
  for (;;) {
    // Private work never needs an event, but a runaway private loop must not hang the host.
    if (local - now > (1u << 20)) {
      engine_.schedule(local, kCore, uint32_t(id_), this, kStep);
      return;
    }
    // A micro-op boundary: interrupts raised by now are seen, and one is taken if it can be.
    if (irq_check(local) && !irq_boundary(now, local)) return;
    if (t_->irq_save_pending) {  // workload.irqsave: spin_lock_irqsave's save, before acquire
      harness_irq_save(local);
      local += Cycle(cc.alu_cycles);
      continue;
    }
    const auto& code = t_->ctx->prog->code;
    const isa::Instr& in = code[size_t(t_->pc)];
    auto& r = t_->ctx->regs;
    if (!is_pure(in.op)) { spin_pure_ = false; spinning_ = false; }

    if (isa::is_memory(in.op) || in.op == Op::Wfe || in.op == Op::Sev || in.op == Op::Prefetchw ||
        (in.op == Op::Fence && !sb_.empty()) || (in.op == Op::Ret && t_->stack.empty()) ||
        in.op == Op::Park || in.op == Op::Wake || in.op == Op::Yield || in.op == Op::OwnerRunning ||
        (in.op == Op::Trace && t_->ctx->prog->trace_mode == isa::TraceMode::On)) {
      if (local > now) {  // shared state is touched only at its exact cycle
        engine_.schedule(local, kCore, uint32_t(id_), this, kStep);
        return;
      }
      if (switch_req_ && !irq_.in_handler && os_stop(now)) return;  // the OS takes the thread at an exact cycle
    }
    if (track_bounds_ && spin_pure_) record_bound(local);  // before it is counted
    ++t_->ctr.micro_ops;
    ++spin_uops_;
    harness_.micro_op(*this);
    if (exec_) emit_exec(in, local);
    switch (in.op) {
      case Op::Li: r[in.rd] = operand(in.a); local += Cycle(cc.alu_cycles); ++t_->pc; break;
      case Op::Mov: r[in.rd] = operand(in.a); local += Cycle(cc.alu_cycles); ++t_->pc; break;
      case Op::Add: case Op::Sub: case Op::And: case Op::Or: case Op::Xor: case Op::Shl: case Op::Shr:
      case Op::Mul: case Op::Mod:
        r[in.rd] = isa::alu(in.op, operand(in.a), operand(in.b));
        local += Cycle(cc.alu_cycles);
        ++t_->pc;
        break;
      case Op::Lea:
        if (!isa::index_in_range(*t_->ctx->prog, in.addr, r.data())) fault(in, isa::index_error(*t_->ctx->prog, in.addr, r.data()));
        r[in.rd] = isa::address(*t_->ctx->prog, in.addr, t_->ctx->base, t_->id, r.data());
        local += Cycle(cc.alu_cycles);
        ++t_->pc;
        break;
      case Op::Beq: case Op::Bne: case Op::Blt: case Op::Ble: case Op::Bgt: case Op::Bge: case Op::Jmp: {
        bool taken = in.op == Op::Jmp || isa::branch_taken(in.op, operand(in.a), operand(in.b));
        local += Cycle(cc.alu_cycles);
        int from = t_->pc;
        t_->pc = taken ? in.target : t_->pc + 1;
        // Where this acquire waits: its first loop (lockstat's contention point).
        if (taken && in.target <= from && t_->phase == Phase::Acquire && t_->wait_line == 0)
          t_->wait_line = code[size_t(in.target)].line;
        if (taken && in.target <= from && spin_check(in.target, local)) return;
        break;
      }
      case Op::Call:
        if (t_->stack.size() == kMaxCallDepth)
          fault(in, "call stack deeper than " + std::to_string(kMaxCallDepth) + " (a recursion without a base case?)");
        t_->stack.push_back(t_->pc + 1);
        t_->pc = in.target;
        local += Cycle(cc.alu_cycles);
        break;
      case Op::Ret:
        local += Cycle(cc.alu_cycles);
        if (!t_->stack.empty()) {
          t_->pc = t_->stack.back();
          t_->stack.pop_back();
          break;
        }
        if (irq_.in_handler) {  // a routine of the interrupt handler returned
          if (!handler_returned(now, local)) return;
          break;
        }
        // A routine returned at `now`: the harness moves the thread's loop on and says
        // when it continues (after outside work), or that it is done.
        {
          Cycle next = harness_.returned(*this, *t_, now);
          Cycle start = now;  // of the outside work
          if (t_->irq_restore_pending) {  // spin_unlock_irqrestore: the restore after release returns
            harness_irq_restore(now);
            start = now + Cycle(cc.alu_cycles);
            next += Cycle(cc.alu_cycles);
          }
          if (t_->phase == Phase::Done) return finished(now);
          // Into the next routine the ret costs its cycle; outside work starts at the ret.
          if (t_->phase == Phase::Outside) local = next;
          if (t_->phase == Phase::Outside && local > now) {
            start_outside(start, local);
            return;
          }
        }
        if (t_->phase == Phase::Outside) {  // the acquire call is an event at its own cycle
          if (local > now) {
            engine_.schedule(local, kCore, uint32_t(id_), this, kStep);
            return;
          }
          harness_.begin_acquire(*t_, id_, now);
          if (t_->phase == Phase::Done) return finished(now);
        }
        spin_reset(-1, local);
        break;
      case Op::Fence:
        if (!sb_.empty()) {  // a full barrier: every earlier store performed first
          undo_count();
          waiting_sb_ = true;
          return;
        }
        local += Cycle(cc.fence_cycles);
        ++t_->pc;
        break;
      case Op::Prefetchw: {
        const uint64_t a = isa::address(*t_->ctx->prog, in.addr, t_->ctx->base, t_->id, r.data());
        if (a < t_->ctx->base || a >= t_->ctx->base + t_->ctx->prog->arena_bytes)
          fault(in, "prefetchw: address " + std::to_string(a) + " is outside the lock's memory");
        prefetch(a / uint64_t(line_bytes_));
        local += Cycle(cc.alu_cycles);
        ++t_->pc;
        break;
      }
      case Op::Pause: local += Cycle(cc.pause_cycles); ++t_->pc; break;
      case Op::Trace: {
        // nop: the patched-out site; on: the probe, which stores to this core's trace-buffer
        // line (a real access: a miss the first time, then normally an L1 hit).
        const isa::Program& prog = *t_->ctx->prog;
        const char* name = prog.trace_names[size_t(in.a.imm)].c_str();
        const Cycle at = local;
        if (prog.trace_mode != isa::TraceMode::On) {
          harness_.tracepoint(id_, *t_, at, in.line, name);
          local += Cycle(cc.trace_nop_cycles);
          ++t_->pc;
          break;
        }
        const uint64_t addr = trace_buffer_line(id_, line_bytes_) * uint64_t(line_bytes_);
        const bool done = access_memory(in, addr, local);
        if (done || blocked_) harness_.tracepoint(id_, *t_, at, in.line, name);  // else it runs again
        if (!done) return;
        break;
      }
      case Op::Work: {
        const uint64_t n = operand(in.a);
        if (int64_t(n) < 0) fault(in, "work: negative cycle count " + std::to_string(int64_t(n)));
        local += n;
        ++t_->pc;
        break;
      }
      case Op::Rand: {
        uint64_t lo = operand(in.a), hi = operand(in.b);
        r[in.rd] = hi >= lo ? lo + t_->rng.below(hi - lo + 1) : lo;
        local += Cycle(cc.alu_cycles);
        ++t_->pc;
        break;
      }
      case Op::Now: r[in.rd] = local; local += Cycle(cc.alu_cycles); ++t_->pc; break;
      case Op::Sev:
        harness_.sev(id_);
        local += Cycle(cc.alu_cycles);
        ++t_->pc;
        break;
      case Op::Wfe:
        ++t_->pc;
        if (event_flag_) {
          event_flag_ = false;
          local += Cycle(cc.alu_cycles);
          break;
        }
        waiting_event_ = true;
        return;
      case Op::IrqSave: case Op::IrqRestore: case Op::PreemptDisable: case Op::PreemptEnable:
        exec_irq_op(in, local);
        local += Cycle(cc.alu_cycles);
        ++t_->pc;
        break;
      case Op::Park: case Op::Wake: case Op::Yield: case Op::OwnerRunning:
        if (!exec_os(in, local)) return;
        break;
      default:  // memory ops
        if (!exec_memory(in, local)) return;
        break;
    }
  }
}

// Executes one memory op at the current cycle. Returns false when the core blocks on a miss.
bool Core::exec_memory(const isa::Instr& in, Cycle& local) {
  auto& r = t_->ctx->regs;
  if (!isa::index_in_range(*t_->ctx->prog, in.addr, r.data())) fault(in, isa::index_error(*t_->ctx->prog, in.addr, r.data()));
  uint64_t addr = isa::address(*t_->ctx->prog, in.addr, t_->ctx->base, t_->id, r.data());
  if (addr % in.size) fault(in, "misaligned " + std::to_string(in.size) + "-byte access at address " + std::to_string(addr));
  uint64_t lo = t_->ctx->base, hi = t_->ctx->base + t_->ctx->prog->arena_bytes;
  if (addr < lo || addr + in.size > hi)
    fault(in, "address " + std::to_string(addr) + " is outside the lock's memory [" + std::to_string(lo) + ", " +
                  std::to_string(hi) + ")");
  return access_memory(in, addr, local);
}

// The access of a memory op (or an enabled tracepoint's buffer store) to `addr`.
bool Core::access_memory(const isa::Instr& in, uint64_t addr, Cycle& local) {
  auto& r = t_->ctx->regs;
  uint64_t line = addr / uint64_t(line_bytes_);
  if (in.op == Op::Stx && !(monitor_ && monitor_line_ == line)) {
    r[in.rd] = 0;  // the monitor was lost: stx fails without touching the line
    monitor_ = false;
    ++t_->pc;
    local += Cycle(hit_cycles_);
    return true;
  }
  if (sb_cap_ > 0 && store_buffer_op(in, addr, local) == Sb::Done) return true;
  if (waiting_sb_) return false;
  const bool write_access = in.op != Op::Ld && in.op != Op::Ldx;
  if (port_user_ != PortUser::None && !port_->hits_while_busy(line, write_access)) {
    // The port serves the drain's or a prefetch's miss, and this access would miss too.
    undo_count();
    waiting_port_ = true;
    return false;
  }
  bool write = in.op != Op::Ld && in.op != Op::Ldx;
  // A load may be part of a spin iteration: remember the registers before it.
  bool probe = in.op == Op::Ld && spin_pure_;
  if (probe && probes_.size() == kMaxProbes) {
    probe = false;  // too long an iteration to track: never fast-forward it
    spin_pure_ = false;
  }
  if (probe) probes_.push_back(Probe{engine_.now() - spin_t0_, t_->pc, spin_uops_ - 1, line, r});
  pending_ = Pending{&in, addr, write};
  performing_ = PortUser::Core;
  const bool hit = port_->access(line, write);
  performing_ = PortUser::None;
  if (hit) {
    ++t_->ctr.l1_hits;
    local += Cycle(hit_cycles_) + (write ? Cycle(core_cfg_.atomic_cycles) * is_rmw(in.op) : 0) +
             (in.op == Op::Trace ? Cycle(core_cfg_.trace_on_cycles) : 0);
    return true;
  }
  if (probe) probes_.pop_back();
  spin_pure_ = false;
  spinning_ = false;
  ++t_->ctr.l1_misses;
  blocked_ = true;
  port_user_ = PortUser::Core;
  return false;
}

void Core::undo_count() {
  --t_->ctr.micro_ops;
  --spin_uops_;
}

// ---- store buffer (TSO) and prefetch ------------------------------------------------------
//
// Stores retire into a FIFO of `machine.core.store_buffer` entries and drain in order, one at
// a time, through the L1 port; the core goes on meanwhile. A load takes its value from the
// youngest buffered store to the same address and size (forwarding); one that overlaps a
// buffered store otherwise waits until the buffer is empty. Atomics, ldx/stx and fence wait
// until the buffer is empty (x86's locked instructions and MFENCE drain it). The L1 serves one
// access at a time: a core access waits while the drain's (or a prefetch's) miss is out.

Core::Sb Core::store_buffer_op(const isa::Instr& in, uint64_t addr, Cycle& local) {
  if (in.op == Op::St || in.op == Op::Trace) {
    if (sb_.size() == sb_cap_) {
      undo_count();
      waiting_sb_ = true;
      return Sb::Wait;
    }
    sb_.push_back(SbEntry{addr, operand(in.a) & isa::mask(in.size), addr / uint64_t(line_bytes_), in.size});
    remember(in.op, addr, sb_.back().value, true);
    if (!drain_scheduled_ && port_user_ != PortUser::Drain) {
      drain_scheduled_ = true;
      engine_.schedule(engine_.now(), kCore, uint32_t(id_), this, kDrain);
    }
    spin_pure_ = false;
    ++t_->pc;
    local += Cycle(in.op == Op::Trace ? core_cfg_.trace_on_cycles : core_cfg_.alu_cycles);
    return Sb::Done;
  }
  if (sb_.empty()) return Sb::Wait;  // nothing buffered: the access goes to the L1
  if (in.op == Op::Ld) {
    for (auto it = sb_.rbegin(); it != sb_.rend(); ++it) {
      if (it->addr == addr && it->size == in.size) {  // forward the youngest match
        t_->ctx->regs[in.rd] = it->value;
        remember(in.op, addr, it->value, true);
        spin_pure_ = false;  // a forwarded value is no fixed point of a spin
        ++t_->pc;
        local += Cycle(hit_cycles_);
        return Sb::Done;
      }
      if (it->addr < addr + in.size && addr < it->addr + it->size) break;  // partial overlap
    }
    bool overlap = false;
    for (const auto& e : sb_) overlap |= e.addr < addr + in.size && addr < e.addr + e.size;
    if (!overlap) return Sb::Wait;  // the L1 answers it
  }
  // Atomics, ldx/stx, and loads that overlap a buffered store partially: drain first.
  undo_count();
  waiting_sb_ = true;
  return Sb::Wait;
}

void Core::drain() {
  drain_scheduled_ = false;
  if (sb_.empty() || port_user_ != PortUser::None) return;  // miss_done() starts it again
  const SbEntry& e = sb_.front();
  performing_ = PortUser::Drain;
  const bool hit = port_->access(e.line, true);
  performing_ = PortUser::None;
  if (!hit) {
    ++t_->ctr.l1_misses;
    port_user_ = PortUser::Drain;
    return;
  }
  ++t_->ctr.l1_hits;
  drained_one();
  if (!sb_.empty()) {
    drain_scheduled_ = true;
    engine_.schedule(engine_.now() + Cycle(hit_cycles_), kCore, uint32_t(id_), this, kDrain);
  }
}

// The oldest store was performed: the core may go on if it waited for room or for empty.
void Core::drained_one() {
  sb_.pop_front();
  if (waiting_sb_) {  // it re-runs its op, which waits again if the buffer is not yet as it needs
    waiting_sb_ = false;
    engine_.schedule(engine_.now(), kCore, uint32_t(id_), this, kStep);
  }
}

// prefetchw: ask for the line writable without waiting for it. A hint: dropped when the port
// is busy; a line already writable is a hit that only refreshes its LRU position.
void Core::prefetch(uint64_t line) {
  if (port_user_ != PortUser::None) return;
  performing_ = PortUser::Prefetch;
  const bool hit = port_->access(line, true);
  performing_ = PortUser::None;
  if (!hit) port_user_ = PortUser::Prefetch;
}

void Core::perform(uint8_t* data) {
  const PortUser who = performing_ != PortUser::None ? performing_ : port_user_;
  if (who == PortUser::Prefetch) return;
  if (who == PortUser::Drain) {
    const SbEntry& e = sb_.front();
    store_bytes(data + e.addr % uint64_t(line_bytes_), e.size, e.value);
    return;
  }
  const isa::Instr& in = *pending_.in;
  auto& r = t_->ctx->regs;
  unsigned size = in.size;
  uint8_t* p = data + pending_.addr % uint64_t(line_bytes_);
  uint64_t m = isa::mask(size);
  switch (in.op) {
    case Op::Ld: r[in.rd] = load_bytes(p, size); break;
    case Op::Ldx:
      r[in.rd] = load_bytes(p, size);
      monitor_ = true;
      monitor_line_ = pending_.addr / uint64_t(line_bytes_);
      break;
    case Op::St: case Op::Trace: store_bytes(p, size, operand(in.a) & m); break;
    case Op::Stx:
      if (monitor_ && monitor_line_ == pending_.addr / uint64_t(line_bytes_)) {
        store_bytes(p, size, operand(in.a) & m);
        r[in.rd] = 1;
      } else {
        r[in.rd] = 0;
      }
      monitor_ = false;
      break;
    default: {  // read-modify-write atomics
      uint64_t old = load_bytes(p, size);
      uint64_t nv = isa::rmw_new(in.op, old, operand(in.a), operand(in.b), size);
      store_bytes(p, size, nv & m);
      r[in.rd] = old;
      break;
    }
  }
  const bool stored = in.op == Op::St || in.op == Op::Stx || in.op == Op::Trace;
  remember(in.op, pending_.addr, stored ? operand(in.a) & m : r[in.rd], false);
  ++t_->pc;
}

void Core::miss_done() {
  const PortUser who = port_user_;
  port_user_ = PortUser::None;
  if (who == PortUser::Core) {
    blocked_ = false;
    // An atomic read-modify-write costs core.atomic_cycles on top of the access, hit or miss.
    const Op op = pending_.in->op;
    const bool atomic = pending_.write && is_rmw(op);
    const Cycle extra = (atomic ? Cycle(core_cfg_.atomic_cycles) : 0) + (op == Op::Trace ? Cycle(core_cfg_.trace_on_cycles) : 0);
    engine_.schedule(engine_.now() + extra, kCore, uint32_t(id_), this, kStep);
  } else {
    if (who == PortUser::Drain) drained_one();
    if (waiting_port_) {
      waiting_port_ = false;
      engine_.schedule(engine_.now(), kCore, uint32_t(id_), this, kStep);
    }
  }
  if (!sb_.empty() && !drain_scheduled_) {
    drain_scheduled_ = true;
    engine_.schedule(engine_.now(), kCore, uint32_t(id_), this, kDrain);
  }
}

void Core::line_changed(uint64_t line, bool lost_copy) {
  if (lost_copy && monitor_ && monitor_line_ == line) {
    monitor_ = false;
    event_flag_ = true;  // losing the monitor is an event for wfe (as on AArch64)
    if (waiting_event_) {
      waiting_event_ = false;
      event_flag_ = false;
      Priority p = engine_.current_priority();
      engine_.schedule(engine_.now() + (p == kMemory ? 0 : 1), kCore, uint32_t(id_), this, kStep);
    }
  }
  // A line the current candidate iteration has already read changed: the registers it
  // loaded are stale, so that iteration proves nothing.
  for (const auto& pr : probes_)
    if (pr.line == line) {
      spin_pure_ = false;
      spinning_ = false;
    }
  bool watched = false;
  for (uint64_t w : watch_) watched |= (w == line);
  if (!watched) return;
  spinning_ = false;
  if (sleeping_) wake(engine_.now(), engine_.current_priority());
}

void Core::signal_event() {
  if (waiting_event_) {
    waiting_event_ = false;
    engine_.schedule(engine_.now() + 1, kCore, uint32_t(id_), this, kStep);
  } else {
    event_flag_ = true;
  }
}

// ---- spin detection and fast-forward -------------------------------------------------------

void Core::spin_reset(int head, Cycle t) {
  spin_head_ = head;
  spin_ctx_ = t_->ctx;
  if (t_->ctx) spin_regs_ = t_->ctx->regs;  // no context yet: a thread about to call acquire
  spin_t0_ = t;
  spin_pure_ = head >= 0;
  spin_uops_ = 0;
  probes_.clear();
  bounds_.clear();
}

bool Core::spin_check(int head, Cycle t) {
  // With stores still buffered the core's view can change when they drain: no fixed point.
  bool fixed = spin_head_ == head && spin_ctx_ == t_->ctx && spin_pure_ && t_->ctx->regs == spin_regs_ && sb_.empty();
  if (!fixed) {
    spinning_ = false;
    spin_reset(head, t);
    return false;
  }
  if (probes_.empty())
    harness_.report_stuck(t, "core " + std::to_string(id_) + " loops forever without reading memory at " +
                                 t_->ctx->prog->file + ":" + std::to_string(t_->ctx->prog->code[size_t(head)].line));
  watch_.clear();
  for (auto& pr : probes_) watch_.push_back(pr.line);
  spinning_ = true;
  if (point_.run.fast_forward) {
    sleeping_ = true;
    sleep_probes_ = probes_;
    sleep_bounds_ = bounds_;
    sleep_t0_ = t;
    sleep_period_ = t - spin_t0_;
    sleep_uops_ = spin_uops_;
    sleep_counted_uops_ = sleep_counted_hits_ = sleep_counted_iters_ = 0;
    spin_reset(-1, t);
    return true;
  }
  harness_.check_stuck(engine_.now());
  spin_reset(head, t);
  spinning_ = true;
  return false;
}

// A watched line changed at cycle t (during an event of class p). Resume exactly where the
// unskipped run would be: at the first spin load whose cycle orders after (t, p) (or, with
// interrupts, at an earlier boundary where the unskipped run stops to take one).
void Core::wake(Cycle t, Priority p) {
  resume(p == kMemory ? t : t + 1);  // core ops at cycle t see memory events of cycle t
}

void Core::resume(Cycle first) {
  sleeping_ = false;
  spinning_ = false;
  const Resume rs = resume_at(first);
  settle_counts(rs);
  t_->ctx->regs = *rs.regs;
  t_->pc = rs.pc;
  // The LRU order the skipped iterations would have left: loads j..n-1 then 0..j-1.
  for (size_t i = rs.j; i < sleep_probes_.size(); ++i) port_->touch(sleep_probes_[i].line);
  for (size_t i = 0; i < rs.j; ++i) port_->touch(sleep_probes_[i].line);
  spin_reset(-1, rs.at);
  engine_.schedule(rs.at, kCore, uint32_t(id_), this, kStep);
}

// The first skipped load whose cycle is >= `first`: iteration k (returned), load j.
uint64_t Core::resume_point(Cycle first, size_t& j) const {
  Cycle d = first > sleep_t0_ ? first - sleep_t0_ : 0;
  uint64_t k = d / sleep_period_;
  Cycle rem = d % sleep_period_;
  j = 0;
  while (j < sleep_probes_.size() && sleep_probes_[j].offset < rem) ++j;
  if (j == sleep_probes_.size()) { ++k; j = 0; }
  return k;
}

// Where the unskipped run's next event is, from cycle `first` on: at load j of iteration k,
// with what it has counted before it (k whole iterations plus the ops ahead of load j).
Core::Resume Core::resume_at(Cycle first) const {
  size_t j = 0;
  const uint64_t k = resume_point(first, j);
  const Probe& pr = sleep_probes_[j];
  Resume rs{sleep_t0_ + k * sleep_period_ + pr.offset, k, k * sleep_uops_ + pr.uops_before,
            k * sleep_probes_.size() + j, j, &pr.regs, pr.pc};
  irq_resume(rs);
  return rs;
}

// Brings the counters to what the unskipped run has counted at `rs`.
void Core::settle_counts(const Resume& rs) {
  t_->ctr.micro_ops += rs.uops - sleep_counted_uops_;
  t_->ctr.l1_hits += rs.hits - sleep_counted_hits_;
  t_->ctr.spin_iterations_skipped += rs.k - sleep_counted_iters_;
  sleep_counted_uops_ = rs.uops;
  sleep_counted_hits_ = rs.hits;
  sleep_counted_iters_ = rs.k;
}

// The warm-up reset happens while this core sleeps: count what the unskipped run would
// have counted before it, so that zeroing the counters drops exactly that.
void Core::settle(Cycle first_after) {
  if (!sleeping_) return;
  settle_counts(resume_at(first_after));
}

// ---- reporting -----------------------------------------------------------------------------

std::string Core::describe_address(const isa::Program& p, uint64_t base, uint64_t addr) {
  if (addr >= kTraceBufferBase) return "[trace buffer]";
  for (const auto& v : p.vars) {
    uint64_t start = base + v.offset;
    uint64_t extent = v.kind == isa::Variable::Kind::Shared ? v.words * 8 : v.count * v.stride;
    if (addr < start || addr >= start + extent) continue;
    uint64_t rel = addr - start;
    std::ostringstream o;
    o << "[" << v.name;
    if (v.kind != isa::Variable::Kind::Shared && v.stride) {
      o << " @ " << rel / v.stride;
      rel %= v.stride;
    }
    if (rel) o << " + " << rel;
    o << "]";
    return o.str();
  }
  return "address " + std::to_string(addr);
}

std::string Core::recent_ops() const {
  std::ostringstream o;
  if (!t_) return "";
  const unsigned n = std::min<unsigned>(recent_n_, unsigned(recent_.size()));
  for (unsigned i = recent_n_ - n; i < recent_n_; ++i) {
    const Recent& e = recent_[i % recent_.size()];
    o << "\n    cycle " << e.at << ": " << isa::op_name(e.op) << " "
      << describe_address(*t_->lock.prog, arena_base_, e.addr) << (e.op == Op::Ld || e.op == Op::Ldx ? " -> " : " <- ")
      << e.value << (e.buffered ? (e.op == Op::St ? " (into the store buffer)" : " (from the store buffer)") : "");
  }
  return o.str();
}

std::string Core::where() const {
  std::ostringstream o;
  o << "core " << id_ << ": ";
  if (!t_) return o.str() + "idle (no thread to run)";
  if (os_) o << "thread " << t_->id << " ";
  if (irq_.in_handler) o << irq_name(handler_irq_.kind) << " interrupt handler (since cycle " << handler_enter_ << "), ";
  if (t_->phase == Phase::Done) return o.str() + "finished";
  if (!t_->ctx) return o.str() + "about to call acquire";
  static const char* phases[] = {"idle", "acquire", "critical section", "release", "outside", "done"};
  const isa::Program& prog = *t_->ctx->prog;
  const isa::Instr& in = prog.code[size_t(t_->pc)];
  o << "in " << phases[int(t_->phase)] << " at " << prog.file << ":" << in.line << " (" << isa::op_name(in.op) << ")";
  if (sleeping_ || spinning_) {
    o << ", spinning until the line of";
    for (auto w : watch_) o << " " << describe_address(*t_->lock.prog, arena_base_, w * uint64_t(line_bytes_));
    o << " changes";
  } else if (waiting_event_) {
    o << ", waiting in wfe for an event";
  } else if (waiting_sb_) {
    o << ", waiting for its store buffer to drain";
  } else if (blocked_) {
    o << ", waiting for a miss on " << describe_address(*t_->lock.prog, arena_base_, pending_.addr);
  }
  if (!sb_.empty()) {
    o << "; store buffer holds";
    for (const auto& e : sb_) o << " " << describe_address(*t_->lock.prog, arena_base_, e.addr) << " = " << e.value;
  }
  return o.str();
}

}  // namespace lockstep::cpu

#include "cpu/core.hpp"

#include <cmath>
#include <cstring>
#include <sstream>

#include "common/error.hpp"
#include "isa/semantics.hpp"
#include "workload/harness.hpp"
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

// Ops whose effect reaches beyond the core: a spin iteration containing one is not a fixed
// point. A load is pure when it hits (exec_memory clears purity on a miss).
bool is_pure(Op op) {
  switch (op) {
    case Op::St: case Op::Xchg: case Op::Cas: case Op::Faa: case Op::FetchOr:
    case Op::FetchAnd: case Op::Tas: case Op::Ldx: case Op::Stx: case Op::Call: case Op::Ret:
    case Op::Rand: case Op::Now: case Op::Sev: case Op::Wfe:
      return false;
    default:
      return true;
  }
}
}  // namespace

Core::Core(int id, Engine& e, const config::Point& p, Harness& h, MemPort* port, const isa::Program& lock,
           const isa::Program& cs, uint64_t arena_base)
    : id_(id), engine_(e), point_(p), core_cfg_(p.machine.core), hit_cycles_(p.machine.l1.hit_cycles),
      line_bytes_(p.machine.l1.line_bytes), harness_(h), port_(port), arena_base_(arena_base) {
  lock_.prog = &lock;
  lock_.base = arena_base;
  cs_.prog = &cs;
  cs_.base = arena_base + lock.arena_bytes;
  rng_.s = p.seed * 0x100000001b3ULL + uint64_t(id) * 2 + 1;
  outside_rng_.s = p.seed * 0xc2b2ae3d27d4eb4fULL + uint64_t(id) * 2 + 2;
  iterations_left_ = p.workload.warmup_acquisitions + p.workload.acquisitions_per_thread;
}

void Core::start(Cycle t) {
  if (iterations_left_ == 0) {
    phase_ = Phase::Done;
    harness_.finished(*this, t);
    return;
  }
  phase_ = Phase::Acquire;
  acquire_start_ = t;
  call(lock_, lock_.prog->entry_acquire);
  engine_.schedule(t, kCore, uint32_t(id_), this, kStep);
}

void Core::call(Context& c, int entry) {
  ctx_ = &c;
  pc_ = entry;
  stack_.clear();
}

void Core::handle(int kind, uint64_t) {
  if (kind == kStep) step();
}

uint64_t Core::operand(const isa::Operand& o) const {
  switch (o.kind) {
    case isa::Operand::Kind::Reg: return ctx_->regs[o.reg];
    case isa::Operand::Kind::Imm: return uint64_t(o.imm);
    case isa::Operand::Kind::Tid: return uint64_t(id_);
    case isa::Operand::Kind::None: return 0;
  }
  return 0;
}

uint64_t Core::outside_cycles() { return workload::outside_cycles(point_.workload.outside, outside_rng_); }

void Core::fault(const isa::Instr& in, const std::string& msg) const {
  throw InputError(located(ctx_->prog->file, in.line, in.col, msg + " (core " + std::to_string(id_) + ", cycle " +
                                                                   std::to_string(engine_.now()) + ")"));
}

// Runs from pc_ at the current cycle until the core must wait: for an exact cycle (the next
// shared-state op), for a miss, for an event (wfe), for a change (fast-forward), or the end.
void Core::step() {
  Cycle now = engine_.now();
  Cycle local = now;
  const auto& cc = core_cfg_;
  for (;;) {
    // Private work never needs an event, but a runaway private loop must not hang the host.
    if (local - now > (1u << 20)) {
      engine_.schedule(local, kCore, uint32_t(id_), this, kStep);
      return;
    }
    const auto& code = ctx_->prog->code;
    const isa::Instr& in = code[size_t(pc_)];
    auto& r = ctx_->regs;
    if (!is_pure(in.op)) { spin_pure_ = false; spinning_ = false; }

    if (isa::is_memory(in.op) || in.op == Op::Wfe || in.op == Op::Sev || (in.op == Op::Ret && stack_.empty())) {
      if (local > now) {  // shared state is touched only at its exact cycle
        engine_.schedule(local, kCore, uint32_t(id_), this, kStep);
        return;
      }
    }
    ++ctr_.micro_ops;
    ++spin_uops_;
    switch (in.op) {
      case Op::Li: r[in.rd] = operand(in.a); local += Cycle(cc.alu_cycles); ++pc_; break;
      case Op::Mov: r[in.rd] = operand(in.a); local += Cycle(cc.alu_cycles); ++pc_; break;
      case Op::Add: case Op::Sub: case Op::And: case Op::Or: case Op::Xor: case Op::Shl: case Op::Shr:
      case Op::Mul: case Op::Mod:
        r[in.rd] = isa::alu(in.op, operand(in.a), operand(in.b));
        local += Cycle(cc.alu_cycles);
        ++pc_;
        break;
      case Op::Lea:
        if (!isa::index_in_range(*ctx_->prog, in.addr, r.data())) fault(in, isa::index_error(*ctx_->prog, in.addr, r.data()));
        r[in.rd] = isa::address(*ctx_->prog, in.addr, ctx_->base, id_, r.data());
        local += Cycle(cc.alu_cycles);
        ++pc_;
        break;
      case Op::Beq: case Op::Bne: case Op::Blt: case Op::Ble: case Op::Bgt: case Op::Bge: case Op::Jmp: {
        bool taken = in.op == Op::Jmp || isa::branch_taken(in.op, operand(in.a), operand(in.b));
        local += Cycle(cc.alu_cycles);
        int from = pc_;
        pc_ = taken ? in.target : pc_ + 1;
        if (taken && in.target <= from && spin_check(in.target, local)) return;
        break;
      }
      case Op::Call:
        stack_.push_back(pc_ + 1);
        pc_ = in.target;
        local += Cycle(cc.alu_cycles);
        break;
      case Op::Ret:
        local += Cycle(cc.alu_cycles);
        if (!stack_.empty()) {
          pc_ = stack_.back();
          stack_.pop_back();
          break;
        }
        // A routine returned at `now`: move the harness loop on.
        if (phase_ == Phase::Acquire) {
          harness_.acquire_returned(*this, now, acquire_start_);
          ctr_.cycles_acquiring += now - acquire_start_;
          acquired_at_ = now;
          phase_ = Phase::CS;
          call(cs_, 0);
        } else if (phase_ == Phase::CS) {
          harness_.release_called(*this, now);
          ctr_.cycles_in_cs += now - acquired_at_;
          phase_ = Phase::Release;
          call(lock_, lock_.prog->entry_release);
        } else {
          harness_.release_returned(*this, now);
          if (--iterations_left_ == 0) {
            phase_ = Phase::Done;
            harness_.finished(*this, now);
            return;
          }
          phase_ = Phase::Acquire;
          local = now + outside_cycles();
          acquire_start_ = local;
          call(lock_, lock_.prog->entry_acquire);
        }
        spin_reset(-1, local);
        break;
      case Op::Fence: local += Cycle(cc.fence_cycles); ++pc_; break;
      case Op::Pause: local += Cycle(cc.pause_cycles); ++pc_; break;
      case Op::Work: local += operand(in.a); ++pc_; break;
      case Op::Rand: {
        uint64_t lo = operand(in.a), hi = operand(in.b);
        r[in.rd] = hi >= lo ? lo + rng_.below(hi - lo + 1) : lo;
        local += Cycle(cc.alu_cycles);
        ++pc_;
        break;
      }
      case Op::Now: r[in.rd] = local; local += Cycle(cc.alu_cycles); ++pc_; break;
      case Op::Sev:
        harness_.sev(id_);
        local += Cycle(cc.alu_cycles);
        ++pc_;
        break;
      case Op::Wfe:
        ++pc_;
        if (event_flag_) {
          event_flag_ = false;
          local += Cycle(cc.alu_cycles);
          break;
        }
        waiting_event_ = true;
        return;
      default:  // memory ops
        if (!exec_memory(in, local)) return;
        break;
    }
  }
}

// Executes one memory op at the current cycle. Returns false when the core blocks on a miss.
bool Core::exec_memory(const isa::Instr& in, Cycle& local) {
  auto& r = ctx_->regs;
  if (!isa::index_in_range(*ctx_->prog, in.addr, r.data())) fault(in, isa::index_error(*ctx_->prog, in.addr, r.data()));
  uint64_t addr = isa::address(*ctx_->prog, in.addr, ctx_->base, id_, r.data());
  if (addr % in.size) fault(in, "misaligned " + std::to_string(in.size) + "-byte access at address " + std::to_string(addr));
  uint64_t lo = ctx_->base, hi = ctx_->base + ctx_->prog->arena_bytes;
  if (addr < lo || addr + in.size > hi)
    fault(in, "address " + std::to_string(addr) + " is outside the lock's memory [" + std::to_string(lo) + ", " +
                  std::to_string(hi) + ")");
  uint64_t line = addr / uint64_t(line_bytes_);
  if (in.op == Op::Stx && !(monitor_ && monitor_line_ == line)) {
    r[in.rd] = 0;  // the monitor was lost: stx fails without touching the line
    monitor_ = false;
    ++pc_;
    local += Cycle(hit_cycles_);
    return true;
  }
  bool write = in.op != Op::Ld && in.op != Op::Ldx;
  // A load may be part of a spin iteration: remember the registers before it.
  bool probe = in.op == Op::Ld && spin_pure_;
  if (probe && probes_.size() == kMaxProbes) {
    probe = false;  // too long an iteration to track: never fast-forward it
    spin_pure_ = false;
  }
  if (probe) probes_.push_back(Probe{engine_.now() - spin_t0_, pc_, spin_uops_ - 1, line, r});
  pending_ = Pending{&in, addr, write};
  if (port_->access(line, write)) {
    ++ctr_.l1_hits;
    local += Cycle(hit_cycles_) + (write ? Cycle(core_cfg_.atomic_cycles) * (in.op != Op::St) : 0);
    return true;
  }
  if (probe) probes_.pop_back();
  spin_pure_ = false;
  spinning_ = false;
  ++ctr_.l1_misses;
  blocked_ = true;
  return false;
}

void Core::perform(uint8_t* data) {
  const isa::Instr& in = *pending_.in;
  auto& r = ctx_->regs;
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
    case Op::St: store_bytes(p, size, operand(in.a) & m); break;
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
  ++pc_;
}

void Core::miss_done() {
  blocked_ = false;
  engine_.schedule(engine_.now(), kCore, uint32_t(id_), this, kStep);
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
  spin_ctx_ = ctx_;
  spin_regs_ = ctx_->regs;
  spin_t0_ = t;
  spin_pure_ = head >= 0;
  spin_uops_ = 0;
  probes_.clear();
}

bool Core::spin_check(int head, Cycle t) {
  bool fixed = spin_head_ == head && spin_ctx_ == ctx_ && spin_pure_ && ctx_->regs == spin_regs_;
  if (!fixed) {
    spinning_ = false;
    spin_reset(head, t);
    return false;
  }
  if (probes_.empty())
    harness_.report_stuck(t, "core " + std::to_string(id_) + " loops forever without reading memory at " +
                                 ctx_->prog->file + ":" + std::to_string(ctx_->prog->code[size_t(head)].line));
  watch_.clear();
  for (auto& pr : probes_) watch_.push_back(pr.line);
  spinning_ = true;
  if (point_.run.fast_forward) {
    sleeping_ = true;
    sleep_probes_ = probes_;
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
// unskipped run would be: at the first spin load whose cycle orders after (t, p).
void Core::wake(Cycle t, Priority p) {
  sleeping_ = false;
  spinning_ = false;
  Cycle first = p == kMemory ? t : t + 1;  // core ops at cycle t see memory events of cycle t
  size_t j = 0;
  uint64_t k = resume_point(first, j);
  const Probe& pr = sleep_probes_[j];
  Cycle at = sleep_t0_ + k * sleep_period_ + pr.offset;
  settle_counts(k, j);
  ctx_->regs = pr.regs;
  pc_ = pr.pc;
  // The LRU order the skipped iterations would have left: loads j..n-1 then 0..j-1.
  for (size_t i = j; i < sleep_probes_.size(); ++i) port_->touch(sleep_probes_[i].line);
  for (size_t i = 0; i < j; ++i) port_->touch(sleep_probes_[i].line);
  spin_reset(-1, at);
  engine_.schedule(at, kCore, uint32_t(id_), this, kStep);
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

// Brings the counters to what the unskipped run has counted before load (k, j)'s event:
// k whole iterations plus the ops ahead of load j.
void Core::settle_counts(uint64_t k, size_t j) {
  uint64_t uops = k * sleep_uops_ + sleep_probes_[j].uops_before;
  uint64_t hits = k * sleep_probes_.size() + j;
  ctr_.micro_ops += uops - sleep_counted_uops_;
  ctr_.l1_hits += hits - sleep_counted_hits_;
  ctr_.spin_iterations_skipped += k - sleep_counted_iters_;
  sleep_counted_uops_ = uops;
  sleep_counted_hits_ = hits;
  sleep_counted_iters_ = k;
}

// The warm-up reset happens while this core sleeps: count what the unskipped run would
// have counted before it, so that zeroing the counters drops exactly that.
void Core::settle(Cycle first_after) {
  if (!sleeping_) return;
  size_t j = 0;
  uint64_t k = resume_point(first_after, j);
  settle_counts(k, j);
}

// ---- reporting -----------------------------------------------------------------------------

std::string Core::describe_address(const isa::Program& p, uint64_t base, uint64_t addr) {
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

std::string Core::where() const {
  std::ostringstream o;
  o << "core " << id_ << ": ";
  if (phase_ == Phase::Done) return o.str() + "finished";
  static const char* phases[] = {"idle", "acquire", "critical section", "release", "outside", "done"};
  const isa::Program& prog = *ctx_->prog;
  const isa::Instr& in = prog.code[size_t(pc_)];
  o << "in " << phases[int(phase_)] << " at " << prog.file << ":" << in.line << " (" << isa::op_name(in.op) << ")";
  if (sleeping_ || spinning_) {
    o << ", spinning until the line of";
    for (auto w : watch_) o << " " << describe_address(*lock_.prog, arena_base_, w * uint64_t(line_bytes_));
    o << " changes";
  } else if (waiting_event_) {
    o << ", waiting in wfe for an event";
  } else if (blocked_) {
    o << ", waiting for a miss on " << describe_address(*lock_.prog, arena_base_, pending_.addr);
  }
  return o.str();
}

}  // namespace lockstep::cpu

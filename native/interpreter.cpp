#include "interpreter.hpp"

#include <sched.h>
#if defined(__linux__)
#include <linux/futex.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include <algorithm>
#include <cstring>
#include <new>

#include "common/error.hpp"
#include "isa/semantics.hpp"
#include "platform.hpp"

namespace lockstep::native {

using isa::Op;

// ---- Arena ------------------------------------------------------------------------------

Arena::Arena(size_t bytes) {
  bytes_ = bytes;
  size_t rounded = (bytes + kAlign - 1) / kAlign * kAlign;
  if (rounded == 0) rounded = kAlign;
  base_ = static_cast<char*>(std::aligned_alloc(kAlign, rounded));
  if (!base_) throw std::bad_alloc();
  std::memset(base_, 0, rounded);
}

Arena::~Arena() { std::free(base_); }

uint64_t Arena::word(size_t offset) const {
  return __atomic_load_n(reinterpret_cast<const uint64_t*>(base_ + offset), __ATOMIC_SEQ_CST);
}

// ---- sized real atomics -------------------------------------------------------------------
// The program's access width decides the instruction (a 1-byte tas is a byte xchg), so the
// coherence behaviour of packed variables is the hardware's, not an emulation of it.

namespace {

template <class F>
inline uint64_t by_size(int size, uintptr_t a, F&& f) {
  switch (size) {
    case 1: return f(reinterpret_cast<uint8_t*>(a));
    case 2: return f(reinterpret_cast<uint16_t*>(a));
    case 4: return f(reinterpret_cast<uint32_t*>(a));
    default: return f(reinterpret_cast<uint64_t*>(a));
  }
}

// The memory order must reach __atomic_* as a constant: GCC treats a run-time order as
// __ATOMIC_SEQ_CST, which made `--order acqrel` stores full-barrier xchg's on x86-64 (no
// store buffer visible to the program: a fence-less Peterson could never fail natively).
inline uint64_t mem_load(int size, uintptr_t a, int mo) {
  if (mo == __ATOMIC_SEQ_CST)
    return by_size(size, a, [](auto* p) -> uint64_t { return __atomic_load_n(p, __ATOMIC_SEQ_CST); });
  return by_size(size, a, [](auto* p) -> uint64_t { return __atomic_load_n(p, __ATOMIC_ACQUIRE); });
}
inline void mem_store(int size, uintptr_t a, uint64_t v, int mo) {
  if (mo == __ATOMIC_SEQ_CST) {
    by_size(size, a, [v](auto* p) -> uint64_t {
      __atomic_store_n(p, std::remove_pointer_t<decltype(p)>(v), __ATOMIC_SEQ_CST);
      return 0;
    });
  } else {
    by_size(size, a, [v](auto* p) -> uint64_t {
      __atomic_store_n(p, std::remove_pointer_t<decltype(p)>(v), __ATOMIC_RELEASE);
      return 0;
    });
  }
}
inline uint64_t mem_xchg(int size, uintptr_t a, uint64_t v) {
  return by_size(size, a, [v](auto* p) -> uint64_t {
    using T = std::remove_pointer_t<decltype(p)>;
    return __atomic_exchange_n(p, T(v), __ATOMIC_SEQ_CST);
  });
}
// Returns the old value, like the simulator's `cas rD` (rD == expected means success).
inline uint64_t mem_cas(int size, uintptr_t a, uint64_t expected, uint64_t desired) {
  return by_size(size, a, [expected, desired](auto* p) -> uint64_t {
    using T = std::remove_pointer_t<decltype(p)>;
    T e = T(expected);
    __atomic_compare_exchange_n(p, &e, T(desired), false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return e;
  });
}
inline uint64_t mem_faa(int size, uintptr_t a, uint64_t v) {
  return by_size(size, a, [v](auto* p) -> uint64_t {
    using T = std::remove_pointer_t<decltype(p)>;
    return __atomic_fetch_add(p, T(v), __ATOMIC_SEQ_CST);
  });
}
inline uint64_t mem_for(int size, uintptr_t a, uint64_t v) {
  return by_size(size, a, [v](auto* p) -> uint64_t {
    using T = std::remove_pointer_t<decltype(p)>;
    return __atomic_fetch_or(p, T(v), __ATOMIC_SEQ_CST);
  });
}
inline uint64_t mem_fand(int size, uintptr_t a, uint64_t v) {
  return by_size(size, a, [v](auto* p) -> uint64_t {
    using T = std::remove_pointer_t<decltype(p)>;
    return __atomic_fetch_and(p, T(v), __ATOMIC_SEQ_CST);
  });
}

uint64_t splitmix(uint64_t& s) {
  uint64_t z = (s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

}  // namespace

// ---- Interpreter -----------------------------------------------------------------------------

Interpreter::Interpreter(const isa::Program& prog, RunShared& shared, int tid, int nthreads, uint64_t seed)
    : prog_(prog), sh_(shared), tid_(tid) {
  (void)nthreads;  // `ncpu` is already an immediate in the assembled program
  uint64_t s = seed * 0x100000001b3ull + uint64_t(tid) + 1;
  for (auto& w : rng_) w = splitmix(s);

  const uintptr_t base = reinterpret_cast<uintptr_t>(sh_.arena);
  code_.reserve(prog.code.size());
  auto src = [&](const isa::Operand& o) {
    Src x;
    switch (o.kind) {
      case isa::Operand::Kind::Reg: x.reg = o.reg & 15; break;
      case isa::Operand::Kind::Imm: x.imm = o.imm; break;
      case isa::Operand::Kind::Tid: x.imm = tid; break;
      case isa::Operand::Kind::Node: x.imm = 0; break;  // one node natively (docs/native.md)
      case isa::Operand::Kind::None: break;
    }
    return x;
  };
  trace_counts_.assign(prog.trace_names.size(), 0);
  if (prog.trace_mode == isa::TraceMode::On) trace_line_ = std::make_unique<TraceLine>();
  for (const auto& in : prog.code) {
    Decoded d;
    d.op = in.op;
    d.size = (in.size == 1 || in.size == 2 || in.size == 4) ? in.size : 8;
    d.rd = in.rd & 15;
    d.a = src(in.a);
    d.b = src(in.b);
    d.c = src(in.c);
    d.target = in.target;
    // Fold everything known per thread into a base, so an access costs one multiply-add.
    switch (in.addr.kind) {
      case isa::Address::Kind::None: break;
      case isa::Address::Kind::Var: {
        const auto& v = prog.vars.at(size_t(in.addr.var));
        uint64_t idx = v.kind == isa::Variable::Kind::PerCpu ? uint64_t(tid) : 0;
        d.abase = base + v.offset + idx * v.stride + uint64_t(in.addr.offset);
        break;
      }
      case isa::Address::Kind::VarIndexed: {
        const auto& v = prog.vars.at(size_t(in.addr.var));
        d.abase = base + v.offset + uint64_t(in.addr.offset);
        d.areg = in.addr.reg & 15;
        d.amul = v.stride;
        d.acount = v.count;
        break;
      }
      case isa::Address::Kind::Reg:
        d.abase = uintptr_t(in.addr.offset);
        d.areg = in.addr.reg & 15;
        d.amul = 1;
        break;
    }
    code_.push_back(d);
  }
}

void Interpreter::fault(const std::string& msg) const {
  const auto& in = prog_.code.at(size_t(pc_));
  throw InputError(located(prog_.file, in.line, in.col,
                           "lock " + prog_.name + ", thread " + std::to_string(tid_) + ": " + msg));
}

uintptr_t Interpreter::address(const Decoded& d, bool for_access) {
  if (d.acount && r_[d.areg] >= d.acount)
    fault("index " + std::to_string(r_[d.areg]) + " out of range (" + std::to_string(d.acount) + " elements)");
  uintptr_t a = d.abase + r_[d.areg] * d.amul;
  if (for_access) {
    uintptr_t base = reinterpret_cast<uintptr_t>(sh_.arena);
    if (a < base || a - base + d.size > sh_.arena_bytes)
      fault("address outside the arena (" + std::to_string(int64_t(a - base)) + " bytes from its start, " +
            std::to_string(sh_.arena_bytes) + " bytes long)");
    if (a % d.size) fault("misaligned " + std::to_string(d.size) + "-byte access");
  }
  return a;
}

uint64_t Interpreter::next_random() {
  // xoshiro256**: per thread, seeded from the point's seed and the thread index.
  uint64_t* s = rng_;
  uint64_t result = ((s[1] * 5) << 7 | (s[1] * 5) >> 57) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t;
  s[3] = (s[3] << 45) | (s[3] >> 19);
  return result;
}

std::string Interpreter::where() const {
  std::string best;
  int best_at = -1;
  for (const auto& [name, at] : prog_.labels)
    if (at <= pc_ && at > best_at) { best = name; best_at = at; }
  std::string s = best.empty() ? "pc " + std::to_string(pc_) : best + "+" + std::to_string(pc_ - best_at);
  if (pc_ >= 0 && size_t(pc_) < prog_.code.size()) {
    const auto& in = prog_.code[size_t(pc_)];
    s += " (" + prog_.file + ":" + std::to_string(in.line) + " " + isa::op_name(in.op) + ")";
  }
  return s;
}

void Interpreter::own_write(uintptr_t a, int size, uint64_t v) {
  // The simulator's monitor is lost only when another core takes the line, so the thread's
  // own stores between ldx and stx keep it. The emulated monitor compares values, so it
  // follows the thread's own writes to the monitored word.
  if (a + uintptr_t(size) <= mon_addr_ || mon_addr_ + uintptr_t(mon_size_) <= a) return;
  if (a == mon_addr_ && size == mon_size_) mon_val_ = isa::truncate(v, unsigned(size));
  else mon_val_ = mem_load(mon_size_, mon_addr_, __ATOMIC_SEQ_CST);
}

void Interpreter::wait_for_event() {
#if defined(__aarch64__)
  // Re-arm the monitor on the last ldx's location and sleep only if it still holds the value
  // the program saw: the interpreter's own stores may have cleared the monitor since, and a
  // WFE with no monitor could sleep until the next interrupt. This is the kernel's
  // __cmpwait pattern. The watchdog's SEV wakes a sleeper when the run is stopped.
  if (mon_addr_) {
    uint64_t v = hw::load_exclusive(reinterpret_cast<void*>(mon_addr_), mon_size_);
    if (v == mon_val_ && !sh_.stop.load(std::memory_order_relaxed)) hw::wait_for_event();
    else hw::clear_exclusive();
  } else {
    hw::cpu_relax();
  }
#else
  // Emulation: the event register is "sev happened since my last wfe" or "the monitored
  // location changed"; spin politely until either holds.
  uint64_t ev = sh_.sev.load(std::memory_order_acquire);
  if (ev != sev_seen_) { sev_seen_ = ev; return; }
  if (!mon_addr_) { hw::cpu_relax(); return; }
  while (mem_load(mon_size_, mon_addr_, __ATOMIC_ACQUIRE) == mon_val_) {
    if (sh_.stop.load(std::memory_order_relaxed)) return;
    ev = sh_.sev.load(std::memory_order_acquire);
    if (ev != sev_seen_) { sev_seen_ = ev; return; }
    if (sh_.yield_on_pause) sched_yield(); else hw::cpu_relax();
  }
#endif
}

Interpreter::Exit Interpreter::run(int entry) {
  int stack[64];
  int depth = 0;
  const int n = int(code_.size());
  const int ld_mo = sh_.order == Order::SeqCst ? __ATOMIC_SEQ_CST : __ATOMIC_ACQUIRE;
  const int st_mo = sh_.order == Order::SeqCst ? __ATOMIC_SEQ_CST : __ATOMIC_RELEASE;
  uint64_t ops = 0;
  int pc = entry;
  Exit result = Exit::Returned;
  for (;;) {
    if (pc < 0 || pc >= n) { pc_ = pc < 0 ? 0 : n - 1; micro_ops_ += ops; fault("control falls off the end of the program"); }
    const Decoded& d = code_[size_t(pc)];
    ++ops;
    int next = pc + 1;
    uint64_t& rd = r_[d.rd];
    switch (d.op) {
      // Values come from the same helpers the simulator's core uses (isa/semantics.hpp).
      case Op::Li: case Op::Mov: rd = val(d.a); break;
      case Op::Add: case Op::Sub: case Op::And: case Op::Or: case Op::Xor:
      case Op::Shl: case Op::Shr: case Op::Mul: case Op::Mod:
        rd = isa::alu(d.op, val(d.a), val(d.b));
        break;
      case Op::Lea: pc_ = pc; rd = address(d, false); break;
      case Op::Ld: pc_ = pc; rd = mem_load(d.size, address(d, true), ld_mo); break;
      case Op::St: {
        pc_ = pc;
        uintptr_t a = address(d, true);
        uint64_t v = val(d.a);
        mem_store(d.size, a, v, st_mo);
        if (mon_addr_) own_write(a, d.size, v);
        break;
      }
      case Op::Xchg: case Op::Cas: case Op::Faa: case Op::FetchOr: case Op::FetchAnd: case Op::Tas: {
        pc_ = pc;
        uintptr_t a = address(d, true);
        uint64_t x = val(d.a), y = val(d.b);
        switch (d.op) {
          case Op::Xchg: rd = mem_xchg(d.size, a, x); break;
          case Op::Cas: rd = mem_cas(d.size, a, isa::truncate(x, d.size), y); break;
          case Op::Faa: rd = mem_faa(d.size, a, x); break;
          case Op::FetchOr: rd = mem_for(d.size, a, x); break;
          case Op::FetchAnd: rd = mem_fand(d.size, a, x); break;
          default: rd = mem_xchg(d.size, a, 1); break;
        }
        if (mon_addr_) own_write(a, d.size, isa::rmw_new(d.op, rd, x, y, d.size));
        break;
      }
      case Op::Ldx: {
        pc_ = pc;
        uintptr_t a = address(d, true);
#if defined(__aarch64__)
        rd = hw::load_exclusive(reinterpret_cast<void*>(a), d.size);
#else
        rd = mem_load(d.size, a, __ATOMIC_SEQ_CST);
#endif
        mon_addr_ = a;
        mon_size_ = d.size;
        mon_val_ = rd;
        break;
      }
      case Op::Stx: {
        pc_ = pc;
        uintptr_t a = address(d, true);
        uint64_t v = val(d.a);
        bool ok = false;
        if (mon_addr_ == a && mon_size_ == d.size) {
#if defined(__aarch64__)
          // The real monitor can be lost between two interpreted instructions (the
          // interpreter's own stores, a context switch): the architecture allows such a
          // failure, but a pair that always fails would never progress. After a streak of
          // failures, this stx completes as a CAS from the ldx's value, which is still
          // atomic against real exclusives on other cores (their monitors see the write).
          if (stx_fail_streak_ < 16) {
            ok = hw::store_exclusive(reinterpret_cast<void*>(a), v, d.size);
          } else {
            ok = mem_cas(d.size, a, mon_val_, v) == mon_val_;
            ++stx_fallbacks_;
          }
          stx_fail_streak_ = ok ? 0 : stx_fail_streak_ + 1;
#else
          // Emulation: succeeds when the location still holds the value ldx read. Unlike a
          // real monitor it cannot see an A->B->A change in between (docs/native.md).
          ok = mem_cas(d.size, a, mon_val_, v) == mon_val_;
#endif
        }
        mon_addr_ = 0;
        rd = ok ? 1 : 0;
        break;
      }
      case Op::Fence: hw::full_fence(); break;
      case Op::Prefetchw:
        // x86-64: PREFETCHW; AArch64: PRFM PSTL1KEEP (GCC's write prefetch, high locality).
        pc_ = pc;
        __builtin_prefetch(reinterpret_cast<const void*>(address(d, true)), 1, 3);
        break;
      case Op::Trace:
        ++trace_counts_[size_t(d.a.imm)];
        if (trace_line_) __atomic_store_n(&trace_line_->words[0], trace_line_->words[0] + 1, __ATOMIC_RELAXED);
        break;
      case Op::Pause:
        if (sh_.yield_on_pause) sched_yield(); else hw::cpu_relax();
        break;
      case Op::Wfe:
        pc_ = pc;
        wait_for_event();
        if (sh_.stop.load(std::memory_order_relaxed)) { result = Exit::Stopped; goto out; }
        break;
      case Op::Sev:
#if defined(__aarch64__)
        hw::send_event();
#else
        sh_.sev.fetch_add(1, std::memory_order_acq_rel);
#endif
        break;
      case Op::Park: case Op::Wake: {
        // Real futexes on the 32-bit word holding the address (a futex word is 32 bits): a
        // narrower word is compared inside it, a 64-bit one by its low half (its high half
        // must already hold v's). Spurious returns are allowed: every lock re-checks.
        pc_ = pc;
        const uintptr_t a = address(d, true);
        auto* w32 = reinterpret_cast<uint32_t*>(a & ~uintptr_t(3));
#if defined(__linux__)
        if (d.op == Op::Wake) {
          const uint64_t n = val(d.a);
          syscall(SYS_futex, w32, FUTEX_WAKE_PRIVATE, int(std::min<uint64_t>(n, 0x7fffffff)), nullptr, nullptr, 0);
          break;
        }
        const uint64_t v = isa::truncate(val(d.a), d.size);
        if (mem_load(d.size, a, __ATOMIC_SEQ_CST) != v) break;  // a failed wait
        const uint32_t cur = __atomic_load_n(w32, __ATOMIC_SEQ_CST);
        sh_.parked[tid_ & 4095].store(1, std::memory_order_seq_cst);
        // A bounded sleep, so that a stop request (watchdog, checker) is seen by a sleeper too.
        const timespec tick{0, 50 * 1000 * 1000};
        syscall(SYS_futex, w32, FUTEX_WAIT_PRIVATE, cur, &tick, nullptr, 0);
        sh_.parked[tid_ & 4095].store(0, std::memory_order_seq_cst);
        if (sh_.stop.load(std::memory_order_relaxed)) { result = Exit::Stopped; goto out; }
#else
        fault(std::string(isa::op_name(d.op)) + ": the native harness needs Linux futexes for park/wake");
#endif
        break;
      }
      case Op::Yield: sched_yield(); break;
      case Op::OwnerRunning: {
        const uint64_t t = val(d.a);
        if (t >= 4096) { pc_ = pc; fault("owner_running: thread " + std::to_string(int64_t(t)) + " does not exist"); }
        rd = sh_.parked[t].load(std::memory_order_acquire) ? 0 : 1;
        break;
      }
      case Op::Work: {
        // A count of 2^63 or more is a negative register: an error, as in the simulator.
        const uint64_t n = val(d.a);
        if (n >> 63) { pc_ = pc; fault("work: negative cycle count " + std::to_string(int64_t(n))); }
        sh_.clock->spin(n, &sh_.stop);   // polls the stop flag: --watchdog ends a long work
        if (sh_.stop.load(std::memory_order_relaxed)) { pc_ = pc; result = Exit::Stopped; goto out; }
        break;
      }
      case Op::Rand: {
        uint64_t lo = val(d.a), hi = val(d.b);
        uint64_t span = hi - lo + 1;  // inclusive, as in sim/cpu; 0 when it covers all of u64
        rd = hi >= lo ? lo + (span ? next_random() % span : next_random()) : lo;
        break;
      }
      case Op::Now: rd = sh_.clock->to_cycles(hw::ticks() - sh_.t0); break;
      case Op::Beq: case Op::Bne: case Op::Blt: case Op::Ble: case Op::Bgt: case Op::Bge:
        if (isa::branch_taken(d.op, val(d.a), val(d.b))) next = d.target;
        break;
      case Op::Jmp: next = d.target; break;
      case Op::Call:
        if (depth == 64) { pc_ = pc; micro_ops_ += ops; fault("call stack deeper than 64"); }
        stack[depth++] = pc + 1;
        next = d.target;
        break;
      case Op::Ret:
        if (depth == 0) { pc_ = pc; goto out; }
        next = stack[--depth];
        break;
      // Bookkeeping only: a user thread cannot disable interrupts or preemption.
      case Op::IrqSave: rd = irqs_on_; irqs_on_ = 0; break;
      case Op::IrqRestore: irqs_on_ = val(d.a) != 0; break;
      case Op::PreemptDisable: ++preempt_count_; break;
      case Op::PreemptEnable: --preempt_count_; break;
    }
    // Every loop passes a backward branch, so checking there bounds how long a stop request
    // waits without costing the straight-line code anything.
    if (next <= pc && sh_.stop.load(std::memory_order_relaxed)) { pc_ = pc; result = Exit::Stopped; goto out; }
    pc = next;
  }
out:
  micro_ops_ += ops;
  return result;
}

SoloRun::SoloRun(const isa::Program& prog, double clock_ghz, uint64_t seed)
    : clock(clock_ghz), arena(std::max<uint64_t>(prog.arena_bytes, 8)) {
  shared.arena = arena.base();
  shared.arena_bytes = prog.arena_bytes;
  shared.clock = &clock;
  shared.t0 = hw::ticks();
  if (prog.entry_init >= 0) Interpreter(prog, shared, 0, 1, seed).run(prog.entry_init);
}

}  // namespace lockstep::native

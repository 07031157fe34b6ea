// What each micro-op computes, shared by the simulator core (sim/cpu) and the native harness
// (native/) so both execute exactly the same arithmetic. Timing and coherence are not here:
// only values.
//
// Conventions (docs/isa.md repeats them):
//  - registers are 64-bit; arithmetic wraps modulo 2^64;
//  - memory is little-endian; a sized load (.8 .16 .32) zero-extends into the register, a
//    sized store or atomic writes only the low `size` bytes;
//  - branches compare SIGNED (as int64), so `blt r1, 0, neg` works on negative values;
//  - shl/shr shift by (b & 63); shr is logical;
//  - mod is unsigned; mod by zero gives a (x mod 0 = x, as in the convention
//    "a = q*b + r" with q = 0), so a zero parameter never traps.
#pragma once
#include <cstdint>
#include <string>

#include "isa/program.hpp"

namespace lockstep::isa {

// All-ones in the low `size` bytes (size 1, 2, 4, 8).
inline constexpr uint64_t mask(unsigned size) {
  return size >= 8 ? ~uint64_t(0) : (uint64_t(1) << (size * 8)) - 1;
}

inline constexpr uint64_t truncate(uint64_t v, unsigned size) { return v & mask(size); }

// The value of a source operand for thread `tid`.
inline uint64_t value(const Operand& o, int tid, const uint64_t regs[16]) {
  switch (o.kind) {
    case Operand::Kind::Reg: return regs[o.reg];
    case Operand::Kind::Imm: return uint64_t(o.imm);
    case Operand::Kind::Tid: return uint64_t(int64_t(tid));
    case Operand::Kind::Node: break;  // only a core knows its node: 0 here (init, functional runs)
    case Operand::Kind::None: break;
  }
  return 0;
}

// Li and Mov return b and a respectively, so a core may route every ALU op through here
// (Li: alu(Li, 0, imm); Mov: alu(Mov, rs, 0)).
inline uint64_t alu(Op op, uint64_t a, uint64_t b) {
  switch (op) {
    case Op::Li: return b;
    case Op::Mov: return a;
    case Op::Add: return a + b;
    case Op::Sub: return a - b;
    case Op::And: return a & b;
    case Op::Or: return a | b;
    case Op::Xor: return a ^ b;
    case Op::Shl: return a << (b & 63);
    case Op::Shr: return a >> (b & 63);
    case Op::Mul: return a * b;
    case Op::Mod: return b == 0 ? a : a % b;
    default: return 0;
  }
}

// Conditional branches compare as signed 64-bit integers. Jmp and Call are always taken.
inline bool branch_taken(Op op, uint64_t a, uint64_t b) {
  const int64_t x = int64_t(a), y = int64_t(b);
  switch (op) {
    case Op::Beq: return x == y;
    case Op::Bne: return x != y;
    case Op::Blt: return x < y;
    case Op::Ble: return x <= y;
    case Op::Bgt: return x > y;
    case Op::Bge: return x >= y;
    case Op::Jmp: case Op::Call: return true;
    default: return false;
  }
}

// The value an atomic read-modify-write leaves in memory, truncated to `size` bytes.
// `old` is the memory's previous value (zero-extended, as a sized load would give it); the
// destination register always receives `old`. a and b are the instruction's operand values
// (Instr::a, Instr::b):
//   xchg: a          faa: old + a      fetch_or: old | a     fetch_and: old & a
//   tas: 1           cas: b when old == truncate(a), else old (memory unchanged)
inline uint64_t rmw_new(Op op, uint64_t old, uint64_t a, uint64_t b, unsigned size) {
  old = truncate(old, size);
  uint64_t v;
  switch (op) {
    case Op::Xchg: v = a; break;
    case Op::Faa: v = old + a; break;
    case Op::FetchOr: v = old | a; break;
    case Op::FetchAnd: v = old & a; break;
    case Op::Tas: v = 1; break;
    case Op::Cas: v = old == truncate(a, size) ? b : old; break;
    default: v = old; break;
  }
  return truncate(v, size);
}

// Whether a cas succeeded (it returned old; it wrote when old matched the expected value).
inline bool cas_succeeded(uint64_t old, uint64_t expected, unsigned size) {
  return truncate(old, size) == truncate(expected, size);
}

// The byte address an Address names for thread `tid` (program.hpp, Address).
inline uint64_t address(const Program& p, const Address& a, uint64_t arena_base, int tid, const uint64_t regs[16]) {
  switch (a.kind) {
    case Address::Kind::Var: {
      const Variable& v = p.vars[size_t(a.var)];
      uint64_t idx = v.kind == Variable::Kind::PerCpu ? uint64_t(tid) : 0;
      return arena_base + v.offset + idx * v.stride + uint64_t(a.offset);
    }
    case Address::Kind::VarIndexed: {
      const Variable& v = p.vars[size_t(a.var)];
      return arena_base + v.offset + regs[a.reg] * v.stride + uint64_t(a.offset);
    }
    case Address::Kind::Reg: return regs[a.reg] + uint64_t(a.offset);
    case Address::Kind::None: break;
  }
  return 0;
}

// [name @ rX] names element (or thread block) rX of `name`: the index must be below the
// variable's count, or the access would silently land in the neighbouring variable.
inline bool index_in_range(const Program& p, const Address& a, const uint64_t regs[16]) {
  return a.kind != Address::Kind::VarIndexed || regs[a.reg] < p.vars[size_t(a.var)].count;
}
inline std::string index_error(const Program& p, const Address& a, const uint64_t regs[16]) {
  const Variable& v = p.vars[size_t(a.var)];
  return "[" + v.name + " @ r" + std::to_string(a.reg) + "]: index " + std::to_string(int64_t(regs[a.reg])) +
         " out of range (" + std::to_string(v.count) + (v.kind == Variable::Kind::PerCpu ? " threads)" : " elements)");
}

// Classification helpers for the executors.
inline bool is_alu(Op op) { return op >= Op::Li && op <= Op::Lea; }
inline bool is_atomic(Op op) { return op >= Op::Xchg && op <= Op::Tas; }
inline bool is_branch(Op op) { return op >= Op::Beq && op <= Op::Bge; }
// Reads or writes memory (lea only computes an address).
inline bool is_memory(Op op) { return op >= Op::Ld && op <= Op::Stx; }

}  // namespace lockstep::isa

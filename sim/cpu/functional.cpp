#include "cpu/functional.hpp"

#include <cstring>
#include <vector>

#include "common/error.hpp"
#include "isa/semantics.hpp"

namespace lockstep::cpu {

using isa::Op;

void run_functional(const isa::Program& p, int entry, coherence::Memory& mem, uint64_t arena_base, int tid,
                    uint64_t regs[16], uint64_t max_ops) {
  const uint64_t lb = uint64_t(mem.line_bytes());
  std::vector<int> stack;
  int pc = entry;
  auto val = [&](const isa::Operand& o) { return isa::value(o, tid, regs); };
  for (uint64_t n = 0;; ++n) {
    const isa::Instr& in = p.code[size_t(pc)];
    if (n >= max_ops) throw InputError(located(p.file, in.line, in.col, "init: did not return within " + std::to_string(max_ops) + " micro-ops"));
    if ((isa::is_memory(in.op) || in.op == Op::Lea) && !isa::index_in_range(p, in.addr, regs))
      throw InputError(located(p.file, in.line, in.col, "init: " + isa::index_error(p, in.addr, regs)));
    if (isa::is_memory(in.op)) {
      uint64_t a = isa::address(p, in.addr, arena_base, tid, regs);
      if (a % in.size || a < arena_base || a + in.size > arena_base + p.arena_bytes)
        throw InputError(located(p.file, in.line, in.col, "init: bad address " + std::to_string(a)));
      uint8_t* b = mem.raw(a / lb) + a % lb;
      uint64_t old = 0;
      std::memcpy(&old, b, in.size);
      uint64_t m = isa::mask(in.size), nv = old;
      switch (in.op) {
        case Op::Ld: case Op::Ldx: regs[in.rd] = old; break;
        case Op::St: nv = val(in.a) & m; break;
        case Op::Stx: nv = val(in.a) & m; regs[in.rd] = 1; break;
        default: nv = isa::rmw_new(in.op, old, val(in.a), val(in.b), in.size) & m; regs[in.rd] = old; break;
      }
      std::memcpy(b, &nv, in.size);
      ++pc;
      continue;
    }
    switch (in.op) {
      case Op::Li: case Op::Mov: regs[in.rd] = val(in.a); ++pc; break;
      case Op::Lea: regs[in.rd] = isa::address(p, in.addr, arena_base, tid, regs); ++pc; break;
      case Op::Jmp: pc = in.target; break;
      case Op::Call: stack.push_back(pc + 1); pc = in.target; break;
      case Op::Ret:
        if (stack.empty()) return;
        pc = stack.back();
        stack.pop_back();
        break;
      case Op::Rand: case Op::Now: regs[in.rd] = val(in.a); ++pc; break;
      case Op::IrqSave: regs[in.rd] = 1; ++pc; break;  // init runs with interrupts on; no effect
      default:
        if (isa::is_branch(in.op)) pc = isa::branch_taken(in.op, val(in.a), val(in.b)) ? in.target : pc + 1;
        else if (isa::is_alu(in.op)) { regs[in.rd] = isa::alu(in.op, val(in.a), val(in.b)); ++pc; }
        else ++pc;  // fence, pause, work, wfe, sev: no effect without time or other threads
        break;
    }
  }
}

}  // namespace lockstep::cpu

#include "isa/ops.hpp"

#include <iterator>

namespace lockstep::isa {

namespace {
// In enum order, so op_info() can index it directly.
const OpInfo kOps[] = {
    {Op::Li, "li", "DI", false, "li rD, imm"},
    {Op::Mov, "mov", "DR", false, "mov rD, rS"},
    {Op::Add, "add", "DRV", false, "add rD, rA, rB/imm"},
    {Op::Sub, "sub", "DRV", false, "sub rD, rA, rB/imm"},
    {Op::And, "and", "DRV", false, "and rD, rA, rB/imm"},
    {Op::Or, "or", "DRV", false, "or rD, rA, rB/imm"},
    {Op::Xor, "xor", "DRV", false, "xor rD, rA, rB/imm"},
    {Op::Shl, "shl", "DRV", false, "shl rD, rA, rB/imm"},
    {Op::Shr, "shr", "DRV", false, "shr rD, rA, rB/imm"},
    {Op::Mul, "mul", "DRV", false, "mul rD, rA, rB/imm"},
    {Op::Mod, "mod", "DRV", false, "mod rD, rA, rB/imm"},
    {Op::Lea, "lea", "DA", false, "lea rD, name"},
    {Op::Ld, "ld", "DM", true, "ld rD, [a]"},
    {Op::St, "st", "MV", true, "st [a], rS/imm"},
    {Op::Xchg, "xchg", "DMV", true, "xchg rD, [a], rS/imm"},
    {Op::Cas, "cas", "DMVV", true, "cas rD, [a], expected, new"},
    {Op::Faa, "faa", "DMV", true, "faa rD, [a], rS/imm"},
    {Op::FetchOr, "fetch_or", "DMV", true, "fetch_or rD, [a], rS/imm"},
    {Op::FetchAnd, "fetch_and", "DMV", true, "fetch_and rD, [a], rS/imm"},
    {Op::Tas, "tas", "DM", true, "tas rD, [a]"},
    {Op::Ldx, "ldx", "DM", true, "ldx rD, [a]"},
    {Op::Stx, "stx", "DMR", true, "stx rOK, [a], rS"},
    {Op::Fence, "fence", "", false, "fence"},
    {Op::Pause, "pause", "", false, "pause"},
    {Op::Wfe, "wfe", "", false, "wfe"},
    {Op::Sev, "sev", "", false, "sev"},
    {Op::Work, "work", "V", false, "work N/rS"},
    {Op::Rand, "rand", "DVV", false, "rand rD, lo, hi"},
    {Op::Now, "now", "D", false, "now rD"},
    {Op::Beq, "beq", "RVL", false, "beq rA, rB/imm, label"},
    {Op::Bne, "bne", "RVL", false, "bne rA, rB/imm, label"},
    {Op::Blt, "blt", "RVL", false, "blt rA, rB/imm, label"},
    {Op::Ble, "ble", "RVL", false, "ble rA, rB/imm, label"},
    {Op::Bgt, "bgt", "RVL", false, "bgt rA, rB/imm, label"},
    {Op::Bge, "bge", "RVL", false, "bge rA, rB/imm, label"},
    {Op::Jmp, "jmp", "L", false, "jmp label"},
    {Op::Call, "call", "L", false, "call label"},
    {Op::Ret, "ret", "", false, "ret"},
    {Op::Prefetchw, "prefetchw", "M", false, "prefetchw [a]"},
    {Op::IrqSave, "irq_save", "D", false, "irq_save rD"},
    {Op::IrqRestore, "irq_restore", "R", false, "irq_restore rS"},
    {Op::PreemptDisable, "preempt_disable", "", false, "preempt_disable"},
    {Op::PreemptEnable, "preempt_enable", "", false, "preempt_enable"},
};
static_assert(std::size(kOps) == size_t(Op::PreemptEnable) + 1, "one entry per Op, in enum order");
}  // namespace

const OpInfo& op_info(Op op) { return kOps[size_t(op)]; }

const OpInfo* find_op(std::string_view mnemonic) {
  for (const auto& o : kOps)
    if (mnemonic == o.name) return &o;
  return nullptr;
}

const OpInfo* op_table_begin() { return std::begin(kOps); }
const OpInfo* op_table_end() { return std::end(kOps); }

const char* op_name(Op op) { return op_info(op).name; }

}  // namespace lockstep::isa

// The table of micro-ops: mnemonic, operand signature and usage line. The assembler checks
// operands against the signature; the disassembler and the error messages print the usage.
// Internal to sim/isa (program.hpp is the public contract).
#pragma once
#include <string_view>

#include "isa/program.hpp"

namespace lockstep::isa {

// Operand signature letters, one per operand in source order:
//   D destination register      R source register (or tid)
//   V value: register, tid or immediate
//   I immediate (number, param, ncpu) or tid
//   M memory address [..]       A lea address: a bare variable name or [..]
//   L label
//   N a bare name (trace NAME): any identifier, not a register
struct OpInfo {
  Op op;
  const char* name;
  const char* sig;
  bool sized;        // accepts .8 .16 .32 .64
  const char* usage;
};

const OpInfo& op_info(Op op);
const OpInfo* find_op(std::string_view mnemonic);  // nullptr when unknown
// Every mnemonic, in table order (for "did you mean").
const OpInfo* op_table_begin();
const OpInfo* op_table_end();

}  // namespace lockstep::isa

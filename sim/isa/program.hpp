// An assembled .lock program: the micro-op language of DESIGN.md §4 after parsing, with
// labels resolved, parameters substituted and the shared variables laid out in an arena.
// The simulator core (sim/cpu) and the native harness (native/) both execute this.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace lockstep::isa {

enum class Op : uint8_t {
  // ALU (1 cycle each)
  Li, Mov, Add, Sub, And, Or, Xor, Shl, Shr, Mul, Mod, Lea,
  // memory
  Ld, St,
  // atomics (need the line writable: M or E)
  Xchg, Cas, Faa, FetchOr, FetchAnd, Tas,
  // LL/SC
  Ldx, Stx,
  // order and waiting
  Fence, Pause, Wfe, Sev,
  // time
  Work, Rand, Now,
  // control
  Beq, Bne, Blt, Ble, Bgt, Bge, Jmp, Call, Ret,
  // hints (appended: the ranges above stay contiguous)
  Prefetchw,
  // interrupts and preemption (the core's state; natively a per-thread flag, docs/native.md)
  IrqSave, IrqRestore, PreemptDisable, PreemptEnable,
  // the OS model (sim/os): futex wait/wake, sched_yield, is a thread on a CPU
  Park, Wake, Yield, OwnerRunning,
  // observation: a tracepoint site (workload.tracepoints: off drops it at assembly)
  Trace,
};

const char* op_name(Op op);  // "li", "faa", "fetch_or", ...

// A value operand. `tid` is per thread so it stays symbolic; `ncpu` and params are
// resolved to immediates by the assembler.
struct Operand {
  enum class Kind : uint8_t { None, Reg, Imm, Tid, Node } kind = Kind::None;  // Node: NUMA node of the core
  uint8_t reg = 0;   // Kind::Reg: 0..15
  int64_t imm = 0;   // Kind::Imm
};

// A memory address. Resolution at run time (arena_base is line aligned):
//   Var:        arena_base + var.offset + idx * var.stride + offset
//               where idx = tid for .percpu, 0 for .shared and .array
//   VarIndexed: same with idx = value of `reg` ([name @ rX], element/thread rX)
//   Reg:        value of `reg` + offset ([rX], [rX + 8])
struct Address {
  enum class Kind : uint8_t { None, Var, VarIndexed, Reg } kind = Kind::None;
  int var = -1;        // index into Program::vars
  uint8_t reg = 0;
  int64_t offset = 0;  // bytes
};

struct Instr {
  Op op{};
  uint8_t size = 8;    // access width in bytes for memory ops and atomics: 1, 2, 4, 8
  uint8_t rd = 0;      // destination register (ld, alu, atomics: old value; stx: success flag)
  Operand a, b, c;     // sources: alu a,b; st/xchg/faa value in a; cas expected a, new b;
                       // branches compare a,b; work a; rand lo a, hi b
  Address addr;        // memory ops, lea
  int target = -1;     // branch/jmp/call target: instruction index
  int line = 0;        // source line (1-based) for messages and disassembly
  int col = 0;
};

struct Variable {
  enum class Kind : uint8_t { Shared, PerCpu, Array } kind = Kind::Shared;
  std::string name;
  uint64_t offset = 0;  // from the arena base, bytes
  uint64_t stride = 0;  // bytes between per-thread blocks (.percpu) or elements (.array); 0 for .shared
  uint64_t count = 1;   // elements (.array), threads (.percpu), 1 (.shared)
  uint64_t words = 1;   // u64 words per element/block
  bool packed = false;
  int line = 0;
};

// workload.tracepoints: what a `trace NAME` site becomes (docs/observe.md "Tracepoints").
//   Off: no site (the assembler drops it and every `.ontrace` line); Nop: the patched-out
//   site (machine.core.trace_nop_cycles); On: the probe runs (machine.core.trace_on_cycles
//   plus a store to the core's trace buffer line) and `.ontrace` lines are assembled.
enum class TraceMode : uint8_t { Off, Nop, On };

struct Program {
  std::string name;            // from `lock NAME`
  std::string file;            // where it came from (path or "builtin:NAME")
  int capacity = 1;
  std::map<std::string, int64_t> params;  // final values (defaults overridden)
  std::vector<Variable> vars;
  uint64_t arena_bytes = 0;    // a multiple of the line size
  std::vector<Instr> code;
  int entry_init = -1;         // instruction index, -1 when there is no init:
  int entry_acquire = -1;
  int entry_release = -1;
  std::map<std::string, int> labels;  // every label -> instruction index
  // Tracepoints: `trace NAME` holds the index of NAME here in Instr::a.imm (first use first).
  TraceMode trace_mode = TraceMode::Off;
  std::vector<std::string> trace_names;
  bool can_fail = false;       // `.can_fail`: acquire returns r0 = 1 success, 0 failure
  bool trylock_info = false;   // `.trylock_info`: acquire also returns r1 = waiters seen, r2 = holder + 1
  int entry_read_acquire = -1; // reader-writer locks: read_acquire: / read_release:
  int entry_read_release = -1;
  std::string capacity_param;  // `capacity NAME`: the capacity came from this param

  int var_index(const std::string& n) const {
    for (size_t i = 0; i < vars.size(); ++i) if (vars[i].name == n) return int(i);
    return -1;
  }
};

struct AssembleOptions {
  std::string file = "<input>";            // for messages
  int ncpu = 1;                            // thread count (sizes `.array x ncpu`, the `ncpu` operand)
  int line_bytes = 64;
  std::map<std::string, int64_t> params;   // overrides (workload.lock_params); unknown name -> error
  TraceMode tracepoints = TraceMode::Off;  // workload.tracepoints
};

// Parses and assembles; throws lockstep::InputError("file:line:col: message") on any error.
Program assemble(const std::string& source, const AssembleOptions& opt);

// Readable listing: one instruction per line, labels restored, addresses symbolic.
std::string disassemble(const Program& p);
// One instruction as the listing prints it ("  faa     r1, [next], 1").
std::string disassemble_instr(const Program& p, size_t index);

}  // namespace lockstep::isa

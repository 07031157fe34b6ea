// What a trace writer needs to know about the machine it watches, besides the event stream:
// the lock's layout (to name lines and addresses), the machine's shape, and live queries
// into the L1s and cores. sim::Machine fills it in (Machine::trace_context()).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "isa/program.hpp"

namespace lockstep::trace {

struct Context {
  const isa::Program* lock = nullptr;
  uint64_t arena_base = 0;            // byte address of the lock's first variable
  uint64_t cs_base = 0;               // byte address of the critical section's data lines
  int cs_lines = 0;                   // how many (read + written)
  int line_bytes = 64;
  int cores = 0;                      // L1s
  int threads = 0;                    // cores running a thread (0..threads-1)
  bool warmup = false;                // the workload has a warm-up (WindowOpen will come)
  std::vector<std::string> states;    // the L1 protocol's state names, by index
  int invalid_state = 0;              // index of I (a line not present reads as I)
  // L1 `core`'s state of `line` (an index into `states`; invalid_state when not present).
  std::function<int(int core, uint64_t line)> state;
  // The micro-op core `core` is executing now, disassembled ("ld r3, [owner]"), or "".
  std::function<std::string(int core)> op;
  // The byte address of the access core `core` waits for (a miss), or UINT64_MAX.
  std::function<uint64_t(int core)> miss_addr;
};

}  // namespace lockstep::trace

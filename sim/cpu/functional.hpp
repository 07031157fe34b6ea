// Runs a routine of a program functionally, straight on memory, with no caches and no
// time: used for a lock's `init:` (run once, as thread 0, before the workload starts).
#pragma once
#include <cstdint>

#include "coherence/memory.hpp"
#include "isa/program.hpp"

namespace lockstep::cpu {

// Executes from `entry` until its `ret`; throws InputError on a fault or after `max_ops`.
void run_functional(const isa::Program& p, int entry, coherence::Memory& mem, uint64_t arena_base, int tid,
                    uint64_t regs[16], uint64_t max_ops = 10'000'000);

}  // namespace lockstep::cpu

// Where a lock's variables live: which u64 word of the arena belongs to which variable,
// element and per-thread block, and on which cache line. Used by `lockstep lock show` (the
// layout table) and by the lock model checker (names in its step tables).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "isa/program.hpp"

namespace lockstep::workload {

struct LayoutWord {
  uint64_t offset = 0;  // bytes from the arena base, a multiple of 8
  int var = -1;         // index into Program::vars
  uint64_t element = 0; // .array element or .percpu thread; 0 for .shared
  uint64_t word = 0;    // word within the element/block
  std::string name;     // "tail", "slots[2]", "node[1]+8"
};

// Every word that belongs to a variable, in address order.
std::vector<LayoutWord> layout_words(const isa::Program& p);

// The name of the word holding arena byte `offset` ("node[1]+8", "lock+2" for a byte inside
// a word), or "" when no variable covers it (padding).
std::string symbol_at(const isa::Program& p, uint64_t offset);

// The table `lockstep lock show` prints: one row per word, grouped by cache line, with its
// address for an arena at `base`.
std::string layout_table(const isa::Program& p, uint64_t base, int line_bytes, int threads);

}  // namespace lockstep::workload

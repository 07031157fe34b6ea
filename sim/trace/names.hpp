// Names of cache lines and addresses in terms of the lock's variables, for traces:
// `owner`, `tail`, `node[3]` (a .percpu block), `node[3]+8` (a word), `next/owner` (two
// packed variables), `cs[0]` (the critical section's data lines), else `line 0x10040`.
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "trace/context.hpp"

namespace lockstep::trace {

class Names {
 public:
  explicit Names(const Context& c);
  // The variable(s) on `line` (a line number).
  const std::string& line(uint64_t line) const;
  // The word at byte address `addr` ("node[3]+8"), or the line's name when no word covers it.
  std::string address(uint64_t addr) const;
  // What core `core` touches on `line`: the word of the access it waits for when that is on
  // `line` ("node[3]+8"), else the line's name.
  std::string access(int core, uint64_t line) const;
  // The lock's lines (those holding a variable), in address order.
  const std::vector<uint64_t>& lock_lines() const { return lock_lines_; }
  bool is_lock_line(uint64_t line) const;

 private:
  const Context& c_;
  std::unordered_map<uint64_t, std::string> names_;
  std::vector<uint64_t> lock_lines_;
  mutable std::unordered_map<uint64_t, std::string> other_;  // lines named on demand
};

}  // namespace lockstep::trace

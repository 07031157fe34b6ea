#include "trace/names.hpp"

#include <algorithm>
#include <cstdio>

#include "workload/lock_layout.hpp"

namespace lockstep::trace {

namespace {
// "node[3]+8" -> "node[3]": the element a word belongs to.
std::string element_of(const std::string& word) {
  const auto plus = word.find('+');
  return plus == std::string::npos ? word : word.substr(0, plus);
}
}  // namespace

Names::Names(const Context& c) : c_(c) {
  const uint64_t lb = uint64_t(c.line_bytes);
  if (c.lock) {
    // Each line is named by the elements on it, in address order, without repeats.
    std::unordered_map<uint64_t, std::vector<std::string>> parts;
    for (const auto& w : workload::layout_words(*c.lock)) {
      const uint64_t line = (c.arena_base + w.offset) / lb;
      auto& p = parts[line];
      const std::string e = element_of(w.name);
      if (std::find(p.begin(), p.end(), e) == p.end()) p.push_back(e);
      if (lock_lines_.empty() || lock_lines_.back() != line) lock_lines_.push_back(line);
    }
    for (auto& [line, p] : parts) {
      std::string n;
      for (const auto& e : p) n += (n.empty() ? "" : "/") + e;
      names_[line] = n;
    }
  }
  for (int k = 0; k < c.cs_lines; ++k) names_[c.cs_base / lb + uint64_t(k)] = "cs[" + std::to_string(k) + "]";
}

bool Names::is_lock_line(uint64_t line) const {
  return std::binary_search(lock_lines_.begin(), lock_lines_.end(), line);
}

const std::string& Names::line(uint64_t line) const {
  if (auto it = names_.find(line); it != names_.end()) return it->second;
  auto& n = other_[line];
  if (n.empty()) {
    char b[40];
    std::snprintf(b, sizeof b, "line 0x%llx", static_cast<unsigned long long>(line * uint64_t(c_.line_bytes)));
    n = b;
  }
  return n;
}

std::string Names::address(uint64_t addr) const {
  if (c_.lock && addr >= c_.arena_base) {
    std::string s = workload::symbol_at(*c_.lock, addr - c_.arena_base);
    if (!s.empty()) return s;
  }
  return line(addr / uint64_t(c_.line_bytes));
}

std::string Names::access(int core, uint64_t line) const {
  if (core >= 0 && c_.miss_addr) {
    const uint64_t a = c_.miss_addr(core);
    if (a != UINT64_MAX && a / uint64_t(c_.line_bytes) == line) return address(a);
  }
  return this->line(line);
}

}  // namespace lockstep::trace

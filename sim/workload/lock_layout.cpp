#include "workload/lock_layout.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace lockstep::workload {

namespace {
std::string word_name(const isa::Variable& v, uint64_t element, uint64_t word) {
  // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on "lit" + std::string&&.
  std::string s = v.name;
  if (v.kind != isa::Variable::Kind::Shared) {
    s += '[';
    s += std::to_string(element);
    s += ']';
  }
  if (word > 0) {
    s += '+';
    s += std::to_string(word * 8);
  }
  return s;
}

const char* kind_name(isa::Variable::Kind k) {
  switch (k) {
    case isa::Variable::Kind::Shared: return ".shared";
    case isa::Variable::Kind::PerCpu: return ".percpu";
    case isa::Variable::Kind::Array: return ".array";
  }
  return "?";
}
}  // namespace

std::vector<LayoutWord> layout_words(const isa::Program& p) {
  std::vector<LayoutWord> out;
  for (size_t i = 0; i < p.vars.size(); ++i) {
    const isa::Variable& v = p.vars[i];
    for (uint64_t e = 0; e < v.count; ++e)
      for (uint64_t w = 0; w < v.words; ++w) {
        LayoutWord lw;
        lw.offset = v.offset + e * v.stride + w * 8;
        lw.var = int(i);
        lw.element = e;
        lw.word = w;
        lw.name = word_name(v, e, w);
        out.push_back(lw);
      }
  }
  std::stable_sort(out.begin(), out.end(), [](const LayoutWord& a, const LayoutWord& b) { return a.offset < b.offset; });
  return out;
}

std::string symbol_at(const isa::Program& p, uint64_t offset) {
  for (const auto& v : p.vars) {
    if (offset < v.offset) continue;
    const uint64_t rel = offset - v.offset;
    const uint64_t e = v.stride ? rel / v.stride : 0;
    if (e >= v.count) continue;
    const uint64_t in = rel - e * v.stride;
    if (in >= v.words * 8) continue;
    std::string s = word_name(v, e, in / 8);
    if (in % 8) {
      // A byte inside a word: name the word and the byte ("lock+2", "node[1]+10").
      s = word_name(v, e, 0);
      s += '+';
      s += std::to_string(in);
    }
    return s;
  }
  return "";
}

std::string layout_table(const isa::Program& p, uint64_t base, int line_bytes, int threads) {
  std::ostringstream os;
  const uint64_t lb = uint64_t(line_bytes);
  const uint64_t lines = (p.arena_bytes + lb - 1) / lb;
  char buf[256];
  std::snprintf(buf, sizeof buf, "memory layout for %d thread(s): %llu line(s) of %d B, %llu B from 0x%llx\n", threads,
                static_cast<unsigned long long>(lines), line_bytes, static_cast<unsigned long long>(p.arena_bytes),
                static_cast<unsigned long long>(base));
  os << buf;
  os << "\nvariables:\n";
  for (const auto& v : p.vars) {
    std::snprintf(buf, sizeof buf, "  %-8s %-12s offset %4llu", kind_name(v.kind), v.name.c_str(),
                  static_cast<unsigned long long>(v.offset));
    os << buf;
    switch (v.kind) {
      case isa::Variable::Kind::Shared: os << ", 1 word"; break;
      case isa::Variable::Kind::PerCpu:
        os << ", " << v.count << " block(s) of " << v.words << " word(s), one per thread, " << v.stride << " B apart";
        break;
      case isa::Variable::Kind::Array: os << ", " << v.count << " element(s), " << v.stride << " B apart"; break;
    }
    if (v.packed) os << ", packed onto the previous variable's line";
    os << "\n";
  }
  os << "\n  line  address     offset  word\n";
  uint64_t last_line = ~uint64_t(0);
  for (const auto& w : layout_words(p)) {
    const uint64_t line = w.offset / lb;
    std::string l = line == last_line ? "" : std::to_string(line);
    last_line = line;
    std::snprintf(buf, sizeof buf, "  %4s  0x%-8llx  %6llu  %s", l.c_str(), static_cast<unsigned long long>(base + w.offset),
                  static_cast<unsigned long long>(w.offset), w.name.c_str());
    os << buf;
    if (p.vars[size_t(w.var)].kind == isa::Variable::Kind::PerCpu && w.word == 0) os << "   (thread " << w.element << "'s block)";
    os << "\n";
  }
  return os.str();
}

}  // namespace lockstep::workload

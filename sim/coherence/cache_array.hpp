// A private L1's storage: set-associative, LRU, with a copy of each line's data so that
// a broken protocol shows up as a wrong value (the data-value invariant), not just a count.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

namespace lockstep::coherence {

struct CacheLine {
  uint64_t line = UINT64_MAX;  // line address (byte address / line size); UINT64_MAX = never used
  int state = 0;               // protocol state index; 0 = I
  uint64_t lru = 0;            // larger = more recently used
  uint8_t* data = nullptr;     // line_bytes bytes
};

// Lines are allocated on demand, one set (its ways and their data) at a time, when a line
// first goes into that set: a large L1 (1 GiB is legal) costs host memory only for the sets
// the run touches. Small arrays index their sets directly, large ones through a hash map.
class CacheArray {
 public:
  CacheArray(int size_kib, int assoc, int line_bytes);
  // The way holding `line` in a state other than I (transient states count), or nullptr.
  CacheLine* find(uint64_t line) {
    CacheLine* set = set_at(set_of(line));
    if (!set) return nullptr;
    for (int w = 0; w < assoc_; ++w)
      if (set[w].line == line && set[w].state != 0) return &set[w];
    return nullptr;
  }
  // Where `line` would go: a way in state I (or unused) first, else the least recently used
  // way whose state is stable (`stable` tells which states are). nullptr if none is free.
  template <class IsStable>
  CacheLine* victim(uint64_t line, IsStable stable) {
    CacheLine* set = make_set(set_of(line));
    CacheLine* best = nullptr;
    for (int w = 0; w < assoc_; ++w) {
      CacheLine& c = set[w];
      if (c.state == 0) return &c;
      if (!stable(c.state)) continue;
      if (!best || c.lru < best->lru) best = &c;
    }
    return best;
  }
  void touch(CacheLine* c) { c->lru = ++clock_; }
  int line_bytes() const { return line_bytes_; }
  int sets() const { return sets_; }
  int assoc() const { return assoc_; }
  // Sets allocated so far (tests: a large cache costs memory only for what was touched).
  size_t sets_allocated() const { return blocks_.size(); }
  // Every valid line, in set order then way order.
  template <class F> void for_each(F f) {
    for (size_t s : allocated_in_order())
      for (int w = 0; w < assoc_; ++w)
        if (CacheLine& c = set_at(s)[w]; c.state != 0) f(c);
  }

 private:
  struct Block {
    std::unique_ptr<CacheLine[]> ways;
    std::unique_ptr<uint8_t[]> data;
  };
  static constexpr int kDenseSets = 1024;   // up to this many sets: a direct index
  size_t set_of(uint64_t line) const { return size_t(line & uint64_t(sets_ - 1)); }
  CacheLine* set_at(size_t s) const {
    if (sets_ <= kDenseSets) return dense_[s];
    auto it = sparse_.find(s);
    return it == sparse_.end() ? nullptr : it->second;
  }
  CacheLine* make_set(size_t s);
  std::vector<size_t> allocated_in_order() const;
  int sets_, assoc_, line_bytes_;
  std::vector<CacheLine*> dense_;                   // sets_ <= kDenseSets
  std::unordered_map<size_t, CacheLine*> sparse_;   // otherwise
  std::vector<Block> blocks_;
  uint64_t clock_ = 0;
};

}  // namespace lockstep::coherence

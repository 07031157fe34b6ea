// A private L1's storage: set-associative, LRU, with a copy of each line's data so that
// a broken protocol shows up as a wrong value (the data-value invariant), not just a count.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace lockstep::coherence {

struct CacheLine {
  uint64_t line = UINT64_MAX;  // line address (byte address / line size); UINT64_MAX = never used
  int state = 0;               // protocol state index; 0 = I
  uint64_t lru = 0;            // larger = more recently used
  uint8_t* data = nullptr;     // line_bytes bytes
};

class CacheArray {
 public:
  CacheArray(int size_kib, int assoc, int line_bytes);
  // The way holding `line` in a state other than I (transient states count), or nullptr.
  CacheLine* find(uint64_t line);
  // Where `line` would go: a way in state I (or unused) first, else the least recently used
  // way whose state is stable (`stable` tells which states are). nullptr if none is free.
  template <class IsStable>
  CacheLine* victim(uint64_t line, IsStable stable) {
    CacheLine* set = &ways_[set_of(line) * assoc_];
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
  template <class F> void for_each(F f) { for (auto& c : ways_) if (c.state != 0) f(c); }

 private:
  size_t set_of(uint64_t line) const { return size_t(line & uint64_t(sets_ - 1)); }
  int sets_, assoc_, line_bytes_;
  std::vector<CacheLine> ways_;
  std::vector<uint8_t> storage_;
  uint64_t clock_ = 0;
};

}  // namespace lockstep::coherence

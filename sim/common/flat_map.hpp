// An open-addressing hash map from uint64_t keys to small values, for the per-message
// lookups of large machines (a route, a pair's last arrival): one probe into one array in
// the common case, where std::unordered_map chases a node pointer and allocates per insert.
// (Debian 12's Boost 1.74 predates boost::unordered_flat_map; Abseil would be a new
// dependency for two tables.) Linear probing, power-of-two capacity, grown at half full.
// Keys are anything but UINT64_MAX (the empty marker); there is no erase; references
// returned by operator[] are valid until the next insertion.
#pragma once
#include <cstdint>
#include <vector>

namespace lockstep {

template <class V>
class FlatMap {
 public:
  static constexpr uint64_t kEmpty = ~uint64_t{0};

  // The value of `key`, default-constructed on first use.
  V& operator[](uint64_t key) {
    if (2 * (size_ + 1) > slots_.size()) grow();
    Slot& s = slots_[slot(key)];
    if (s.key == kEmpty) {
      s.key = key;
      s.val = V{};
      ++size_;
    }
    return s.val;
  }
  // nullptr when absent.
  const V* find(uint64_t key) const {
    if (slots_.empty()) return nullptr;
    const Slot& s = slots_[slot(key)];
    return s.key == kEmpty ? nullptr : &s.val;
  }
  size_t size() const { return size_; }

 private:
  // The slot holding `key`, or the empty one where it would go.
  size_t slot(uint64_t key) const {
    const size_t mask = slots_.size() - 1;
    // Fibonacci hashing (the product's top bits): consecutive keys spread over the table.
    size_t i = size_t((key * 0x9E3779B97F4A7C15ull) >> shift_);
    while (slots_[i].key != kEmpty && slots_[i].key != key) i = (i + 1) & mask;
    return i;
  }
  void grow() {
    std::vector<Slot> old = std::move(slots_);
    const size_t cap = old.empty() ? 64 : 2 * old.size();
    shift_ = 64;
    for (size_t c = cap; c > 1; c >>= 1) --shift_;
    slots_.assign(cap, Slot{});
    size_ = 0;
    for (Slot& o : old)
      if (o.key != kEmpty) {
        slots_[slot(o.key)] = std::move(o);
        ++size_;
      }
  }

  struct Slot {  // key and value side by side: a lookup touches one cache line
    uint64_t key = kEmpty;
    V val{};
  };
  std::vector<Slot> slots_;
  size_t size_ = 0;
  unsigned shift_ = 64;  // 64 - log2(capacity)
};

}  // namespace lockstep

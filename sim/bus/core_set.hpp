// A set of core ids 0..n-1 as a two-level bitset: a bit per core and a summary bit per
// 64-core word that is not empty. Insert, erase and contains are O(1); the first member at
// or after an id, and each next one, costs O(1 + n / 4096) (one summary word covers 4,096
// cores), so a bus arbiter or a snoop over few members never scans every core. size() is
// counted, not scanned (a directory asks "how many other sharers?" on every request).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace lockstep::coherence {

class CoreSet {
 public:
  CoreSet() = default;
  explicit CoreSet(int n) { resize(n); }
  void resize(int n) {
    n_ = n;
    words_.assign(size_t((n + 63) / 64), 0);
    summary_.assign((words_.size() + 63) / 64, 0);
  }
  int capacity() const { return n_; }
  void insert(int c) {
    uint64_t& w = words_[size_t(c) >> 6];
    if (w & bit(c)) return;
    w |= bit(c);
    summary_[size_t(c) >> 12] |= bit(c >> 6);
    ++size_;
  }
  void erase(int c) {
    uint64_t& w = words_[size_t(c) >> 6];
    if (!(w & bit(c))) return;
    w &= ~bit(c);
    if (!w) summary_[size_t(c) >> 12] &= ~bit(c >> 6);
    --size_;
  }
  int size() const { return size_; }  // members, kept as they come and go: O(1)
  void clear() {                      // O(members + n / 4096)
    for (int c = next(0); c >= 0; c = next(c + 1)) erase(c);
  }
  bool contains(int c) const { return words_[size_t(c) >> 6] & bit(c); }
  // The smallest member >= from, or -1.
  int next(int from) const {
    if (from < 0) from = 0;
    if (from >= n_) return -1;
    size_t w = size_t(from) >> 6;
    if (uint64_t b = words_[w] & (~uint64_t(0) << (from & 63))) return int(w * 64) + __builtin_ctzll(b);
    ++w;  // the next non-empty word, through the summary
    for (size_t s = w >> 6; s < summary_.size(); ++s) {
      uint64_t sb = summary_[s];
      if (s == w >> 6) sb &= ~uint64_t(0) << (w & 63);
      if (sb) {
        const size_t nw = s * 64 + size_t(__builtin_ctzll(sb));
        return int(nw * 64) + __builtin_ctzll(words_[nw]);
      }
    }
    return -1;
  }
  template <class F>
  void for_each(F f) const {
    for (int c = next(0); c >= 0; c = next(c + 1)) f(c);
  }

 private:
  static uint64_t bit(int i) { return uint64_t(1) << (i & 63); }
  int n_ = 0;
  int size_ = 0;
  std::vector<uint64_t> words_, summary_;
};

}  // namespace lockstep::coherence

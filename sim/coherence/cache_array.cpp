#include "coherence/cache_array.hpp"

#include <algorithm>

#include "common/error.hpp"

namespace lockstep::coherence {

CacheArray::CacheArray(int size_kib, int assoc, int line_bytes) : assoc_(assoc), line_bytes_(line_bytes) {
  int64_t lines = int64_t{size_kib} * 1024 / line_bytes;
  if (assoc <= 0 || lines < assoc || lines % assoc)
    throw InputError("machine.l1: " + std::to_string(size_kib) + " KiB with " + std::to_string(assoc) +
                     "-way sets of " + std::to_string(line_bytes) + "-byte lines does not divide into sets");
  if (lines / assoc > int64_t{1} << 30) throw InputError("machine.l1: more than 2^30 sets");
  sets_ = int(lines / assoc);
  if (sets_ & (sets_ - 1)) throw InputError("machine.l1: the number of sets (" + std::to_string(sets_) + ") must be a power of two");
  if (sets_ <= kDenseSets) dense_.assign(size_t(sets_), nullptr);
}

CacheLine* CacheArray::make_set(size_t s) {
  if (CacheLine* set = set_at(s)) return set;
  Block b;
  b.ways = std::make_unique<CacheLine[]>(size_t(assoc_));
  b.data = std::make_unique<uint8_t[]>(size_t(assoc_) * size_t(line_bytes_));   // value-initialised: zero
  for (int w = 0; w < assoc_; ++w) b.ways[w].data = &b.data[size_t(w) * size_t(line_bytes_)];
  CacheLine* set = b.ways.get();
  blocks_.push_back(std::move(b));
  if (sets_ <= kDenseSets) dense_[s] = set;
  else sparse_.emplace(s, set);
  return set;
}

std::vector<size_t> CacheArray::allocated_in_order() const {
  std::vector<size_t> out;
  if (sets_ <= kDenseSets) {
    for (size_t s = 0; s < dense_.size(); ++s)
      if (dense_[s]) out.push_back(s);
  } else {
    for (const auto& [s, set] : sparse_) out.push_back(s);
    std::sort(out.begin(), out.end());
  }
  return out;
}

}  // namespace lockstep::coherence

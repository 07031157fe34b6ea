#include "coherence/cache_array.hpp"

#include "common/error.hpp"

namespace lockstep::coherence {

CacheArray::CacheArray(int size_kib, int assoc, int line_bytes) : assoc_(assoc), line_bytes_(line_bytes) {
  int lines = size_kib * 1024 / line_bytes;
  if (assoc <= 0 || lines < assoc || lines % assoc)
    throw InputError("machine.l1: " + std::to_string(size_kib) + " KiB with " + std::to_string(assoc) +
                     "-way sets of " + std::to_string(line_bytes) + "-byte lines does not divide into sets");
  sets_ = lines / assoc;
  if (sets_ & (sets_ - 1)) throw InputError("machine.l1: the number of sets (" + std::to_string(sets_) + ") must be a power of two");
  ways_.resize(size_t(lines));
  storage_.assign(size_t(lines) * size_t(line_bytes), 0);
  for (size_t i = 0; i < ways_.size(); ++i) ways_[i].data = &storage_[i * size_t(line_bytes)];
}

CacheLine* CacheArray::find(uint64_t line) {
  CacheLine* set = &ways_[set_of(line) * size_t(assoc_)];
  for (int w = 0; w < assoc_; ++w)
    if (set[w].line == line && set[w].state != 0) return &set[w];
  return nullptr;
}

}  // namespace lockstep::coherence

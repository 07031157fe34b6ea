// Exact latency distribution: keeps every sample (handoffs are at most a few million per
// point), so percentiles are exact and deterministic. Nearest-rank percentiles.
#pragma once
#include <cstdint>
#include <vector>

namespace lockstep::stats {

class Histogram {
 public:
  void add(uint64_t v) { samples_.push_back(v); sorted_ = false; }
  void clear() { samples_.clear(); sorted_ = true; }
  uint64_t count() const { return samples_.size(); }
  double mean() const;
  uint64_t max() const;
  uint64_t min() const;
  // p in [0,100]; nearest-rank; 0 when empty.
  uint64_t percentile(double p) const;
  // Counts per bucket of width `width` from 0 (for plots): bucket i = [i*w, (i+1)*w).
  std::vector<uint64_t> buckets(uint64_t width) const;

 private:
  void sort() const;
  mutable std::vector<uint64_t> samples_;
  mutable bool sorted_ = true;
};

}  // namespace lockstep::stats

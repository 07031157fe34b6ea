#include "stats/histogram.hpp"

#include <algorithm>
#include <cmath>

namespace lockstep::stats {

void Histogram::sort() const {
  if (!sorted_) {
    std::sort(samples_.begin(), samples_.end());
    sorted_ = true;
  }
}

double Histogram::mean() const {
  if (samples_.empty()) return 0.0;
  // Sum in integers: exact for any realistic sample count, and independent of sample order
  // (a floating-point running sum would depend on the order samples were added).
  unsigned __int128 sum = 0;
  for (uint64_t v : samples_) sum += v;
  return double(sum) / double(samples_.size());
}

uint64_t Histogram::max() const {
  if (samples_.empty()) return 0;
  sort();
  return samples_.back();
}

uint64_t Histogram::min() const {
  if (samples_.empty()) return 0;
  sort();
  return samples_.front();
}

uint64_t Histogram::percentile(double p) const {
  if (samples_.empty()) return 0;
  sort();
  p = std::clamp(p, 0.0, 100.0);
  // Nearest rank: the smallest sample such that at least p% of the samples are <= it,
  // i.e. rank ceil(p/100 * n) (1-based). p = 0 gives the minimum.
  const size_t n = samples_.size();
  size_t rank = size_t(std::ceil(p / 100.0 * double(n)));
  rank = std::clamp<size_t>(rank, 1, n);
  return samples_[rank - 1];
}

std::vector<uint64_t> Histogram::buckets(uint64_t width) const {
  std::vector<uint64_t> out;
  if (width == 0 || samples_.empty()) return out;
  out.assign(max() / width + 1, 0);
  for (uint64_t v : samples_) ++out[v / width];
  return out;
}

}  // namespace lockstep::stats

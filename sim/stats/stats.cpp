#include "stats/stats.hpp"

#include <algorithm>

namespace lockstep::stats {

namespace {
// Cores that ran a thread. per_core may cover every core of the machine while the workload
// uses fewer threads; an idle core executes no micro-op, and counting it as a core with zero
// acquisitions would make any run on a partly used machine look unfair.
bool ran_thread(const PerCore& c) { return c.micro_ops > 0 || c.acquisitions > 0; }
}  // namespace

uint64_t Point::micro_ops() const {
  uint64_t n = 0;
  for (const auto& c : per_core) n += c.micro_ops;
  return n;
}

double Point::jain() const {
  // (sum x)^2 / (n * sum x^2), accumulated in integers so the result does not depend on
  // summation order. 0 when there is nothing to judge (no active core, no acquisition).
  unsigned __int128 sum = 0, sum_sq = 0;
  uint64_t n = 0;
  for (const auto& c : per_core) {
    if (!ran_thread(c)) continue;
    ++n;
    sum += c.acquisitions;
    sum_sq += (unsigned __int128)c.acquisitions * c.acquisitions;
  }
  if (n == 0 || sum_sq == 0) return 0.0;
  return double(sum) * double(sum) / (double(n) * double(sum_sq));
}

uint64_t Point::min_acquisitions() const {
  bool any = false;
  uint64_t m = 0;
  for (const auto& c : per_core) {
    if (!ran_thread(c)) continue;
    m = any ? std::min(m, c.acquisitions) : c.acquisitions;
    any = true;
  }
  return m;
}

uint64_t Point::max_acquisitions() const {
  uint64_t m = 0;
  for (const auto& c : per_core)
    if (ran_thread(c)) m = std::max(m, c.acquisitions);
  return m;
}

}  // namespace lockstep::stats

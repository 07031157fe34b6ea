#include "clock.hpp"

#include <time.h>

#include <algorithm>
#include <vector>

#include "platform.hpp"

namespace lockstep::native {

static uint64_t mono_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
  return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

static TickRate measure_tick_rate() {
  TickRate r;
  if (uint64_t f = hw::stated_tick_hz()) {
    r.hz = double(f);
    r.stated = true;
    return r;
  }
  // Five 10 ms windows; the median resists a window disturbed by preemption.
  std::vector<double> est;
  for (int i = 0; i < 5; ++i) {
    uint64_t n0 = mono_ns(), t0 = hw::ticks();
    uint64_t n1;
    do { n1 = mono_ns(); } while (n1 - n0 < 10000000ull);
    uint64_t t1 = hw::ticks();
    est.push_back(double(t1 - t0) * 1e9 / double(n1 - n0));
  }
  std::sort(est.begin(), est.end());
  r.hz = est[2];
  r.spread = (est.back() - est.front()) / r.hz;
  r.windows = 5;
  return r;
}

const TickRate& tick_rate() {
  static const TickRate r = measure_tick_rate();
  return r;
}

void spin_loop(uint64_t iterations) {
  // One dependent add per iteration; the asm keeps the compiler from folding the loop.
  uint64_t x = 0;
  for (uint64_t i = 0; i < iterations; ++i) asm volatile("" : "+r"(x) : "r"(i));
}

static double measure_loops_per_tick() {
  // Warm the branch predictor, then take the best of a few runs (preemption only slows).
  spin_loop(100000);
  double best = 0;
  for (int i = 0; i < 5; ++i) {
    const uint64_t n = 200000;
    uint64_t t0 = hw::ticks();
    spin_loop(n);
    uint64_t t1 = hw::ticks();
    if (t1 > t0) best = std::max(best, double(n) / double(t1 - t0));
  }
  return best > 0 ? best : 1.0;
}

CoreClock measure_core_clock(int windows) {
  spin_loop(100000);
  std::vector<double> est;
  const double hz = tick_rate().hz;
  for (int i = 0; i < std::max(2, windows); ++i) {
    // About 0.3 ms at 3 GHz (one dependent add per cycle): short enough that most windows
    // see no preemption on a busy machine.
    const uint64_t n = 1000000;
    uint64_t t0 = hw::ticks();
    spin_loop(n);
    uint64_t t1 = hw::ticks();
    if (t1 > t0) est.push_back(double(n) * hz / double(t1 - t0) / 1e9);
  }
  CoreClock c;
  if (est.empty()) return c;
  // A preempted or interrupted window only reads slower, never faster: the slower half is
  // dropped, the estimate is the median of the faster half and the spread its range.
  std::sort(est.begin(), est.end());
  std::vector<double> top(est.begin() + long(est.size() / 2), est.end());
  c.ghz = top[top.size() / 2];
  c.spread = (top.back() - top.front()) / c.ghz;
  c.windows = int(est.size());
  return c;
}

double spin_loops_per_tick() {
  static const double v = measure_loops_per_tick();
  return v;
}

CycleClock::CycleClock(double clock_ghz) : ghz_(clock_ghz > 0 ? clock_ghz : 1.0) {
  cpt_ = ghz_ * 1e9 / tick_rate().hz;
  loops_per_cycle_ = spin_loops_per_tick() / cpt_;
}

void CycleClock::spin_nonzero(uint64_t cycles, const std::atomic<bool>* stop) const {
  if (cycles < 256) {
    spin_loop(uint64_t(double(cycles) * loops_per_cycle_ + 0.5));
    return;
  }
  // to_ticks of a count near 2^64 does not fit: saturate, and never wrap the deadline.
  const double want = double(cycles) / cpt_;
  const uint64_t span = want >= 1.8e19 ? UINT64_MAX : uint64_t(want + 0.5);
  const uint64_t start = hw::ticks_fast();
  const uint64_t end = span > UINT64_MAX - start ? UINT64_MAX : start + span;
  for (uint32_t n = 0; hw::ticks_fast() < end; ++n)
    if ((n & 1023) == 0 && stop && stop->load(std::memory_order_relaxed)) return;
}

}  // namespace lockstep::native

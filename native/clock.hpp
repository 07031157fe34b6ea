// The harness's one clock: the invariant timestamp counter (TSC on x86-64, CNTVCT on
// AArch64), measured once against CLOCK_MONOTONIC_RAW and converted to *core cycles at
// machine.clock_ghz*, the unit the simulator counts in. The core's real frequency may
// differ (turbo, power states); the counter's rate does not, which is why it is the clock.
#pragma once
#include <atomic>
#include <cstdint>

namespace lockstep::native {

struct TickRate {
  double hz = 0;            // counter ticks per second
  bool stated = false;      // true: read from the architecture (cntfrq_el0); false: measured
  double spread = 0;        // (max - min) / median over the measuring windows; 0 when stated
  int windows = 0;
};

// Measured on first call (about 50 ms) and cached for the process.
const TickRate& tick_rate();

// Ticks <-> core cycles at a given core clock.
class CycleClock {
 public:
  explicit CycleClock(double clock_ghz);
  double clock_ghz() const { return ghz_; }
  double cycles_per_tick() const { return cpt_; }
  uint64_t to_cycles(uint64_t ticks) const { return uint64_t(double(ticks) * cpt_ + 0.5); }
  uint64_t to_ticks(uint64_t cycles) const { return uint64_t(double(cycles) / cpt_ + 0.5); }
  // Busy-waits `cycles` core cycles: a calibrated dependent-add loop for short waits
  // (reading the counter costs tens of cycles), a counter deadline for long ones.
  // A long wait polls `stop` (when given) so a watchdog can end it; the deadline saturates
  // instead of wrapping, whatever `cycles` is.
  // Inline so that the common zero-cycle case (no critical-section or outside work) costs a
  // compare in the harness's per-acquisition path, not a call.
  void spin(uint64_t cycles, const std::atomic<bool>* stop = nullptr) const {
    if (cycles != 0) spin_nonzero(cycles, stop);
  }

 private:
  void spin_nonzero(uint64_t cycles, const std::atomic<bool>* stop) const;
  double ghz_;
  double cpt_;
  double loops_per_cycle_;
};

// The core clock, estimated from the dependent-add loop (one iteration per core cycle on
// current cores) over `windows` windows of about 0.3 ms. A preempted window only reads
// slow, so the slower half is dropped; the estimate is the median of the faster half and the
// spread that half's (max - min) / median. drifted() is true above 5%: the core changed
// frequency while it was measured (turbo, power states, a busy VM), and cycle figures
// converted with it are suspect.
struct CoreClock {
  double ghz = 0;
  double spread = 0;
  int windows = 0;
  bool drifted() const { return spread > 0.05; }
};
CoreClock measure_core_clock(int windows = 21);

// Iterations of spin_loop() per counter tick, measured once.
double spin_loops_per_tick();
void spin_loop(uint64_t iterations);

}  // namespace lockstep::native

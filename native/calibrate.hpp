// `lockstep calibrate`: this machine's coherence latencies, measured the way ccbench does
// (Trigonakis et al.): core A times one load / store / CAS / fetch-add / swap on a line
// that core B (and C, for Shared) left in Modified, Exclusive or Shared, on a line no cache
// holds (clflush), and on a line A itself holds. Helpers prepare the state through a
// mailbox, so A's timed access is the only thing happening; fences around it, the timer's
// own cost subtracted; lines spread over pages (a stride the prefetchers do not follow);
// the median of `reps` repetitions with its spread. The medians are fitted (least squares)
// to the simulator's machine parameters and written as a machine YAML.
#pragma once
#include <string>
#include <vector>

namespace lockstep::native {

struct CalibrateOptions {
  int reps = 101;            // repetitions per (pair, state, op); odd: the median is a sample
  int pairs = 3;             // core pairs: (first CPU, each of the next `pairs` CPUs)
  double clock_ghz = 0;      // core clock the cycles are counted in; 0 = estimated
};

struct Measurement {
  int cpu_a = 0, cpu_b = 0, cpu_c = -1;
  std::string state;         // local | M | E | S | uncached
  std::string op;            // load | store | cas | faa | swap
  double median = 0, p10 = 0, p90 = 0, min = 0;   // core cycles
  int reps = 0;
};

struct Calibration {
  double clock_ghz = 0;
  bool clock_estimated = true;
  double timer_overhead_cycles = 0;
  double pause_cycles = 0, fence_cycles = 0;
  std::vector<Measurement> table;
  std::vector<std::string> skipped;       // "S: needs 3 CPUs", ...
  // Fitted machine parameters.
  int hit_cycles = 0, request_cycles = 0, data_cycles = 0, memory_cycles = 0, atomic_cycles = 0;
  double fit_rms = 0;                     // residual of the fit, cycles
  int cores = 0;
};

Calibration calibrate(const CalibrateOptions& opt);
std::string calibration_csv(const Calibration& c);
// A machine YAML (`machine:` block) that `lockstep run` accepts, directly or via `extends:`.
std::string calibration_yaml(const Calibration& c, const std::string& host);

}  // namespace lockstep::native

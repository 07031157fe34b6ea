// `lockstep calibrate`: this machine's coherence latencies, measured the way ccbench does
// (Trigonakis et al.): core A times one load / store / CAS / fetch-add / swap on a line
// that core B (and C, for Shared) left in Modified, Exclusive or Shared, on a line no cache
// holds (clflush), and on a line A itself holds. Helpers prepare the state through a
// mailbox, so A's timed access is the only thing happening; fences around it, the timer's
// own cost subtracted; lines spread over pages (a stride the prefetchers do not follow);
// the median of `reps` repetitions with its spread. The medians are fitted (least squares)
// to the simulator's machine parameters and written as a machine YAML.
#pragma once
#include <array>
#include <string>
#include <vector>

namespace lockstep::native {

struct CalibrateOptions {
  int reps = 101;            // repetitions per (pair, state, op); odd: the median is a sample
  int pairs = 3;             // core pairs: (first CPU, each of the next `pairs` CPUs)
  double clock_ghz = 0;      // core clock the cycles are counted in; 0 = estimated
};

// The instrument: the counter's step (the smallest non-zero difference between two
// back-to-back serialised reads: nothing shorter can be seen) and the cost of an empty timed
// window, with and without the full fence every timed operation ends with. In ticks.
struct TimerInfo {
  double step_ticks = 1;
  double overhead_ticks = 0;         // ticks(); fence; ticks()
  double overhead_plain_ticks = 0;   // ticks(); ticks()
};
TimerInfo measure_timer();

// The batch timing check: median ticks of one timed window over a chain of k dependent
// loads that hit in L1 (an empty window's cost subtracted), and the per-load ticks of a
// long chain (20,000 loads) of the same ring.
double chain_ticks(int k, int reps, const TimerInfo& t);
double hit_ticks_per_load();

// Operations timed in one window when a single one is below a few timer steps: enough to
// span about 10 steps, at least 2, at most 32.
int batch_for(double single_ticks, double step_ticks);

struct Measurement {
  int cpu_a = 0, cpu_b = 0, cpu_c = -1;
  std::string state;         // local | M | E | S | uncached
  std::string op;            // load | store | cas | faa | swap
  double median = 0, p10 = 0, p90 = 0, min = 0;   // core cycles
  int reps = 0;
  int batch = 1;             // operations per timed window (each on its own prepared line)
  bool fitted = false;       // remote rows: fit and residual below are set
  double fit = 0, residual = 0;   // cycles: the fitted model's value, median - fit
  std::string note;          // "near timer resolution", "does not fit", ...
  bool measured = true;      // false: a row that could not be taken (calibrate --simulate);
                             // its figures are written empty and it stays out of the fit
};

struct Calibration {
  double clock_ghz = 0;
  bool clock_estimated = true;
  double timer_overhead_cycles = 0;
  double timer_step_cycles = 0, timer_step_ticks = 0;
  double counter_hz = 0, counter_spread = 0;   // counter rate and its spread over windows
  bool counter_stated = false;
  double clock_spread = 0;                     // estimated clock: spread over windows
  std::vector<std::string> warnings;           // drift, resolution, rows that do not fit
  double pause_cycles = 0, fence_cycles = 0;
  std::vector<Measurement> table;
  std::vector<std::string> skipped;       // "S: needs 3 CPUs", ...
  // Fitted machine parameters.
  // Constrained: request >= 0, data >= 0, memory >= data, i.e. memory >= cache-to-cache >= hit.
  int hit_cycles = 0, request_cycles = 0, data_cycles = 0, memory_cycles = 0, atomic_cycles = 0;
  double fit_rms = 0;                     // residual of the fit, cycles
  int cores = 0;
};

Calibration calibrate(const CalibrateOptions& opt);

// The fit: least squares over rows "remote - hit = request + data" (is_memory false) and
// "uncached - hit = request + memory" (true), with a prior row request:data =
// 1:4, under request >= 0, data >= 0, memory >= data (every active set tried; the best
// feasible one kept). Returns {request, data, memory}.
struct FitRow { bool is_memory; double y; };
std::array<double, 3> constrained_fit(const std::vector<FitRow>& rows);
// Fits c.table (rows with measured set) given c.hit_cycles: sets each remote row's fit,
// residual and "does not fit" note, c.warnings for those, c.fit_rms, c.request_cycles,
// c.data_cycles, c.memory_cycles (0 without uncached rows) and c.atomic_cycles (local
// RMW minus local load). Shared by `calibrate` and `calibrate --simulate`.
void fit_calibration(Calibration& c);
std::string calibration_csv(const Calibration& c);
// A machine YAML (`machine:` block) that `lockstep run` accepts, directly or via `extends:`.
std::string calibration_yaml(const Calibration& c, const std::string& host);

}  // namespace lockstep::native

// `lockstep native run`: every point of an experiment run natively, one after the other
// (points share the machine), written in the simulator's layout (sim/output) with the facts
// that decide how far the numbers can be trusted added to manifest.json under "native".
#pragma once
#include <string>
#include <vector>

#include "config/loader.hpp"
#include "output/driver.hpp"
#include "runner.hpp"
#include "topology.hpp"

namespace lockstep::native {

// Where the harness's core clock (ticks -> cycles) comes from, never silently a default:
// `--machine FILE` (its machine.clock_ghz, as `lockstep calibrate` wrote it; the counter
// rate calibrate recorded is compared with this run's, > 5% apart is a warning), `--clock-ghz
// G`, or measured now (median of windows of the dependent-add loop; flagged above 5% spread).
struct ClockChoice {
  double ghz = 0;
  std::string source;               // "machine FILE" | "--clock-ghz" | "measured"
  double spread = 0;                // measured: relative spread of the windows
  double recorded_counter_hz = 0;   // --machine: the counter rate calibrate recorded (0: none)
  std::string warning;              // empty, or one line for stdout and the manifest
};
ClockChoice choose_clock(const std::string& machine_file, double clock_ghz);

struct NativeRun {
  output::RunResult run;
  Environment env;
};

// Validation before measuring (as `lockstep run` does for the simulator): every point's lock
// is loaded and assembled, its hand-written version looked up when opt.handwritten, and its
// thread count checked against the usable CPUs, before the first point runs. The first bad
// point throws InputError located at the key that caused it (config::locate_error).
void check_native_points(const config::Experiment& exp, const NativeOptions& opt, int usable_cpus);

// Throws InputError before running anything when a point wants more threads than there are
// usable CPUs and opt.oversubscribe is off.
NativeRun run_native_experiment(const config::Experiment& exp, const NativeOptions& opt,
                                const std::vector<std::string>& argv, const ClockChoice& clock = {});

// What a native point cannot measure (coherence events, L1 hits) is written as null in
// stats.json and left empty in summary.csv, never as zero: coherence counters always;
// micro-ops for hand-written code; handoff fields when no handoff happened; handoff ratio,
// reacquires and per-core wait/hold sums in throughput mode (sampled, not counted). Each
// stats.json gains a "native" object: mode, sampling, ticks, counter rate, cycles per tick,
// clock and its source. Rewrites DIR's files in place.
void mark_unmeasured(const std::string& dir, const config::Experiment& exp, const output::RunResult& run,
                     const NativeOptions& opt = {}, const ClockChoice& clock = {});

// The table printed after a native run: what was measured, and only that.
std::string native_table(const config::Experiment& exp, const output::RunResult& run);

// One line for stdout when the numbers come from a VM or an oversubscribed/SMT placement.
std::string environment_warnings(const Environment& env, int max_threads, bool handwritten);

}  // namespace lockstep::native

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

struct NativeRun {
  output::RunResult run;
  Environment env;
};

// Throws InputError before running anything when a point wants more threads than there are
// usable CPUs and opt.oversubscribe is off.
NativeRun run_native_experiment(const config::Experiment& exp, const NativeOptions& opt,
                                const std::vector<std::string>& argv);

// What a native point cannot measure (coherence events, L1 hits) is written as null in
// stats.json and left empty in summary.csv, never as zero. Rewrites DIR's files in place.
void mark_unmeasured(const std::string& dir, const config::Experiment& exp, const output::RunResult& run);

// The table printed after a native run: what was measured, and only that.
std::string native_table(const config::Experiment& exp, const output::RunResult& run);

// One line for stdout when the numbers come from a VM or an oversubscribed/SMT placement.
std::string environment_warnings(const Environment& env, int max_threads, bool handwritten);

}  // namespace lockstep::native

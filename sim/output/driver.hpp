// Runs the points of an experiment and writes their files (DESIGN.md §5 "Output files",
// docs/scale.md):
//   DIR/experiment.json           first: which experiment the folder holds (output/run_dir.hpp)
//   DIR/resolved.yaml             with it: the experiment, fully resolved and re-runnable
//   DIR/points/POINT/stats.json   as each point finishes (atomically); with --seeds K the
//                                 other seeds' runs in DIR/points/POINT/seed-S/stats.json
//   DIR/summary.csv, DIR/manifest.json   once every selected point has run
// Points are independent, so they run on `jobs` threads; results are ordered by point index
// and files depend only on the results, so the bytes are the same whatever `jobs` is.
// A shard (shard_count > 1) writes its points and DIR/manifest.shard-I-of-N.json; it writes
// summary.csv only when every point of the experiment is then present (the last shard to
// finish), so shards never overwrite each other's summary. `lockstep merge DIR` does the rest.
#pragma once
#include <functional>
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

#include "config/loader.hpp"
#include "output/run_dir.hpp"
#include "output/summary.hpp"
#include "run/simulate.hpp"
#include "stats/stats.hpp"

namespace lockstep::output {

// How one point is run: sim::simulate in the command, something cheaper in tests.
using SimulateFn = std::function<stats::Point(const config::Point&, const sim::SimOptions&)>;

struct RunOptions {
  int jobs = 1;                     // >= 1
  int shard_index = 0;              // run the points whose index % shard_count == shard_index
  int shard_count = 1;
  int seeds = 1;                    // runs per point: seeds seed, seed+1, ..., seed+seeds-1
  DirMode dir_mode = DirMode::Normal;
  std::string trace_format;         // "" = no trace; else text|perfetto|vcd or a comma list of them:
                                    // DIR/points/POINT/trace.txt, trace.json, trace.vcd (docs/trace.md)
  bool trace_warmup = false;        // traces include the warm-up
  uint64_t snapshot_every = 0;      // --snapshot-every: DIR/points/POINT/snapshots.txt (also at exit 3/4)
  std::vector<std::string> argv;    // for the manifest
  std::ostream* progress = nullptr; // progress lines go here (stderr), nullptr = none
  double heartbeat_seconds = 2;     // a line (cycle, acquisitions) per point running longer than this; 0 = none
};

struct RunResult {
  std::string dir;                  // output directory
  std::vector<PointResult> results; // the points run (or kept by --resume), in index order
  size_t simulated = 0;             // seed runs simulated now
  size_t reused = 0;                // seed runs kept from the folder (--resume)
  bool summary_written = false;
  double wall_seconds = 0;
};

// "I/N" with 0 <= I < N; throws InputError otherwise.
std::pair<int, int> parse_shard(const std::string& text);

// Indices (into exp.points) of the points this shard runs.
std::vector<size_t> shard_points(const config::Experiment& exp, int shard_index, int shard_count);

// DIR/points/POINT
std::string point_dir(const std::string& dir, const config::Point& p);

// The record DIR/experiment.json gets for this experiment run with `seeds` seeds per point.
ExperimentRecord experiment_record(const config::Experiment& exp, int seeds);

// Runs the shard's points and writes every file. If a point throws, the points not yet
// started are not started, the ones running finish, and the error of the lowest-index failed
// point is rethrown as the same type (InputError, CorrectnessError, NoProgressError, or
// std::runtime_error for anything else) with the message prefixed by "POINT: ". That is the
// error a one-job run would have stopped at. summary.csv and manifest.json are then not
// written; stats.json files of points that completed are (each is whole).
// The folder is checked first (prepare_run_dir): InputError when it holds another experiment.
RunResult run_experiment(const config::Experiment& exp, const RunOptions& opt, const SimulateFn& simulate);

}  // namespace lockstep::output

// The output folder of a run (docs/scale.md "Output folders"): DIR/experiment.json records
// which experiment the folder holds (its points, their swept values and config hashes), so
// that a run never mixes two experiments' results and `lockstep merge` can rebuild the
// summary from the points on disk.
//
// A run into DIR (prepare_run_dir):
//   - DIR empty, missing, or holding only files lockstep does not write: fine;
//   - DIR holding this very experiment (same hash): fine; the points are run again;
//   - DIR holding results (summary.csv or a stats.json) of another experiment or a different
//     resolved config (or results without experiment.json): InputError (exit 2), unless
//       Force:  lockstep's own files are removed first (points/, summary.csv, plots, ...;
//               nothing else in DIR is touched);
//       Resume: points whose stats.json carries the same config hash are kept, the rest run.
//   In every allowed case, point folders that are not points of this experiment are removed,
//   so no stale point outlives the run.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lockstep::output {

inline constexpr const char* kExperimentSchema = "lockstep.experiment/1";

struct ExperimentRecord {
  struct Entry {
    std::string name;
    std::vector<std::string> swept;   // values, in swept_paths order
    std::vector<uint64_t> seeds;      // base seed first
    std::vector<std::string> hashes;  // config hash per seed
  };
  std::string name;
  std::string file;
  std::vector<std::string> swept_paths;
  std::vector<Entry> points;          // every point of the experiment, index order
  // "path=value" of the keys the experiment sets (YAML, extends:, --set) to other than the
  // default and does not sweep: plot titles name them. Not part of hash() (the config
  // hashes cover them); absent in records written before it existed.
  std::vector<std::string> fixed;

  // A hash over every point's name, swept values, seeds and config hashes.
  std::string hash() const;
};

nlohmann::ordered_json record_json(const ExperimentRecord& r);
// Throws InputError naming the file when it is not an experiment record.
ExperimentRecord record_from_json(const nlohmann::json& j, const std::string& path);
// DIR/experiment.json, or nothing when the file does not exist.
std::optional<ExperimentRecord> read_record(const std::string& dir);

// Where seed run `seed_pos` (0 = the base seed) of a point keeps its stats.json:
// DIR/points/POINT/stats.json for the base seed, DIR/points/POINT/seed-S/stats.json else.
std::string run_stats_path(const std::string& dir, const ExperimentRecord::Entry& e, size_t seed_pos);

enum class DirMode { Normal, Force, Resume };

// Checks DIR against `rec` as described above and clears or prunes it. Throws InputError
// (exit 2) when the folder holds other results (a summary.csv or any stats.json).
void prepare_run_dir(const std::string& dir, const ExperimentRecord& rec, DirMode mode);
// Writes DIR/experiment.json; the driver does it just before the first point's stats.json, so
// a run that fails before any point finishes leaves no folder behind.
void write_record(const std::string& dir, const ExperimentRecord& rec);

// Whether DIR holds a complete stats.json for this run (its config_hash matches).
bool run_done(const std::string& stats_path, const std::string& hash);

}  // namespace lockstep::output

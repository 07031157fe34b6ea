// Building the summary of a result folder from the stats.json files on disk: what
// `lockstep merge DIR` does after shards ran (each on its own machine, into one shared or
// copied-together folder), and what the last shard to finish does by itself.
#pragma once
#include <string>
#include <vector>

#include "output/run_dir.hpp"
#include "output/summary.hpp"

namespace lockstep::output {

struct MergeResult {
  Summary summary;                    // the points whose every seed run is present
  std::vector<std::string> missing;   // points (or "POINT seed S") absent or from another config
  size_t present = 0;                 // points in the summary
};

// Reads DIR/points/*/stats.json for the points of `rec`; a run counts only when its
// config_hash matches the record's.
MergeResult merge_points(const std::string& dir, const ExperimentRecord& rec);

// Reads DIR/experiment.json (InputError when there is none) and merges.
MergeResult merge_dir(const std::string& dir, ExperimentRecord* rec_out = nullptr);

}  // namespace lockstep::output

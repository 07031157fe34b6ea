// The per-experiment summaries: DIR/summary.csv (DESIGN.md §5) and the table printed on
// stdout after a run. Both list points in the order given (point index order).
#pragma once
#include <string>
#include <vector>

#include "config/config.hpp"
#include "stats/stats.hpp"

namespace lockstep::output {

struct PointResult {
  const config::Point* point = nullptr;
  stats::Point stats;
};

// Header: point, <swept paths...>, cycles, acquisitions, acq_per_kcycle, handoff_mean,
// handoff_p50, handoff_p99, inv_per_acq, bus_per_acq, msgs_per_acq, wb_per_acq, jain.
std::string summary_csv_header(const std::vector<std::string>& swept_paths);
std::string summary_csv_row(const std::vector<std::string>& swept_paths, const PointResult& r);
// Header line and one line per result, each ending with '\n'.
std::string summary_csv(const std::vector<std::string>& swept_paths, const std::vector<PointResult>& results);

// Aligned, human-readable table (not a contract: layout may change).
std::string summary_table(const std::vector<std::string>& swept_paths, const std::vector<PointResult>& results);

// The value point p has for dotted path `path` ("" when the point does not sweep it).
std::string swept_value(const config::Point& p, const std::string& path);

}  // namespace lockstep::output

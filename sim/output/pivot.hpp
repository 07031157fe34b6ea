// For a sweep over exactly two paths, the same numbers as a grid: rows are the first
// path's values, columns the second's (e.g. lock × cores), one grid per metric. This is how
// a reader sees "ticket grows, MCS stays flat" at a glance.
#pragma once
#include <string>
#include <vector>

#include "output/summary.hpp"

namespace lockstep::output {

struct PivotMetric {
  std::string title;   // "bus transactions per acquisition"
  std::string column;  // the summary column it shows: "bus_per_acq"
};

// The metrics shown after a run: traffic per acquisition (bus on a bus, messages on a
// network), invalidations per acquisition, throughput.
std::vector<PivotMetric> default_pivot_metrics(const Summary& s);
std::vector<PivotMetric> default_pivot_metrics(const std::vector<PointResult>& results);

// "" unless swept_paths has exactly two entries.
std::string pivot_tables(const std::vector<std::string>& swept_paths, const Summary& s,
                         const std::vector<PivotMetric>& metrics);
std::string pivot_tables(const std::vector<std::string>& swept_paths, const std::vector<PointResult>& results,
                         const std::vector<PivotMetric>& metrics);

}  // namespace lockstep::output

// The per-experiment summaries: DIR/summary.csv (DESIGN.md §5) and the table printed on
// stdout after a run. Both list points in the order given (point index order).
//
// Every figure is read from the points' stats.json (not from stats::Point), so a summary built
// by `lockstep merge` or after `--resume` from files on disk has the same bytes as one built
// right after simulating. Columns (docs/stats.md "summary.csv"):
//   point, <swept paths...>, the contract figures (cycles ... jain), handoff_count,
//   handoff_ratio, wait_p50, wait_p99, hold_mean, then every other numeric scalar of
//   stats.json by dotted path (coherence.cache_to_cache, coherence.messages_by_type.Inv,
//   extra.net.mean_hops, lockstat.contentions, ...) in the order they first appear, and with
//   more than one seed per point a METRIC_ci95 column per figure column.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "stats/stats.hpp"

namespace lockstep::output {

struct PointResult {
  const config::Point* point = nullptr;
  stats::Point stats;                        // the base seed's figures (empty when read back from disk)
  // stats.json of every seed run, base seed first. Empty: taken as stats_json(*point, stats).
  std::vector<nlohmann::ordered_json> runs;
};

// One row's input: what a summary needs of a point, whether simulated now or read from disk.
struct SummaryPoint {
  std::string name;
  std::vector<std::string> swept;            // values, in swept_paths order
  std::vector<nlohmann::ordered_json> runs;  // stats.json per seed, base seed first
};
SummaryPoint summary_point(const std::vector<std::string>& swept_paths, const PointResult& r);

// The table behind summary.csv: header and rows of formatted fields (all rows header-sized;
// "" where a point has no such figure).
struct Summary {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  size_t first_figure = 1;  // index of "cycles" in header
};
Summary build_summary(const std::vector<std::string>& swept_paths, const std::vector<SummaryPoint>& points);
Summary build_summary(const std::vector<std::string>& swept_paths, const std::vector<PointResult>& results);
std::string summary_csv(const Summary& s);

// The fixed figure columns, in order: the DESIGN.md §5 contract ones, then the lead's.
const std::vector<std::string>& fixed_figure_columns();

// The fixed column that shows stats.json's `dotted` figure (per_acquisition.invalidations ->
// inv_per_acq), "" for none. Such figures get no second column of their own.
std::string fixed_column_for(const std::string& dotted);

// Header of the fixed part: point, <swept paths...>, cycles ... hold_mean.
std::string summary_csv_header(const std::vector<std::string>& swept_paths);
// One point's row alone (its fixed columns and its own scalars).
std::string summary_csv_row(const std::vector<std::string>& swept_paths, const PointResult& r);
// Header line and one line per result, each ending with '\n'.
std::string summary_csv(const std::vector<std::string>& swept_paths, const std::vector<PointResult>& results);

// Aligned, human-readable table (not a contract: layout may change).
std::string summary_table(const Summary& s, size_t swept_count);
std::string summary_table(const std::vector<std::string>& swept_paths, const std::vector<PointResult>& results);

// The value point p has for dotted path `path` ("" when the point does not sweep it).
std::string swept_value(const config::Point& p, const std::string& path);

// Two-sided 95% Student t quantile for `df` degrees of freedom (exact table to 30, then the
// Cornish-Fisher expansion, within 0.003 of the true value).
double t95(int df);

}  // namespace lockstep::output

// stats.json of one point (DESIGN.md §5 "Output files"): what was measured, under the
// schema name "lockstep.stats/1". Keys come in a fixed order and figures are rounded
// (output/format.hpp), so the same input gives the same bytes.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "stats/stats.hpp"

namespace lockstep::output {

inline constexpr const char* kStatsSchema = "lockstep.stats/1";

// config is *point.resolved without its `output` section (null when the point has none). Holds no host-side figure
// (no wall time, no engine event count, no fast-forward skip count).
nlohmann::ordered_json stats_json(const config::Point& point, const stats::Point& st);

// The file's text: stats_json indented by 2, ending with a newline.
std::string stats_json_text(const config::Point& point, const stats::Point& st);

}  // namespace lockstep::output

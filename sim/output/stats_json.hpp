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

// A hash of what the point simulates (its resolved config as stats.json shows it, and its
// seed): 16 hex digits of FNV-1a 64. stats.json carries it last, as "config_hash"; --resume
// reuses a point's stats.json only when the hash matches.
std::string config_hash(const config::Point& point);
// FNV-1a 64 of `text`, as 16 lower-case hex digits.
std::string fnv1a64_hex(const std::string& text);

// The file's text: stats_json indented by 2, ending with a newline.
std::string stats_json_text(const config::Point& point, const stats::Point& st);

}  // namespace lockstep::output

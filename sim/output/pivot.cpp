#include "output/pivot.hpp"

#include <algorithm>
#include <cstdio>

namespace lockstep::output {

namespace {
double per_acq(uint64_t v, const stats::Point& s) { return s.acquisitions ? double(v) / double(s.acquisitions) : 0.0; }
}  // namespace

std::vector<PivotMetric> default_pivot_metrics(const std::vector<PointResult>& results) {
  bool network = std::any_of(results.begin(), results.end(), [](const PointResult& r) { return r.stats.coherence.messages > 0; });
  std::vector<PivotMetric> m;
  if (network)
    m.push_back({"network messages per acquisition", [](const stats::Point& s) { return per_acq(s.coherence.messages, s); }});
  else
    m.push_back({"bus transactions per acquisition", [](const stats::Point& s) { return per_acq(s.coherence.bus_transactions, s); }});
  m.push_back({"invalidations per acquisition", [](const stats::Point& s) { return per_acq(s.coherence.invalidations, s); }});
  m.push_back({"acquisitions per 1000 cycles", [](const stats::Point& s) { return s.acq_per_kcycle(); }});
  return m;
}

std::string pivot_tables(const std::vector<std::string>& swept_paths, const std::vector<PointResult>& results,
                         const std::vector<PivotMetric>& metrics) {
  if (swept_paths.size() != 2 || results.empty()) return "";
  std::vector<std::string> rows, cols;
  for (const auto& r : results) {
    std::string a = swept_value(*r.point, swept_paths[0]), b = swept_value(*r.point, swept_paths[1]);
    if (std::find(rows.begin(), rows.end(), a) == rows.end()) rows.push_back(a);
    if (std::find(cols.begin(), cols.end(), b) == cols.end()) cols.push_back(b);
  }
  size_t w0 = swept_paths[0].size();
  for (auto& r : rows) w0 = std::max(w0, r.size());
  std::string out;
  char buf[64];
  for (const auto& m : metrics) {
    out += "\n" + m.title + " (rows: " + swept_paths[0] + ", columns: " + swept_paths[1] + ")\n";
    std::snprintf(buf, sizeof buf, "%-*s", int(w0), swept_paths[0].c_str());
    out += buf;
    for (auto& c : cols) {
      std::snprintf(buf, sizeof buf, " %9s", c.c_str());
      out += buf;
    }
    out += "\n";
    for (auto& row : rows) {
      std::snprintf(buf, sizeof buf, "%-*s", int(w0), row.c_str());
      out += buf;
      for (auto& col : cols) {
        const PointResult* hit = nullptr;
        for (const auto& r : results)
          if (swept_value(*r.point, swept_paths[0]) == row && swept_value(*r.point, swept_paths[1]) == col) hit = &r;
        if (hit) std::snprintf(buf, sizeof buf, " %9.2f", m.value(hit->stats));
        else std::snprintf(buf, sizeof buf, " %9s", "-");
        out += buf;
      }
      out += "\n";
    }
  }
  return out;
}

}  // namespace lockstep::output

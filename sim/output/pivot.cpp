#include "output/pivot.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace lockstep::output {

namespace {
size_t column(const Summary& s, const std::string& name) {
  return size_t(std::find(s.header.begin(), s.header.end(), name) - s.header.begin());
}
}  // namespace

std::vector<PivotMetric> default_pivot_metrics(const Summary& s) {
  const size_t msgs = column(s, "msgs_per_acq");
  const bool network = std::any_of(s.rows.begin(), s.rows.end(), [&](const std::vector<std::string>& r) {
    return msgs < r.size() && std::strtod(r[msgs].c_str(), nullptr) > 0;
  });
  std::vector<PivotMetric> m;
  if (network) m.push_back({"network messages per acquisition", "msgs_per_acq"});
  else m.push_back({"bus transactions per acquisition", "bus_per_acq"});
  m.push_back({"invalidations per acquisition", "inv_per_acq"});
  m.push_back({"acquisitions per 1000 cycles", "acq_per_kcycle"});
  return m;
}

std::vector<PivotMetric> default_pivot_metrics(const std::vector<PointResult>& results) {
  return default_pivot_metrics(build_summary({}, results));
}

std::string pivot_tables(const std::vector<std::string>& swept_paths, const Summary& s,
                         const std::vector<PivotMetric>& metrics) {
  if (swept_paths.size() != 2 || s.rows.empty()) return "";
  const size_t ca = column(s, swept_paths[0]), cb = column(s, swept_paths[1]);
  if (ca >= s.header.size() || cb >= s.header.size()) return "";
  std::vector<std::string> rows, cols;
  for (const auto& r : s.rows) {
    if (std::find(rows.begin(), rows.end(), r[ca]) == rows.end()) rows.push_back(r[ca]);
    if (std::find(cols.begin(), cols.end(), r[cb]) == cols.end()) cols.push_back(r[cb]);
  }
  size_t w0 = swept_paths[0].size();
  for (auto& r : rows) w0 = std::max(w0, r.size());
  std::string out;
  char buf[64];
  for (const auto& m : metrics) {
    const size_t mc = column(s, m.column);
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
        const std::vector<std::string>* hit = nullptr;
        for (const auto& r : s.rows)
          if (r[ca] == row && r[cb] == col) hit = &r;
        if (hit && mc < hit->size() && !(*hit)[mc].empty())
          std::snprintf(buf, sizeof buf, " %9.2f", std::strtod((*hit)[mc].c_str(), nullptr));
        else std::snprintf(buf, sizeof buf, " %9s", "-");
        out += buf;
      }
      out += "\n";
    }
  }
  return out;
}

std::string pivot_tables(const std::vector<std::string>& swept_paths, const std::vector<PointResult>& results,
                         const std::vector<PivotMetric>& metrics) {
  return pivot_tables(swept_paths, build_summary(swept_paths, results), metrics);
}

}  // namespace lockstep::output

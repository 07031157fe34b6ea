#include "output/summary.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "output/format.hpp"
#include "output/stats_json.hpp"

namespace lockstep::output {

using ojson = nlohmann::ordered_json;

namespace {

// One figure of one run: absent (missing key or null) or a number, integers kept exact.
struct Value {
  bool present = false;
  bool integer = false;
  double v = 0;
  std::string text;  // exact text for integers
};

Value value_of(const ojson& j) {
  Value out;
  if (j.is_number_unsigned()) {
    out = {true, true, double(j.get<uint64_t>()), std::to_string(j.get<uint64_t>())};
  } else if (j.is_number_integer()) {
    out = {true, true, double(j.get<int64_t>()), std::to_string(j.get<int64_t>())};
  } else if (j.is_number()) {
    out = {true, false, j.get<double>(), ""};
  }
  return out;
}

const ojson* at_path(const ojson& j, const std::vector<std::string>& keys) {
  const ojson* cur = &j;
  for (const auto& k : keys) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(k);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return cur;
}

// The fixed columns and where stats.json has them. `zero_if_null`: the column has always
// printed 0 for an unmeasured distribution, and keeps doing so.
struct Fixed {
  const char* column;
  std::vector<std::string> path;
};
const std::vector<Fixed>& fixed() {
  static const std::vector<Fixed> f = {
      {"cycles", {"cycles"}},
      {"acquisitions", {"acquisitions"}},
      {"acq_per_kcycle", {"throughput", "acq_per_kcycle"}},
      {"handoff_mean", {"handoff_cycles", "mean"}},
      {"handoff_p50", {"handoff_cycles", "p50"}},
      {"handoff_p99", {"handoff_cycles", "p99"}},
      {"inv_per_acq", {"per_acquisition", "invalidations"}},
      {"bus_per_acq", {"per_acquisition", "bus_transactions"}},
      {"msgs_per_acq", {"per_acquisition", "messages"}},
      {"wb_per_acq", {"per_acquisition", "writebacks"}},
      {"jain", {"fairness", "jain"}},
      {"handoff_count", {"handoff_cycles", "count"}},
      {"handoff_ratio", {"fairness", "handoff_ratio"}},
      {"wait_p50", {"wait_cycles", "p50"}},
      {"wait_p99", {"wait_cycles", "p99"}},
      {"hold_mean", {"hold_cycles", "mean"}},
  };
  return f;
}

// Top-level keys that are no figure: identity, the config, per-core arrays.
bool skipped_top(const std::string& k) {
  return k == "schema" || k == "point" || k == "seed" || k == "config" || k == "per_core" || k == "config_hash";
}

void flatten(const ojson& j, const std::string& prefix, std::vector<std::pair<std::string, const ojson*>>& out) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (prefix.empty() && skipped_top(it.key())) continue;
    const std::string path = prefix.empty() ? it.key() : prefix + "." + it.key();
    if (it->is_object()) flatten(*it, path, out);
    else if (it->is_number() || it->is_null()) out.emplace_back(path, &*it);
  }
}

// The cell of one column over a point's runs: the value itself for one run, else the mean
// of the runs that have it; `ci` receives the 95% half-width ("" with fewer than 2 values).
std::string cell(const std::vector<Value>& vals, std::string* ci) {
  std::vector<double> xs;
  for (const auto& v : vals)
    if (v.present) xs.push_back(v.v);
  if (ci) ci->clear();
  if (xs.empty()) return "";
  if (vals.size() == 1) return vals[0].integer ? vals[0].text : format_number(vals[0].v);
  double sum = 0;
  for (double x : xs) sum += x;
  const double mean = sum / double(xs.size());
  if (ci && xs.size() >= 2) {
    double ss = 0;
    for (double x : xs) ss += (x - mean) * (x - mean);
    const double sd = std::sqrt(ss / double(xs.size() - 1));
    *ci = format_number(t95(int(xs.size()) - 1) * sd / std::sqrt(double(xs.size())));
  }
  return format_number(mean);
}

}  // namespace

double t95(int df) {
  static const double kT[] = {0,      12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                              2.201,  2.179,  2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080,
                              2.074,  2.069,  2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
  if (df < 1) return 0;
  if (df <= 30) return kT[df];
  const double z = 1.959964, n = df;
  return z + (z * z * z + z) / (4 * n) + (5 * std::pow(z, 5) + 16 * z * z * z + 3 * z) / (96 * n * n);
}

std::string fixed_column_for(const std::string& dotted) {
  for (const auto& f : fixed()) {
    std::string path;
    for (const auto& k : f.path) {
      if (!path.empty()) path += '.';
      path += k;
    }
    if (path == dotted) return f.column;
  }
  return "";
}

const std::vector<std::string>& fixed_figure_columns() {
  static const std::vector<std::string> cols = [] {
    std::vector<std::string> c;
    for (const auto& f : fixed()) c.push_back(f.column);
    return c;
  }();
  return cols;
}

std::string swept_value(const config::Point& p, const std::string& path) {
  for (const auto& [k, v] : p.swept)
    if (k == path) return v;
  return "";
}

SummaryPoint summary_point(const std::vector<std::string>& swept_paths, const PointResult& r) {
  SummaryPoint sp;
  sp.name = r.point->name;
  for (const auto& path : swept_paths) sp.swept.push_back(swept_value(*r.point, path));
  sp.runs = r.runs;
  if (sp.runs.empty()) sp.runs.push_back(stats_json(*r.point, r.stats));
  return sp;
}

Summary build_summary(const std::vector<std::string>& swept_paths, const std::vector<SummaryPoint>& points) {
  Summary s;
  s.header.push_back("point");
  for (const auto& p : swept_paths) s.header.push_back(p);
  s.first_figure = s.header.size();
  const auto& fixed_cols = fixed_figure_columns();

  // The dotted scalars, in the order they first appear; fixed columns' names are not repeated.
  std::vector<std::string> extra;
  std::map<std::string, size_t> extra_index;
  bool many_seeds = false;
  for (const auto& pt : points) {
    many_seeds = many_seeds || pt.runs.size() > 1;
    for (const auto& run : pt.runs) {
      std::vector<std::pair<std::string, const ojson*>> leaves;
      flatten(run, "", leaves);
      for (const auto& [path, v] : leaves) {
        if (std::find(fixed_cols.begin(), fixed_cols.end(), path) != fixed_cols.end()) continue;
        if (!fixed_column_for(path).empty()) continue;  // shown once, under its fixed column's name
        if (extra_index.emplace(path, extra.size()).second) extra.push_back(path);
      }
    }
  }
  std::vector<std::string> figures = fixed_cols;
  figures.insert(figures.end(), extra.begin(), extra.end());
  for (const auto& f : figures) s.header.push_back(f);
  if (many_seeds)
    for (const auto& f : figures) s.header.push_back(f + "_ci95");

  for (const auto& pt : points) {
    std::vector<std::string> row = {pt.name};
    for (size_t i = 0; i < swept_paths.size(); ++i) row.push_back(i < pt.swept.size() ? pt.swept[i] : "");
    // Each run's scalars, looked up by column.
    std::vector<std::map<std::string, Value>> scalars(pt.runs.size());
    for (size_t k = 0; k < pt.runs.size(); ++k) {
      std::vector<std::pair<std::string, const ojson*>> leaves;
      flatten(pt.runs[k], "", leaves);
      for (const auto& [path, j] : leaves) scalars[k][path] = value_of(*j);
    }
    std::vector<std::string> cis;
    for (size_t c = 0; c < figures.size(); ++c) {
      std::vector<Value> vals;
      for (size_t k = 0; k < pt.runs.size(); ++k) {
        Value v;
        if (c < fixed_cols.size()) {
          const ojson* j = at_path(pt.runs[k], fixed()[c].path);
          if (j) v = value_of(*j);
          if (!v.present) v = {true, true, 0, "0"};  // these columns have always shown 0 for "none"
        } else {
          auto it = scalars[k].find(figures[c]);
          if (it != scalars[k].end()) v = it->second;
        }
        vals.push_back(v);
      }
      std::string ci;
      row.push_back(cell(vals, many_seeds ? &ci : nullptr));
      cis.push_back(ci);
    }
    if (many_seeds) row.insert(row.end(), cis.begin(), cis.end());
    s.rows.push_back(std::move(row));
  }
  return s;
}

Summary build_summary(const std::vector<std::string>& swept_paths, const std::vector<PointResult>& results) {
  std::vector<SummaryPoint> pts;
  for (const auto& r : results) pts.push_back(summary_point(swept_paths, r));
  return build_summary(swept_paths, pts);
}

std::string summary_csv(const Summary& s) {
  auto line = [](const std::vector<std::string>& fields) {
    std::string l;
    for (size_t i = 0; i < fields.size(); ++i) {
      if (i) l += ',';
      l += csv_field(fields[i]);
    }
    return l + "\n";
  };
  std::string out = line(s.header);
  for (const auto& r : s.rows) out += line(r);
  return out;
}

std::string summary_csv_header(const std::vector<std::string>& swept_paths) {
  std::string h = "point";
  for (const auto& path : swept_paths) h += ',' + csv_field(path);
  for (const auto& c : fixed_figure_columns()) h += ',' + c;
  return h;
}

std::string summary_csv_row(const std::vector<std::string>& swept_paths, const PointResult& r) {
  std::string csv = summary_csv(build_summary(swept_paths, std::vector<PointResult>{r}));
  csv = csv.substr(csv.find('\n') + 1);
  csv.pop_back();
  return csv;
}

std::string summary_csv(const std::vector<std::string>& swept_paths, const std::vector<PointResult>& results) {
  return summary_csv(build_summary(swept_paths, results));
}

std::string summary_table(const Summary& s, size_t swept_count) {
  // The times in cycles again in µs (stats.json's *_us figures, at clock_ghz), last: the
  // columns before them keep their layout (labs quote rows of it); a column stats.json does
  // not have is left out.
  static const std::pair<const char*, const char*> kShown[] = {
      {"cycles", "cycles"},           {"acq_per_kcycle", "acq/kcyc"},  {"handoff_p50", "hoff p50"},
      {"handoff_p99", "hoff p99"},    {"inv_per_acq", "inv/acq"},      {"bus_per_acq", "bus/acq"},
      {"msgs_per_acq", "msgs/acq"},   {"wb_per_acq", "wb/acq"},        {"jain", "jain"},
      {"cycles_us", "window µs"},     {"handoff_us.p50", "hoff p50 µs"}, {"handoff_us.p99", "hoff p99 µs"}};
  std::vector<size_t> cols;
  std::vector<std::string> header;
  for (size_t i = 0; i < 1 + swept_count; ++i) {
    cols.push_back(i);
    header.push_back(s.header[i]);
  }
  for (const auto& [name, title] : kShown) {
    const auto it = std::find(s.header.begin(), s.header.end(), name);
    if (it == s.header.end() && std::string(name).find("_us") != std::string::npos) continue;
    cols.push_back(size_t(it - s.header.begin()));
    header.push_back(title);
  }
  // µs to 4 significant digits (whole µs from 1000 on): beside the exact cycles they are a
  // reading aid, and 0.0276667 reads worse than 0.02767.
  auto short_us = [](const std::string& cell) {
    char* end = nullptr;
    const double v = std::strtod(cell.c_str(), &end);
    if (cell.empty() || end != cell.c_str() + cell.size() || !(v > 0)) return cell;
    const int decimals = std::max(0, 3 - int(std::floor(std::log10(v))));
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return std::string(buf);
  };
  std::vector<std::vector<std::string>> rows = {header};
  for (const auto& r : s.rows) {
    std::vector<std::string> row;
    for (size_t c : cols) {
      const bool us = c < s.header.size() && s.header[c].find("_us") != std::string::npos;
      row.push_back(c < r.size() ? (us ? short_us(r[c]) : r[c]) : "");
    }
    rows.push_back(std::move(row));
  }

  // Widths in characters, not bytes ("µs" is two bytes of UTF-8, one column on screen).
  auto chars = [](const std::string& t) {
    return size_t(std::count_if(t.begin(), t.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
  };
  std::vector<size_t> width(header.size(), 0);
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], chars(row[i]));

  // Names and swept values read left to right; figures are right-aligned so digits line up.
  const size_t text_cols = 1 + swept_count;
  std::string out;
  for (size_t r = 0; r < rows.size(); ++r) {
    std::string line;
    for (size_t i = 0; i < rows[r].size(); ++i) {
      const std::string& c = rows[r][i];
      const std::string pad(width[i] - chars(c), ' ');
      if (i) line += "  ";
      line += i < text_cols ? c + pad : pad + c;
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
    if (r == 0) {
      size_t total = 0;
      for (size_t w : width) total += w;
      out += std::string(total + 2 * (width.size() - 1), '-') + "\n";
    }
  }
  return out;
}

std::string summary_table(const std::vector<std::string>& swept_paths, const std::vector<PointResult>& results) {
  return summary_table(build_summary(swept_paths, results), swept_paths.size());
}

}  // namespace lockstep::output

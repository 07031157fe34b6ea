#include "output/summary.hpp"

#include <algorithm>

#include "output/format.hpp"

namespace lockstep::output {

namespace {

double per_acq(uint64_t count, const stats::Point& s) {
  return s.acquisitions ? double(count) / double(s.acquisitions) : 0.0;
}

// The figures after the swept columns, shared by the CSV and the table so the two agree.
struct Figures {
  std::string cycles, acquisitions, acq_per_kcycle, handoff_mean, handoff_p50, handoff_p99,
      inv, bus, msgs, wb, jain, handoff_count, handoff_ratio, wait_p50, wait_p99, hold_mean;
};

Figures figures(const stats::Point& s) {
  const auto& c = s.coherence;
  return {std::to_string(s.cycles),
          std::to_string(s.acquisitions),
          format_number(s.acq_per_kcycle()),
          format_number(s.handoff.mean()),
          std::to_string(s.handoff.percentile(50)),
          std::to_string(s.handoff.percentile(99)),
          format_number(per_acq(c.invalidations, s)),
          format_number(per_acq(c.bus_transactions, s)),
          format_number(per_acq(c.messages, s)),
          format_number(per_acq(c.writebacks, s)),
          format_number(s.jain()),
          std::to_string(s.handoff.count()),
          format_number(s.acquisitions ? double(s.handoff.count()) / double(s.acquisitions) : 0.0),
          std::to_string(s.wait.percentile(50)),
          std::to_string(s.wait.percentile(99)),
          format_number(s.hold.mean())};
}

}  // namespace

std::string swept_value(const config::Point& p, const std::string& path) {
  for (const auto& [k, v] : p.swept)
    if (k == path) return v;
  return "";
}

std::string summary_csv_header(const std::vector<std::string>& swept_paths) {
  std::string h = "point";
  for (const auto& path : swept_paths) {
    h += ',';
    h += csv_field(path);
  }
  h += ",cycles,acquisitions,acq_per_kcycle,handoff_mean,handoff_p50,handoff_p99,"
       "inv_per_acq,bus_per_acq,msgs_per_acq,wb_per_acq,jain,handoff_count,handoff_ratio,wait_p50,wait_p99,hold_mean";
  return h;
}

std::string summary_csv_row(const std::vector<std::string>& swept_paths, const PointResult& r) {
  std::string row = csv_field(r.point->name);
  for (const auto& path : swept_paths) {
    row += ',';
    row += csv_field(swept_value(*r.point, path));
  }
  const Figures f = figures(r.stats);
  for (const std::string* v : {&f.cycles, &f.acquisitions, &f.acq_per_kcycle, &f.handoff_mean, &f.handoff_p50,
                               &f.handoff_p99, &f.inv, &f.bus, &f.msgs, &f.wb, &f.jain, &f.handoff_count,
                               &f.handoff_ratio, &f.wait_p50, &f.wait_p99, &f.hold_mean}) {
    row += ',';
    row += *v;
  }
  return row;
}

std::string summary_csv(const std::vector<std::string>& swept_paths, const std::vector<PointResult>& results) {
  std::string out = summary_csv_header(swept_paths) + "\n";
  for (const auto& r : results) out += summary_csv_row(swept_paths, r) + "\n";
  return out;
}

std::string summary_table(const std::vector<std::string>& swept_paths, const std::vector<PointResult>& results) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header = {"point"};
  for (const auto& path : swept_paths) header.push_back(path);
  for (const char* h : {"cycles", "acq/kcyc", "hoff p50", "hoff p99", "inv/acq", "bus/acq", "msgs/acq", "wb/acq", "jain"})
    header.push_back(h);
  rows.push_back(header);
  for (const auto& r : results) {
    std::vector<std::string> row = {r.point->name};
    for (const auto& path : swept_paths) row.push_back(swept_value(*r.point, path));
    const Figures f = figures(r.stats);
    for (const std::string* v : {&f.cycles, &f.acq_per_kcycle, &f.handoff_p50, &f.handoff_p99, &f.inv, &f.bus,
                                 &f.msgs, &f.wb, &f.jain})
      row.push_back(*v);
    rows.push_back(std::move(row));
  }

  std::vector<size_t> width(header.size(), 0);
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());

  // Names and swept values read left to right; figures are right-aligned so digits line up.
  const size_t text_cols = 1 + swept_paths.size();
  std::string out;
  for (size_t r = 0; r < rows.size(); ++r) {
    std::string line;
    for (size_t i = 0; i < rows[r].size(); ++i) {
      const std::string& cell = rows[r][i];
      const std::string pad(width[i] - cell.size(), ' ');
      if (i) line += "  ";
      line += i < text_cols ? cell + pad : pad + cell;
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

}  // namespace lockstep::output

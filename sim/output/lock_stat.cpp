#include "output/lock_stat.hpp"

#include <algorithm>
#include <cstdio>

namespace lockstep::output {

namespace {
constexpr int kName = 40, kCol = 14, kCols = 12;

std::string pad_left(const std::string& s, int width) {
  std::string out;
  if (int(s.size()) < width) out.assign(size_t(width) - s.size(), ' ');
  out.append(s);
  return out;
}

std::string count(uint64_t v) {
  std::string s = pad_left(std::to_string(v), kCol);
  s.push_back(' ');
  return s;
}

// lock_stat prints times in µs with two decimals.
std::string usecs(double cycles, double clock_ghz) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.2f", clock_ghz > 0 ? cycles / (clock_ghz * 1000.0) : cycles);
  std::string s = pad_left(buf, kCol);
  s.push_back(' ');
  return s;
}
}  // namespace

std::string lock_stat_text(const std::string& class_name, const stats::Lockstat& l, double ghz) {
  const std::string rule(size_t(kName + 1 + kCols * (kCol + 1)), '-');
  std::string o = "lock_stat version 0.4\n";
  o.append(rule).append("\n").append(pad_left("class name", kName));
  for (const char* h : {"con-bounces", "contentions", "waittime-min", "waittime-max", "waittime-total", "waittime-avg",
                        "acq-bounces", "acquisitions", "holdtime-min", "holdtime-max", "holdtime-total", "holdtime-avg"})
    o.append(" ").append(pad_left(h, kCol));
  o.append("\n").append(rule).append("\n\n");
  const double wavg = l.contentions ? double(l.waittime_total) / double(l.contentions) : 0.0;
  const double havg = l.acquisitions ? double(l.holdtime_total) / double(l.acquisitions) : 0.0;
  std::string row = pad_left(class_name + ":", kName + 1);
  row.push_back(' ');
  row += count(l.con_bounces) + count(l.contentions) + usecs(double(l.waittime_min), ghz) +
         usecs(double(l.waittime_max), ghz) + usecs(double(l.waittime_total), ghz) + usecs(wavg, ghz) +
         count(l.acq_bounces) + count(l.acquisitions) + usecs(double(l.holdtime_min), ghz) +
         usecs(double(l.holdtime_max), ghz) + usecs(double(l.holdtime_total), ghz) + usecs(havg, ghz);
  while (!row.empty() && row.back() == ' ') row.pop_back();
  o += row + "\n";
  if (!l.contention_points.empty()) {
    // Up to four contention points, most frequent first, under a short rule as the kernel does.
    auto points = l.contention_points;
    std::stable_sort(points.begin(), points.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    if (points.size() > 4) points.resize(4);
    o.append(pad_left(std::string(std::min<size_t>(class_name.size(), size_t(kName)), '-'), kName)).append("\n");
    for (const auto& [where, n] : points)
      o.append(pad_left(class_name, kName)).append(" ").append(pad_left(std::to_string(n), kCol)).append(" ").append(where).append("\n");
  }
  o.append("\n").append(rule).append("\n");
  return o;
}

}  // namespace lockstep::output

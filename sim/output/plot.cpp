#include "output/plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.hpp"
#include "output/atomic_file.hpp"
#include "output/run_dir.hpp"
#include "output/summary.hpp"

#include "output/format.hpp"

namespace lockstep::output {

namespace {

// ---- number and text formatting ----------------------------------------------------------

// Fixed decimals through printf: the same double always prints the same bytes, and "-0.0"
// (a coordinate that rounds to zero from below) is spelled "0.0" so nothing hinges on a sign.
std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  std::string s = buf;
  if (s[0] == '-' && s.find_first_not_of("-0.") == std::string::npos) s.erase(0, 1);
  return s;
}

// Pixel coordinates: a tenth of a pixel is finer than any screen draws.
std::string px(double v) { return fixed(v, 1); }

// Long legend entries (a .lock file's path) would squeeze the plot; the start names them.
std::string shorten(const std::string& s, size_t max_chars) {
  return s.size() <= max_chars ? s : s.substr(0, max_chars - 3) + "...";
}

// Text widths are estimated (no font metrics in a text writer): ~0.6 em per character is
// generous for sans-serif at these sizes, so estimates err towards more room.
double text_width(const std::string& s, double font_px) { return double(s.size()) * font_px * 0.6; }

// ---- chart layout --------------------------------------------------------------------------

constexpr double kWidth = 800, kHeight = 500;
constexpr double kLeft = 80, kTopMin = 64, kBottom = kHeight - 64;
constexpr size_t kSubtitleChars = 132, kSubtitleLines = 2;
constexpr size_t kLegendChars = 24;

// Colours far apart in hue and lightness; the marker shape cycles separately, so series
// stay tellable apart in grey print and past the tenth colour.
const char* const kColours[] = {"#1b63c6", "#d62f2f", "#2e9a3e", "#8a3fc2", "#e07b00",
                                "#0f97a8", "#c2408f", "#6b8e23", "#8b5a2b", "#4a4a4a"};
constexpr size_t kNumColours = sizeof kColours / sizeof kColours[0];

std::string marker(size_t series, double x, double y, const char* colour) {
  const std::string style = std::string(" fill=\"") + colour + "\" stroke=\"#ffffff\" stroke-width=\"1\"/>";
  switch (series % 4) {
    case 0: return "<circle cx=\"" + px(x) + "\" cy=\"" + px(y) + "\" r=\"4.0\"" + style;
    case 1: return "<rect x=\"" + px(x - 3.5) + "\" y=\"" + px(y - 3.5) + "\" width=\"7.0\" height=\"7.0\"" + style;
    case 2:
      return "<polygon points=\"" + px(x) + "," + px(y - 4.5) + " " + px(x + 4.5) + "," + px(y + 3.5) + " " +
             px(x - 4.5) + "," + px(y + 3.5) + "\"" + style;
    default:
      return "<polygon points=\"" + px(x) + "," + px(y - 5) + " " + px(x + 5) + "," + px(y) + " " + px(x) + "," +
             px(y + 5) + " " + px(x - 5) + "," + px(y) + "\"" + style;
  }
}

// Decimals that show every multiple of `step` exactly (step is 1, 2 or 5 times 10^k).
int tick_decimals(double step) { return step >= 1 ? 0 : int(std::ceil(-std::log10(step) - 1e-9)); }

template <class T>
size_t index_of(std::vector<T>& v, const T& x) {
  auto it = std::find(v.begin(), v.end(), x);
  if (it != v.end()) return size_t(it - v.begin());
  v.push_back(x);
  return v.size() - 1;
}

// ---- summary.csv ------------------------------------------------------------------------------

struct Record {
  int line = 0;
  std::vector<std::string> fields;
};

// RFC 4180 as csv_field writes it: fields quoted only when needed, "" for a quote inside.
std::vector<Record> parse_csv(const std::string& text) {
  std::vector<Record> out;
  Record rec;
  std::string field;
  bool quoted = false, any = false;
  int line = 1;
  rec.line = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        if (c == '\n') ++line;
        field += c;
      }
    } else if (c == '"') {
      quoted = any = true;
    } else if (c == ',') {
      rec.fields.push_back(std::move(field));
      field.clear();
      any = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      if (any || !field.empty()) {
        rec.fields.push_back(std::move(field));
        out.push_back(std::move(rec));
      }
      rec = Record{};
      field.clear();
      any = false;
      rec.line = ++line;
    } else {
      field += c;
      any = true;
    }
  }
  if (any || !field.empty()) {
    rec.fields.push_back(std::move(field));
    out.push_back(std::move(rec));
  }
  return out;
}

std::string metric_title(const std::string& m) {
  static const std::pair<const char*, const char*> kTitles[] = {
      {"cycles", "length of the measured window (cycles)"},
      {"acquisitions", "acquisitions in the measured window"},
      {"acq_per_kcycle", "acquisitions per 1000 cycles"},
      {"handoff_mean", "mean handoff latency (cycles)"},
      {"handoff_p50", "median handoff latency (cycles)"},
      {"handoff_p99", "99th percentile handoff latency (cycles)"},
      {"inv_per_acq", "invalidations per acquisition"},
      {"bus_per_acq", "bus transactions per acquisition"},
      {"msgs_per_acq", "network messages per acquisition"},
      {"wb_per_acq", "writebacks per acquisition"},
      {"jain", "Jain's fairness index"},
      {"handoff_count", "handoffs in the measured window"},
      {"handoff_ratio", "handoffs per acquisition"},
      {"wait_p50", "median acquire wait (cycles)"},
      {"wait_p99", "99th percentile acquire wait (cycles)"},
      {"hold_mean", "mean hold time (cycles)"},
      {"coherence.cache_to_cache", "cache-to-cache transfers"},
      {"coherence.memory_reads", "memory reads"},
      {"coherence.gets", "GetS requests"},
      {"coherence.getm", "GetM requests"},
      {"coherence.upgrades", "upgrades (S to M)"},
      {"coherence.invalidations", "invalidations"},
      {"coherence.bus_transactions", "bus transactions"},
      {"coherence.messages", "network messages"},
      {"extra.net.mean_hops", "mean hops per message"},
      {"extra.net.max_link_utilisation", "busiest link's utilisation (fraction of cycles)"},
      {"extra.net.mean_link_utilisation", "mean link utilisation (fraction of cycles)"},
  };
  for (const auto& [k, t] : kTitles)
    if (m == k) return t;
  auto words = [](std::string t) {
    std::replace(t.begin(), t.end(), '_', ' ');
    std::replace(t.begin(), t.end(), '.', ' ');
    return t;
  };
  auto starts = [&](const char* p) { return m.rfind(p, 0) == 0; };
  auto ends = [&](const char* p) {
    const std::string suf = p;
    return m.size() >= suf.size() && m.compare(m.size() - suf.size(), suf.size(), suf) == 0;
  };
  if (m == "cycles_us") return "length of the measured window (µs)";
  // Distributions: handoff_cycles.p90 -> "handoff p90 (cycles)", wait_us.p50 -> "wait p50 (µs)".
  for (const char* unit : {"_cycles.", "_us."}) {
    const size_t at = m.find(unit);
    if (at == std::string::npos) continue;
    const std::string what = words(m.substr(0, at)), field = m.substr(at + std::string(unit).size());
    if (field == "count") return what + " count (" + what + "s measured)";
    return what + " " + field + (unit[1] == 'c' ? " (cycles)" : " (µs)");
  }
  if (starts("coherence.messages_by_type.")) return m.substr(27) + " messages in the measured window";
  if (starts("coherence.")) return words(m.substr(10)) + " in the measured window";
  if (starts("per_acquisition.")) return words(m.substr(16)) + " per acquisition";
  if (starts("lockstat.")) {
    const std::string f = m.substr(9);
    return "lock_stat " + words(f) + (f.find("time") != std::string::npos ? " (cycles)" : " (count)");
  }
  if (m == "fairness.min_acquisitions") return "fewest acquisitions of one thread";
  if (m == "fairness.max_acquisitions") return "most acquisitions of one thread";
  if (m == "fairness.reacquires") return "reacquisitions by the releasing thread (count)";
  if (ends("_cycles") || m.find("_cycles.") != std::string::npos) return words(m) + " (cycles)";
  return m;
}

// The x axis: the swept path and its unit where the key's name gives one
// (machine.core.pause_cycles -> "machine.core.pause_cycles (cycles)").
std::string axis_title(const std::string& path) {
  const std::string last = path.substr(path.rfind('.') == std::string::npos ? 0 : path.rfind('.') + 1);
  auto ends = [&](const char* p) {
    const std::string suf = p;
    return last.size() >= suf.size() && last.compare(last.size() - suf.size(), suf.size(), suf) == 0;
  };
  std::string unit;
  if (ends("cycles") || path.rfind("workload.outside.", 0) == 0) unit = "cycles";
  else if (ends("_kib")) unit = "KiB";
  else if (ends("_bytes")) unit = "bytes";
  else if (ends("_ghz")) unit = "GHz";
  else if (last == "cores" || last == "threads" || last == "banks" || last == "sockets") unit = last;
  else if (ends("acquisitions") || ends("acquisitions_per_thread")) unit = "acquisitions";
  else if (ends("_per_mcycle")) unit = "per million cycles";
  else if (last == "lines_read" || last == "lines_written") unit = "cache lines";
  else if (last == "assoc") unit = "ways";
  else if (last == "width" || last == "height") unit = "nodes";
  else if (ends("_fraction")) unit = "fraction";
  return unit.empty() ? path : path + " (" + unit + ")";
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += sep;
    s += v[i];
  }
  return s;
}

bool parse_double(const std::string& s, double& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size() && std::isfinite(out);
}

size_t column(const SummaryTable& t, const std::string& name) {
  return size_t(std::find(t.header.begin(), t.header.end(), name) - t.header.begin());
}

// A swept path the user named, checked against the table's.
void check_path(const SummaryTable& t, const std::string& path, const char* option) {
  if (std::find(t.swept_paths.begin(), t.swept_paths.end(), path) != t.swept_paths.end()) return;
  std::string msg = std::string("plot: ") + option + " '" + path + "' is not a swept path of " + t.path;
  const std::string near = nearest(path, t.swept_paths);
  if (!near.empty()) msg += "; did you mean '" + near + "'?";
  msg += " (swept: " + (t.swept_paths.empty() ? std::string("none") : join(t.swept_paths, ", ")) + ")";
  throw InputError(msg);
}

// Where x values go: numeric when every category is a finite number (then log2 when all are
// powers of two, as core counts usually are), else evenly spaced categories.
struct XLayout {
  bool numeric = false, log2 = false;
  std::vector<double> pos;  // per category, in axis units
  double lo = 0, hi = 0;
};

XLayout x_layout(const std::vector<std::string>& xs) {
  XLayout l;
  if (xs.size() < 2) return l;
  std::vector<double> v;
  for (const auto& x : xs) {
    double d = 0;
    if (!parse_double(x, d)) return l;
    v.push_back(d);
  }
  l.numeric = true;
  l.log2 = std::all_of(v.begin(), v.end(), [](double d) {
    return d > 0 && d == std::exp2(std::round(std::log2(d)));
  });
  for (double d : v) l.pos.push_back(l.log2 ? std::log2(d) : d);
  l.lo = *std::min_element(l.pos.begin(), l.pos.end());
  l.hi = *std::max_element(l.pos.begin(), l.pos.end());
  return l;
}

}  // namespace

Axis round_axis(double data_max) {
  if (!(data_max > 0) || !std::isfinite(data_max)) return {1, 0.2};
  // The finest 1-2-5 step that needs at most 8 intervals: fine enough to read values off,
  // coarse enough that labels do not crowd. Steps below 1 are built as m / 10^k so that 0.2
  // is the double nearest 0.2, not 2 * 0.1000...01.
  const int k0 = int(std::floor(std::log10(data_max / 8))) - 1;
  for (int k = k0; k <= k0 + 3; ++k) {
    for (int m : {1, 2, 5}) {
      const double step = k < 0 ? m / std::pow(10.0, -k) : m * std::pow(10.0, k);
      const double n = std::ceil(data_max / step * (1 - 1e-12));
      if (n <= 8) return {std::max(n, 1.0) * step, step};
    }
  }
  return {data_max, data_max};  // unreachable: 10^(k0+3) > data_max
}

std::string line_chart_svg(const LineChart& chart) {
  std::vector<std::string> series, xs;
  double data_max = 0;
  for (const auto& p : chart.points) {
    index_of(series, p.series);
    index_of(xs, p.x);
    if (std::isfinite(p.y)) data_max = std::max(data_max, p.y + (std::isfinite(p.err) ? std::max(p.err, 0.0) : 0.0));
  }
  const XLayout xl = x_layout(xs);
  const Axis axis = round_axis(data_max);

  // Under the title: the experiment's fixed settings (wrapped, at most kSubtitleLines lines,
  // the rest counted; <desc> lists them all), then the note; the plot starts below them.
  std::vector<std::string> sub;
  for (size_t i = 0; i < chart.fixed.size();) {
    if (sub.size() == kSubtitleLines) {
      sub.back() += " (+" + std::to_string(chart.fixed.size() - i) + " more)";
      break;
    }
    std::string line = sub.empty() ? "fixed: " : "";
    size_t taken = 0;
    while (i < chart.fixed.size() &&
           (taken == 0 || line.size() + 2 + chart.fixed[i].size() <= kSubtitleChars - (sub.size() + 1 == kSubtitleLines ? 12 : 0))) {
      line += (taken ? ", " : "") + chart.fixed[i];
      ++i, ++taken;
    }
    sub.push_back(line);
  }
  const double note_y = 47 + 15 * double(sub.size());
  const double top = std::max(kTopMin, note_y + (chart.note.empty() ? 2 : 17));

  // The legend takes the room its longest entry needs; the plot gets the rest.
  double legend_w = text_width(shorten(chart.legend_title, kLegendChars), 12);
  for (const auto& s : series) legend_w = std::max(legend_w, 32 + text_width(shorten(s, kLegendChars), 12));
  legend_w = std::max(legend_w, 80.0);
  const double right = kWidth - 24 - legend_w - 16;
  const double plot_w = right - kLeft, plot_h = kBottom - top;
  const double slot = xs.empty() ? plot_w : plot_w / double(xs.size());
  // Numbers sit at their values (log2 when all are powers of two); categories in even slots.
  auto x_at = [&](size_t i) {
    if (!xl.numeric) return kLeft + (double(i) + 0.5) * slot;
    const double pad = 28, span = xl.hi - xl.lo;
    return kLeft + pad + (span > 0 ? (xl.pos[i] - xl.lo) / span : 0.5) * (plot_w - 2 * pad);
  };
  auto y_at = [&](double v) { return kBottom - v / axis.max * plot_h; };

  std::string s;
  s += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  s += "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"800\" height=\"500\" "
       "viewBox=\"0 0 800 500\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n";
  s += "<title>" + xml_escape(chart.title) + "</title>\n";
  s += "<rect x=\"0\" y=\"0\" width=\"800\" height=\"500\" fill=\"#ffffff\"/>\n";
  s += "<text class=\"title\" x=\"" + px(kWidth / 2) + "\" y=\"28\" text-anchor=\"middle\" font-size=\"17\" "
       "font-weight=\"bold\">" + xml_escape(chart.title) + "</text>\n";
  if (!chart.fixed.empty()) {
    std::string all;
    for (const auto& f : chart.fixed) all += (all.empty() ? "" : ", ") + f;
    s += "<desc>fixed: " + xml_escape(all) + "</desc>\n";
  }
  for (size_t i = 0; i < sub.size(); ++i)
    s += "<text class=\"fixed\" x=\"" + px(kWidth / 2) + "\" y=\"" + px(47 + 15 * double(i)) +
         "\" text-anchor=\"middle\" font-size=\"10\" fill=\"#333333\">" + xml_escape(sub[i]) + "</text>\n";
  if (!chart.note.empty())
    s += "<text class=\"note\" x=\"" + px(kWidth / 2) + "\" y=\"" + px(note_y) + "\" text-anchor=\"middle\" font-size=\"12\" "
         "fill=\"#555555\">" + xml_escape(chart.note) + "</text>\n";

  // Horizontal grid lines and y ticks at every step; the labels print exact multiples.
  const int decimals = tick_decimals(axis.step);
  const int ticks = int(std::lround(axis.max / axis.step));
  s += "<g class=\"y-axis\">\n";
  for (int i = 0; i <= ticks; ++i) {
    const double v = axis.max * i / ticks, y = y_at(v);
    if (i > 0)
      s += "<line x1=\"" + px(kLeft) + "\" y1=\"" + px(y) + "\" x2=\"" + px(right) + "\" y2=\"" + px(y) +
           "\" stroke=\"#e3e3e3\" stroke-width=\"1\"/>\n";
    s += "<line x1=\"" + px(kLeft - 5) + "\" y1=\"" + px(y) + "\" x2=\"" + px(kLeft) + "\" y2=\"" + px(y) +
         "\" stroke=\"#333333\" stroke-width=\"1\"/>\n";
    s += "<text class=\"y-tick\" x=\"" + px(kLeft - 8) + "\" y=\"" + px(y + 4) + "\" text-anchor=\"end\">" +
         fixed(v, decimals) + "</text>\n";
  }
  s += "</g>\n";

  // x categories: every label when they fit, else every k-th so none overlap.
  double label_w = 0;
  for (const auto& x : xs) label_w = std::max(label_w, text_width(x, 12) + 8);
  const size_t every = std::max<size_t>(1, size_t(std::ceil(label_w / slot)));
  s += "<g class=\"x-axis\">\n";
  double last_label = -1e9;
  for (size_t i = 0; i < xs.size(); ++i) {
    const double x = x_at(i);
    s += "<line x1=\"" + px(x) + "\" y1=\"" + px(kBottom) + "\" x2=\"" + px(x) + "\" y2=\"" + px(kBottom + 5) +
         "\" stroke=\"#333333\" stroke-width=\"1\"/>\n";
    // Numeric axes label every value that does not overlap the previous label.
    const bool label = xl.numeric ? x - last_label >= label_w : i % every == 0;
    if (label) {
      last_label = x;
      s += "<text class=\"x-tick\" x=\"" + px(x) + "\" y=\"" + px(kBottom + 20) + "\" text-anchor=\"middle\">" +
           xml_escape(xs[i]) + "</text>\n";
    }
  }
  s += "</g>\n";
  s += "<path class=\"frame\" d=\"M " + px(kLeft) + " " + px(top) + " V " + px(kBottom) + " H " + px(right) +
       "\" fill=\"none\" stroke=\"#333333\" stroke-width=\"1\"/>\n";
  s += "<text class=\"x-title\" x=\"" + px((kLeft + right) / 2) + "\" y=\"" + px(kBottom + 46) +
       "\" text-anchor=\"middle\" font-size=\"13\">" + xml_escape(!xl.log2 ? chart.x_title
                    : chart.x_title.back() == ')' ? chart.x_title.substr(0, chart.x_title.size() - 1) + ", log2 scale)"
                                                  : chart.x_title + " (log2 scale)") +
       "</text>\n";
  const double ty = (top + kBottom) / 2;
  s += "<text class=\"y-title\" x=\"22\" y=\"" + px(ty) + "\" text-anchor=\"middle\" font-size=\"13\" "
       "transform=\"rotate(-90 22 " + px(ty) + ")\">" + xml_escape(chart.y_title) + "</text>\n";

  // Series: numeric x as lines with markers on top; categorical x as grouped bars (a line
  // between unordered categories would suggest an order that is not there).
  const double group = slot * 0.8, bar_w = series.empty() ? group : group / double(series.size());
  for (size_t si = 0; si < series.size(); ++si) {
    const char* colour = kColours[si % kNumColours];
    struct At {
      double x, y, lo, hi;
    };
    std::vector<At> at;
    for (size_t xi = 0; xi < xs.size(); ++xi)
      for (const auto& p : chart.points)
        if (p.series == series[si] && p.x == xs[xi] && std::isfinite(p.y)) {
          const double x = xl.numeric ? x_at(xi) : kLeft + double(xi) * slot + slot * 0.1 + (double(si) + 0.5) * bar_w;
          const double e = std::isfinite(p.err) && p.err > 0 ? p.err : 0;
          at.push_back({x, y_at(p.y), y_at(std::max(0.0, p.y - e)), y_at(p.y + e)});
          break;
        }
    s += "<g class=\"series\">\n";
    if (xl.numeric) {
      s += "<polyline points=\"";
      for (size_t i = 0; i < at.size(); ++i) {
        if (i) s += ' ';
        s += px(at[i].x) + "," + px(at[i].y);
      }
      s += std::string("\" fill=\"none\" stroke=\"") + colour + "\" stroke-width=\"2\" stroke-linejoin=\"round\"/>\n";
    } else {
      for (const auto& a : at)
        s += "<rect class=\"bar\" x=\"" + px(a.x - bar_w * 0.45) + "\" y=\"" + px(a.y) + "\" width=\"" +
             px(bar_w * 0.9) + "\" height=\"" + px(kBottom - a.y) + "\" fill=\"" + colour + "\"/>\n";
    }
    // Error bars: the 95% confidence interval of the mean over seeds (summary's _ci95).
    for (const auto& a : at)
      if (a.hi < a.lo)
        s += "<path class=\"err\" d=\"M " + px(a.x) + " " + px(a.lo) + " V " + px(a.hi) + " M " + px(a.x - 4) + " " +
             px(a.lo) + " H " + px(a.x + 4) + " M " + px(a.x - 4) + " " + px(a.hi) + " H " + px(a.x + 4) +
             "\" fill=\"none\" stroke=\"" + (xl.numeric ? colour : "#222222") + "\" stroke-width=\"1.5\"/>\n";
    if (xl.numeric)
      for (const auto& a : at) s += marker(si, a.x, a.y, colour) + "\n";
    s += "</g>\n";
  }

  // Legend, right of the plot, in series order; rows shrink when there are many.
  const double lx = right + 16;
  double ly = top + 4;
  s += "<g class=\"legend\">\n";
  if (!chart.legend_title.empty()) {
    s += "<text class=\"legend-title\" x=\"" + px(lx) + "\" y=\"" + px(ly) + "\" font-weight=\"bold\">" +
         xml_escape(shorten(chart.legend_title, kLegendChars)) + "</text>\n";
    ly += 22;
  }
  const double row = series.empty() ? 20 : std::min(20.0, (kBottom - ly) / double(series.size()));
  for (size_t si = 0; si < series.size(); ++si) {
    const char* colour = kColours[si % kNumColours];
    const double y = ly + double(si) * row;
    s += "<line x1=\"" + px(lx) + "\" y1=\"" + px(y - 4) + "\" x2=\"" + px(lx + 24) + "\" y2=\"" + px(y - 4) +
         "\" stroke=\"" + colour + "\" stroke-width=\"2\"/>\n";
    s += marker(si, lx + 12, y - 4, colour) + "\n";
    s += "<text class=\"legend-name\" x=\"" + px(lx + 32) + "\" y=\"" + px(y) + "\">" +
         xml_escape(shorten(series[si], kLegendChars)) + "</text>\n";
  }
  s += "</g>\n</svg>\n";
  return s;
}

const std::vector<std::string>& summary_metrics() { return fixed_figure_columns(); }

SummaryTable read_summary_csv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("plot: cannot read " + path + " (run `lockstep run` with -o DIR first)");
  std::ostringstream text;
  text << in.rdbuf();
  const std::vector<Record> records = parse_csv(text.str());

  SummaryTable t;
  t.path = path;
  const auto& metrics = summary_metrics();
  if (records.empty()) throw InputError(located(path, 1, 0, "empty file, expected a summary.csv header"));
  t.header = records[0].fields;
  // The swept paths sit between `point` and `cycles`; every column from `cycles` on is a
  // figure (the fixed ones, then whatever scalars stats.json had), so none is assumed last.
  const auto first = std::find(t.header.begin(), t.header.end(), metrics.front());
  const bool ok = !t.header.empty() && t.header[0] == "point" && first != t.header.end() &&
                  size_t(t.header.end() - first) >= metrics.size() && std::equal(metrics.begin(), metrics.end(), first);
  if (!ok)
    throw InputError(located(path, 1, 0, "not a lockstep summary: expected columns point, <swept paths...>, " +
                                             join(metrics, ", ") + ", ..."));
  t.swept_paths.assign(t.header.begin() + 1, first);
  t.metrics.assign(first, t.header.end());
  for (size_t i = 1; i < records.size(); ++i) {
    if (records[i].fields.size() != t.header.size())
      throw InputError(located(path, records[i].line, 0,
                               std::to_string(records[i].fields.size()) + " fields, the header has " +
                                   std::to_string(t.header.size())));
    t.rows.push_back(records[i].fields);
  }
  return t;
}

std::string resolve_metric(const SummaryTable& t, const std::string& metric) {
  if (std::find(t.metrics.begin(), t.metrics.end(), metric) != t.metrics.end()) return metric;
  const std::string fixed_name = fixed_column_for(metric);  // handoff_cycles.p50 is handoff_p50
  if (!fixed_name.empty()) return fixed_name;
  // A last part alone (cache_to_cache for coherence.cache_to_cache) when only one column ends so.
  std::vector<std::string> hits;
  for (const auto& m : t.metrics)
    if (m.size() > metric.size() && m.compare(m.size() - metric.size(), metric.size(), metric) == 0 &&
        m[m.size() - metric.size() - 1] == '.')
      hits.push_back(m);
  if (hits.size() == 1) return hits[0];
  std::string msg = "plot: unknown metric '" + metric + "'";
  if (hits.size() > 1) {
    msg += "; it could be any of " + join(hits, ", ");
  } else {
    const std::string near = nearest(metric, t.metrics);
    if (!near.empty()) msg += "; did you mean '" + near + "'?";
  }
  throw InputError(msg + " (metrics: every column of " + t.path + " from cycles on, e.g. " +
                   join(summary_metrics(), ", ") + ", coherence.cache_to_cache)");
}

std::vector<std::string> default_plot_metrics(const SummaryTable& table) {
  const size_t bus = column(table, "bus_per_acq");
  bool any_bus = false;
  for (const auto& r : table.rows) {
    double v = 0;
    if (!parse_double(r[bus], v) || v != 0) any_bus = true;
  }
  // A directory machine has no bus: its traffic is network messages.
  return {any_bus || table.rows.empty() ? "bus_per_acq" : "msgs_per_acq", "inv_per_acq", "acq_per_kcycle"};
}

LineChart summary_chart(const SummaryTable& t, const std::string& metric_asked, const PlotRequest& req,
                        std::string* note) {
  const std::string metric = resolve_metric(t, metric_asked);
  const auto& swept = t.swept_paths;
  if (swept.empty())
    throw InputError("plot: " + t.path + " sweeps nothing: there is no swept column to put on the x axis");
  if (!req.series_path.empty()) check_path(t, req.series_path, "--series");
  if (!req.x_path.empty()) check_path(t, req.x_path, "--x");
  if (!req.series_path.empty() && req.series_path == req.x_path)
    throw InputError("plot: --series and --x both name '" + req.x_path + "'; they must differ");

  std::string series_path, x_path;
  if (swept.size() == 1) {
    if (!req.series_path.empty())
      throw InputError("plot: " + t.path + " sweeps one path (" + swept[0] + "): it is the x axis, there is no --series");
    x_path = swept[0];
  } else if (swept.size() == 2) {
    auto other = [&](const std::string& p) { return p == swept[0] ? swept[1] : swept[0]; };
    if (!req.x_path.empty()) {
      x_path = req.x_path;
      series_path = other(x_path);
    } else if (!req.series_path.empty()) {
      series_path = req.series_path;
      x_path = other(series_path);
    } else {
      series_path = swept[0];
      x_path = swept[1];
    }
  } else {
    if (req.series_path.empty() || req.x_path.empty())
      throw InputError("plot: " + t.path + " sweeps " + std::to_string(swept.size()) + " paths (" + join(swept, ", ") +
                       "): pick two with --series PATH --x PATH; the others are fixed to their first value");
    series_path = req.series_path;
    x_path = req.x_path;
  }

  // Every other swept path is held at the value it has in the first row.
  std::vector<std::pair<size_t, std::string>> fixed_at;
  std::vector<std::string> fixed_text;
  for (const auto& p : swept)
    if (p != series_path && p != x_path && !t.rows.empty()) {
      const size_t c = column(t, p);
      fixed_at.emplace_back(c, t.rows[0][c]);
      fixed_text.push_back(p + " = " + t.rows[0][c]);
    }

  LineChart chart;
  chart.title = metric_title(metric);
  chart.x_title = axis_title(x_path);
  chart.y_title = metric_title(metric);
  chart.legend_title = series_path;
  if (!fixed_text.empty()) chart.note = "other swept paths at their first value: " + join(fixed_text, ", ");
  if (note) *note = chart.note;
  const size_t mc = column(t, metric), xc = column(t, x_path), ec = column(t, metric + "_ci95");
  const size_t sc = series_path.empty() ? 0 : column(t, series_path);
  for (size_t i = 0; i < t.rows.size(); ++i) {
    const auto& r = t.rows[i];
    if (!std::all_of(fixed_at.begin(), fixed_at.end(), [&](const auto& f) { return r[f.first] == f.second; })) continue;
    PlotPoint p;
    p.series = series_path.empty() ? metric : r[sc];
    p.x = r[xc];
    if (!parse_double(r[mc], p.y))
      throw InputError(located(t.path, int(i) + 2, 0, "'" + r[mc] + "' in column " + metric + " is not a number"));
    if (ec < r.size() && !parse_double(r[ec], p.err)) p.err = 0;
    chart.points.push_back(std::move(p));
  }
  return chart;
}

PlotOutcome write_summary_plots(const std::string& dir, const PlotRequest& req) {
  const SummaryTable t = read_summary_csv((std::filesystem::path(dir) / "summary.csv").string());
  std::string experiment;  // the experiment's name, from DIR/experiment.json when there is one
  std::vector<std::string> fixed_settings;  // and what it fixes (machine.protocol=MOESI, ...)
  try {
    if (const auto rec = read_record(dir)) {
      experiment = rec->name;
      fixed_settings = rec->fixed;
    }
  } catch (const InputError&) {
  }
  std::vector<std::string> metrics;
  for (const auto& asked : req.metrics.empty() ? default_plot_metrics(t) : req.metrics) {
    const std::string m = resolve_metric(t, asked);
    if (std::find(metrics.begin(), metrics.end(), m) == metrics.end()) metrics.push_back(m);
  }
  if (!req.output.empty() && metrics.size() != 1)
    throw InputError("plot: -o FILE writes one plot: name exactly one metric with --y (got " +
                     std::to_string(metrics.size()) + ")");
  // Every chart is built before any file is written, so a bad metric leaves no partial set.
  std::vector<std::pair<std::string, std::string>> files;
  PlotOutcome out;
  for (const auto& m : metrics) {
    LineChart chart = summary_chart(t, m, req, &out.note);
    if (!experiment.empty()) chart.title = experiment + ": " + chart.title;
    chart.fixed = fixed_settings;
    const std::string file =
        req.output.empty() ? (std::filesystem::path(dir) / ("plot-" + m + ".svg")).string() : req.output;
    files.emplace_back(file, line_chart_svg(chart));
  }
  for (const auto& [file, svg] : files) {
    write_file_atomic(file, svg);
    out.files.push_back(file);
  }
  return out;
}

}  // namespace lockstep::output

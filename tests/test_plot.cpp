// Plots (docs/stats.md "Plots"): the SVG writer checked through the text it produces, and
// `lockstep plot` / `lockstep run` checked through the files they write.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>


#include "cli_helpers.hpp"
#include "common/error.hpp"
#include "output/plot.hpp"

namespace fs = std::filesystem;
using namespace lockstep;

using testing::slurp;
using testing::TempDir;

namespace {
testing::Result lockstep_cmd(const std::string& args) { return testing::lockstep(args); }

// A tiny well-formedness scan: every start tag is closed in order, self-closing tags close
// themselves, and the document is one <svg> element. Returns "" or what went wrong.
std::string check_balanced(const std::string& s) {
  std::vector<std::string> open;
  size_t roots = 0;
  for (size_t i = s.find('<'); i != std::string::npos; i = s.find('<', i + 1)) {
    const size_t end = s.find('>', i);
    if (end == std::string::npos) return "unterminated tag at " + std::to_string(i);
    const std::string tag = s.substr(i + 1, end - i - 1);
    if (tag.empty()) return "empty tag";
    if (tag[0] == '?' || tag[0] == '!') continue;
    if (tag[0] == '/') {
      if (open.empty() || open.back() != tag.substr(1)) return "unexpected </" + tag.substr(1) + ">";
      open.pop_back();
    } else {
      const std::string name = tag.substr(0, tag.find_first_of(" \n/"));
      if (open.empty()) ++roots;
      if (tag.back() != '/') open.push_back(name);
    }
    // Text between tags must not hold a raw '<' or '&' that is not an entity.
    const size_t next = s.find('<', end);
    const std::string text = s.substr(end + 1, next == std::string::npos ? std::string::npos : next - end - 1);
    for (size_t a = text.find('&'); a != std::string::npos; a = text.find('&', a + 1))
      if (text.find(';', a) == std::string::npos) return "bare & in text";
  }
  if (!open.empty()) return "unclosed <" + open.back() + ">";
  if (roots != 1) return "expected one root element, got " + std::to_string(roots);
  return "";
}

std::vector<std::string> all_matches(const std::string& s, const std::string& re) {
  std::vector<std::string> out;
  const std::regex r(re);
  for (auto it = std::sregex_iterator(s.begin(), s.end(), r); it != std::sregex_iterator(); ++it)
    out.push_back((*it)[1].str());
  return out;
}

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t i = s.find(what); i != std::string::npos; i = s.find(what, i + 1)) ++n;
  return n;
}

output::LineChart sample_chart() {
  output::LineChart c;
  c.title = "bus transactions per acquisition";
  c.x_title = "machine.cores";
  c.y_title = "bus_per_acq";
  c.legend_title = "workload.lock";
  const std::vector<std::string> cores = {"1", "2", "4", "8", "16", "32"};
  const std::vector<std::pair<std::string, std::vector<double>>> data = {
      {"tas", {0, 5.005, 6.35875, 23.9581, 48.9, 96.8}},
      {"ticket", {0, 5, 7, 11, 19, 34.9}},
      {"mcs <&>", {0, 3, 8, 8, 8, 8}},  // markup characters must come out escaped
  };
  for (const auto& [name, ys] : data)
    for (size_t i = 0; i < cores.size(); ++i) c.points.push_back({name, cores[i], ys[i]});
  return c;
}

// Two swept paths, as `lockstep run` writes them.
const char* kSummary2 =
    "point,workload.lock,machine.cores,cycles,acquisitions,acq_per_kcycle,handoff_mean,handoff_p50,handoff_p99,"
    "inv_per_acq,bus_per_acq,msgs_per_acq,wb_per_acq,jain,handoff_count,handoff_ratio,wait_p50,wait_p99,hold_mean\n"
    "000,tas,2,100,40,1.5,10,10,10,4,5,0,1,1,0,0,0,0,0\n"
    "001,tas,4,100,80,1.2,10,10,10,5,6.5,0,1,1,0,0,0,0,0\n"
    "002,tas,8,100,160,0.9,10,10,10,23,24,0,1,1,0,0,0,0,0\n"
    "003,mcs,2,100,40,1.6,10,10,10,2,3,0,1,1,0,0,0,0,0\n"
    "004,mcs,4,100,80,1.6,10,10,10,6,8,0,1,1,0,0,0,0,0\n"
    "005,mcs,8,100,160,1.6,10,10,10,6,8,0,1,1,0,0,0,0,0\n";

}  // namespace

TEST_CASE("plot: round axes hold the data and step 1, 2 or 5 times a power of ten") {
  for (double v : {0.0, 0.003, 0.5, 1.0, 7.2, 10.1, 14.0, 96.8, 100.0, 123456.0, 3.1e9}) {
    CAPTURE(v);
    const output::Axis a = output::round_axis(v);
    CHECK(a.max >= v);
    const double mant = a.step / std::pow(10.0, std::floor(std::log10(a.step) + 1e-9));
    CHECK((std::abs(mant - 1) < 1e-9 || std::abs(mant - 2) < 1e-9 || std::abs(mant - 5) < 1e-9));
    const double ticks = a.max / a.step;
    CHECK(std::abs(ticks - std::round(ticks)) < 1e-9);
    CHECK(ticks <= 8.0 + 1e-9);
    if (v > 0) CHECK(ticks >= 3.0 - 1e-9);
  }
  CHECK(output::round_axis(96.8).max == doctest::Approx(100));
  CHECK(output::round_axis(0).max == 1);
}

TEST_CASE("plot: the SVG is well formed, one polyline per series, legend in order, same bytes twice") {
  const output::LineChart c = sample_chart();
  const std::string svg = output::line_chart_svg(c);
  INFO(svg);
  CHECK(svg.rfind("<?xml version=\"1.0\"", 0) == 0);
  CHECK(svg.find("<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"800\" height=\"500\"") !=
        std::string::npos);
  CHECK(check_balanced(svg) == "");

  // One polyline per series, each with one point per x category.
  const auto polylines = all_matches(svg, "<polyline points=\"([^\"]*)\"");
  REQUIRE(polylines.size() == 3);
  for (const auto& pts : polylines) {
    CAPTURE(pts);
    CHECK(count(pts, ",") == 6);
    CHECK(std::regex_match(pts, std::regex("([0-9]+\\.[0-9],[0-9]+\\.[0-9] ?){6}")));
  }
  // Distinct colours.
  const auto strokes = all_matches(svg, "<polyline [^>]*stroke=\"(#[0-9a-f]{6})\"");
  REQUIRE(strokes.size() == 3);
  CHECK(strokes[0] != strokes[1]);
  CHECK(strokes[1] != strokes[2]);
  CHECK(strokes[0] != strokes[2]);

  // The top tick is round and at least the data maximum (96.8).
  const auto yticks = all_matches(svg, "class=\"y-tick\"[^>]*>([^<]*)<");
  REQUIRE(yticks.size() >= 2);
  CHECK(yticks.front() == "0");
  CHECK(yticks.back() == "100");
  const auto xticks = all_matches(svg, "class=\"x-tick\"[^>]*>([^<]*)<");
  CHECK(xticks == std::vector<std::string>{"1", "2", "4", "8", "16", "32"});

  CHECK(all_matches(svg, "class=\"legend-name\"[^>]*>([^<]*)<") ==
        std::vector<std::string>{"tas", "ticket", "mcs &lt;&amp;&gt;"});
  CHECK(svg.find(">workload.lock</text>") != std::string::npos);
  CHECK(svg.find(">machine.cores (log2 scale)</text>") != std::string::npos);  // 1, 2, 4, ... 32
  CHECK(svg.find(">bus_per_acq</text>") != std::string::npos);

  CHECK(output::line_chart_svg(sample_chart()) == svg);
}

TEST_CASE("plot: numeric x at its values (log2 for powers of two); error bars from _ci95") {
  output::LineChart c;
  c.points = {{"a", "10", 1, 0}, {"a", "40", 2, 0.5}, {"a", "140", 3, 0}};
  std::string svg = output::line_chart_svg(c);
  auto xs = [&](const std::string& text) {
    const auto pts = all_matches(text, "<polyline points=\"([^\"]*)\"");
    REQUIRE(pts.size() == 1);
    std::vector<double> out;
    std::istringstream in(pts[0]);
    for (std::string pair; in >> pair;) out.push_back(std::stod(pair.substr(0, pair.find(','))));
    return out;
  };
  std::vector<double> x = xs(svg);
  REQUIRE(x.size() == 3);
  // 10, 40, 140 cycles: 40 sits 30/130 of the way, not half-way.
  CHECK((x[1] - x[0]) / (x[2] - x[0]) == doctest::Approx(30.0 / 130.0).epsilon(0.002));
  CHECK(svg.find("(log2 scale)") == std::string::npos);
  CHECK(all_matches(svg, "<path class=\"err\" d=\"([^\"]*)\"").size() == 1);  // only the point with err > 0
  c.points = {{"a", "2", 1, 0}, {"a", "8", 2, 0}, {"a", "32", 3, 0}};
  x = xs(output::line_chart_svg(c));
  CHECK((x[1] - x[0]) == doctest::Approx(x[2] - x[1]).epsilon(0.002));  // log2: 1, 3, 5
  CHECK(output::line_chart_svg(c).find("(log2 scale)") != std::string::npos);

  // summary_chart takes the error bar from METRIC_ci95.
  TempDir t;
  t.write("summary.csv", std::string("point,machine.cores,cycles,acquisitions,acq_per_kcycle,handoff_mean,handoff_p50,"
                                     "handoff_p99,inv_per_acq,bus_per_acq,msgs_per_acq,wb_per_acq,jain,handoff_count,"
                                     "handoff_ratio,wait_p50,wait_p99,hold_mean,jain_ci95\n") +
                             "0,2,1,1,1,1,1,1,1,1,0,1,0.9,0,0,0,0,0,0.05\n"
                             "1,4,1,1,1,1,1,1,1,1,0,1,0.8,0,0,0,0,0,0.1\n");
  const auto table = output::read_summary_csv((t.path / "summary.csv").string());
  const auto chart = output::summary_chart(table, "jain", {});
  REQUIRE(chart.points.size() == 2);
  CHECK(chart.points[1].err == 0.1);
  CHECK(chart.y_title == "Jain's fairness index");
}

TEST_CASE("plot: small fractional data gets decimal ticks; all-zero data a 0..1 axis") {
  output::LineChart c;
  c.points = {{"a", "1", 0.013}, {"a", "2", 0.04}};
  std::string svg = output::line_chart_svg(c);
  auto yticks = all_matches(svg, "class=\"y-tick\"[^>]*>([^<]*)<");
  REQUIRE(!yticks.empty());
  CHECK(std::stod(yticks.back()) >= 0.04);
  CHECK(yticks.back() == "0.040");  // step 0.005: three decimals on every label
  c.points = {{"a", "1", 0}, {"a", "2", 0}};
  svg = output::line_chart_svg(c);
  yticks = all_matches(svg, "class=\"y-tick\"[^>]*>([^<]*)<");
  CHECK(yticks.back() == "1.0");
  CHECK(check_balanced(svg) == "");
}

TEST_CASE("plot: summary.csv to charts: series = first path, x = second; defaults; errors") {
  TempDir t;
  t.write("summary.csv", kSummary2);
  const output::SummaryTable table = output::read_summary_csv((t.path / "summary.csv").string());
  CHECK(table.swept_paths == std::vector<std::string>{"workload.lock", "machine.cores"});
  CHECK(output::default_plot_metrics(table) == std::vector<std::string>{"bus_per_acq", "inv_per_acq", "acq_per_kcycle"});

  const output::LineChart c = output::summary_chart(table, "bus_per_acq", {});
  CHECK(c.legend_title == "workload.lock");
  CHECK(c.x_title == "machine.cores (cores)");
  REQUIRE(c.points.size() == 6);
  CHECK(c.points[4].series == "mcs");
  CHECK(c.points[4].x == "4");
  CHECK(c.points[4].y == 8);

  // --x swaps the roles.
  output::PlotRequest swap;
  swap.x_path = "workload.lock";
  CHECK(output::summary_chart(table, "jain", swap).legend_title == "machine.cores");

  auto message = [&](const std::string& metric, const output::PlotRequest& req) {
    try {
      output::summary_chart(table, metric, req);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  CHECK(message("bus_per_acc", {}).find("did you mean 'bus_per_acq'?") != std::string::npos);
  output::PlotRequest bad;
  bad.x_path = "machine.cors";
  CHECK(message("jain", bad).find("did you mean 'machine.cores'?") != std::string::npos);

  // On a directory machine every bus figure is 0: the traffic chart is messages.
  std::string dir_csv = kSummary2;
  dir_csv = std::regex_replace(dir_csv, std::regex(",(5|6\\.5|24|3|8),0,1,1,0,0,0,0,0\n"), ",0,7,1,1,0,0,0,0,0\n");
  t.write("summary.csv", dir_csv);
  CHECK(output::default_plot_metrics(output::read_summary_csv((t.path / "summary.csv").string()))[0] ==
        "msgs_per_acq");
}

TEST_CASE("plot: three swept paths need --series and --x; the rest is fixed and noted") {
  TempDir t;
  t.write("summary.csv",
          "point,machine.protocol,workload.lock,machine.cores,cycles,acquisitions,acq_per_kcycle,handoff_mean,"
          "handoff_p50,handoff_p99,inv_per_acq,bus_per_acq,msgs_per_acq,wb_per_acq,jain,handoff_count,handoff_ratio,wait_p50,wait_p99,hold_mean\n"
          "0,MESI,tas,2,1,1,1,1,1,1,1,1,0,1,1,0,0,0,0,0\n"
          "1,MESI,tas,4,1,1,1,1,1,1,1,2,0,1,1,0,0,0,0,0\n"
          "2,MESI,mcs,2,1,1,1,1,1,1,1,3,0,1,1,0,0,0,0,0\n"
          "3,MESI,mcs,4,1,1,1,1,1,1,1,4,0,1,1,0,0,0,0,0\n"
          "4,MOESI,tas,2,1,1,1,1,1,1,1,5,0,1,1,0,0,0,0,0\n"
          "5,MOESI,tas,4,1,1,1,1,1,1,1,6,0,1,1,0,0,0,0,0\n"
          "6,MOESI,mcs,2,1,1,1,1,1,1,1,7,0,1,1,0,0,0,0,0\n"
          "7,MOESI,mcs,4,1,1,1,1,1,1,1,8,0,1,1,0,0,0,0,0\n");
  const auto table = output::read_summary_csv((t.path / "summary.csv").string());
  CHECK_THROWS_WITH_AS(output::summary_chart(table, "bus_per_acq", {}),
                       doctest::Contains("pick two with --series PATH --x PATH"), InputError);
  output::PlotRequest req;
  req.series_path = "workload.lock";
  req.x_path = "machine.cores";
  std::string note;
  const auto c = output::summary_chart(table, "bus_per_acq", req, &note);
  CHECK(note == "other swept paths at their first value: machine.protocol = MESI");
  REQUIRE(c.points.size() == 4);
  CHECK(c.points.back().y == 4);
  CHECK(output::line_chart_svg(c).find(note) != std::string::npos);
}

TEST_CASE("cli: lockstep run draws plots, lockstep plot redraws them, errors exit 2") {
  TempDir t;
  const std::string yaml = t.write("small.yaml", R"(name: plot-small
seed: 3
machine:
  cores: 4
workload:
  lock: ticket
  acquisitions_per_thread: 10
  warmup_acquisitions: 1
  critical_section: {cycles: 20, lines_written: 1}
  outside: {dist: fixed, cycles: 30}
sweep:
  workload.lock: [tas, ticket]
  machine.cores: [1, 2, 4]
)");
  const fs::path out = t.path / "out";
  auto r = lockstep_cmd("run '" + yaml + "' -o '" + out.string() + "'");
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("plot-bus_per_acq.svg") != std::string::npos);
  const std::vector<std::string> names = {"plot-bus_per_acq.svg", "plot-inv_per_acq.svg", "plot-acq_per_kcycle.svg"};
  std::vector<std::string> first;
  for (const auto& n : names) {
    CAPTURE(n);
    REQUIRE(fs::exists(out / n));
    first.push_back(slurp(out / n));
    CHECK(check_balanced(first.back()) == "");
    CHECK(all_matches(first.back(), "<polyline points=\"([^\"]*)\"").size() == 2);
  }

  // `plot` on the folder rewrites the same bytes.
  for (const auto& n : names) fs::remove(out / n);
  r = lockstep_cmd("plot '" + out.string() + "'");
  CHECK(r.status == 0);
  for (size_t i = 0; i < names.size(); ++i) CHECK(slurp(out / names[i]) == first[i]);

  r = lockstep_cmd("plot '" + out.string() + "' --y jain --x workload.lock -o '" + (t.path / "j.svg").string() + "'");
  CHECK(r.status == 0);
  const std::string j = slurp(t.path / "j.svg");
  // Locks are categories: bars, grouped by lock, one colour per core count; no lines.
  CHECK(all_matches(j, "<polyline points=\"([^\"]*)\"").empty());
  CHECK(all_matches(j, "<rect class=\"bar\" x=\"([^\"]*)\"").size() == 6);
  // The experiment's name heads every chart; the y axis says what is counted, with units.
  CHECK(first[0].find(">plot-small: bus transactions per acquisition</text>") != std::string::npos);
  CHECK(first[2].find(">acquisitions per 1000 cycles</text>") != std::string::npos);

  r = lockstep_cmd("plot '" + out.string() + "' --y bus_per_acc");
  CHECK(r.status == 2);
  CHECK(r.err.find("unknown metric 'bus_per_acc'; did you mean 'bus_per_acq'?") != std::string::npos);
  r = lockstep_cmd("plot '" + (t.path / "nowhere").string() + "'");
  CHECK(r.status == 2);
  CHECK(r.err.find("summary.csv") != std::string::npos);
  r = lockstep_cmd("plot '" + out.string() + "' -o '" + (t.path / "x.svg").string() + "'");
  CHECK(r.status == 2);
  CHECK(r.err.find("exactly one metric") != std::string::npos);
  r = lockstep_cmd("plot");
  CHECK(r.status == 2);
  CHECK(r.err.find("missing DIR") != std::string::npos);
  r = lockstep_cmd("--help");
  CHECK(r.out.find("  plot ") != std::string::npos);
}

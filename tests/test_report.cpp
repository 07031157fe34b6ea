// DIR/report.html (docs/scale.md "Report"): one offline file with the plots, the sortable
// summary, the resolved config and per-point detail; loaded in headless Chromium when the
// `chromium` package is installed (scripts/install-deps.sh --test installs it).
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <regex>

#include <nlohmann/json.hpp>

#include "cli_helpers.hpp"
#include "output/format.hpp"

namespace fs = std::filesystem;
using testing::slurp;
using testing::TempDir;

namespace {
const char* kExp = R"(name: report-demo
seed: 2
machine: {cores: 4, clock_ghz: 2.0}
workload:
  lock: ticket
  acquisitions_per_thread: 30
  warmup_acquisitions: 2
  outside: {dist: uniform, min: 0, max: 80}
sweep:
  machine.cores: [2, 4]
  workload.lock: [tas, mcs]
)";

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t i = s.find(what); i != std::string::npos; i = s.find(what, i + 1)) ++n;
  return n;
}

fs::path make_report(const TempDir& t) {
  const std::string exp = t.write("exp.yaml", kExp);
  const fs::path dir = t.path / "out";
  const auto r = testing::lockstep("run '" + exp + "' -o '" + dir.string() + "' --seeds 2");
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("report.html") != std::string::npos);
  return dir;
}
}  // namespace

TEST_CASE("report: self-contained, no URL, plots, sortable summary, config, per-point detail with µs") {
  TempDir t;
  const fs::path dir = make_report(t);
  const std::string html = slurp(dir / "report.html");
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(html.find("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';") != std::string::npos);
  CHECK(html.find("http://") == std::string::npos);  // nothing to fetch, not even a namespace
  CHECK(html.find("https://") == std::string::npos);
  CHECK(html.find("<h1>report-demo</h1>") != std::string::npos);
  CHECK(count(html, "<svg ") == 3);                  // the three default plots, inline
  CHECK(html.find("<table class=\"sortable\" id=\"summary\">") != std::string::npos);
  CHECK(count(html, "<details>") == 4);              // one per point
  CHECK(html.find("<h2>Resolved config</h2>") != std::string::npos);
  // The resolved config is resolved.yaml, whole (the experiment, re-runnable).
  CHECK(html.find("\n  clock_ghz: 2.0\n") != std::string::npos);
  CHECK(html.find(lockstep::output::xml_escape(slurp(dir / "resolved.yaml"))) != std::string::npos);
  // The summary table is summary.csv: same header cells, one row per point.
  const std::string csv = slurp(dir / "summary.csv");
  CHECK(html.find("<th>coherence.cache_to_cache</th>") != std::string::npos);
  CHECK(html.find("<th>cycles_ci95</th>") != std::string::npos);
  // At 2 GHz, cycles / 2000 is µs: point 0's measured window, exactly as the page shows it.
  const auto j = nlohmann::json::parse(slurp(dir / "points" / "000_cores-2_lock-tas" / "stats.json"));
  const uint64_t cyc = j["cycles"].get<uint64_t>();
  const std::string shown = "cycles: " + std::to_string(cyc) + " <span class=\"us\">(" +
                            lockstep::output::format_number(double(cyc) / 2000.0) + " µs)</span>";
  CHECK(html.find(shown) != std::string::npos);
  // Rewritten by merge with the same bytes.
  fs::remove(dir / "report.html");
  REQUIRE(testing::lockstep("merge '" + dir.string() + "'").status == 0);
  CHECK(slurp(dir / "report.html") == html);
}

TEST_CASE("report: loads in headless Chromium without errors; the screenshot shows the page") {
  if (std::system("command -v chromium >/dev/null 2>&1") != 0) {
    MESSAGE("skipped: chromium is not installed (scripts/install-deps.sh --test installs it)");
    return;
  }
  TempDir t;
  const fs::path dir = make_report(t);
  const std::string flags = "--headless --no-sandbox --disable-gpu --no-first-run --disable-extensions "
                            "--user-data-dir='" + (t.path / "profile").string() + "' ";
  const std::string url = "file://" + (dir / "report.html").string();
  // The DOM after the scripts ran: the table and the plots are there; no script error logged.
  const auto dom = testing::shell("chromium " + flags + "--enable-logging=stderr --v=0 --dump-dom '" + url + "'");
  INFO(dom.err);
  CHECK(dom.status == 0);
  CHECK(dom.out.find("id=\"summary\"") != std::string::npos);
  CHECK(count(dom.out, "<svg ") == 3);
  CHECK(dom.err.find("Uncaught") == std::string::npos);
  CHECK(dom.err.find("Content Security Policy") == std::string::npos);  // nothing was blocked

  // A screenshot of the report against one of an empty page of the same size: the plots and
  // tables make the picture far richer (PNG compresses a blank page to almost nothing).
  const std::string blank = t.write("blank.html", "<!DOCTYPE html><html><body></body></html>");
  const fs::path shot = t.path / "report.png", empty = t.path / "blank.png";
  testing::shell("chromium " + flags + "--window-size=1200,1600 --screenshot='" + shot.string() + "' '" + url + "'");
  testing::shell("chromium " + flags + "--window-size=1200,1600 --screenshot='" + empty.string() + "' 'file://" + blank +
                 "'");
  REQUIRE(fs::exists(shot));
  REQUIRE(fs::exists(empty));
  CHECK(slurp(shot).rfind("\x89PNG", 0) == 0);
  CHECK(fs::file_size(shot) > 5 * fs::file_size(empty));
}

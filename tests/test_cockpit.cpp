// The teaching cockpit's leftovers (issue 10 items 4, 7, 12; docs/scale.md, docs/stats.md):
// the heartbeat of a long point (the engine's poll hook, Progress, `--progress` to a pipe),
// DIR/resolved.yaml (every experiment in configs/ round-trips through it; rerunning it gives
// byte-identical results), times in µs beside cycles, and plot titles that name what the
// experiment fixes, with units on both axes.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <regex>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli_helpers.hpp"
#include "config/loader.hpp"
#include "engine/engine.hpp"
#include "output/format.hpp"
#include "output/overrides.hpp"
#include "output/plot.hpp"
#include "output/progress.hpp"
#include "output/resolved_yaml.hpp"
#include "output/stats_json.hpp"
#include "run/simulate.hpp"

namespace fs = std::filesystem;
namespace config = lockstep::config;
namespace output = lockstep::output;
namespace sim = lockstep::sim;
using testing::slurp;
using testing::TempDir;

namespace {

testing::Result cli(const std::string& args) { return testing::lockstep(args); }

std::vector<std::string> lines_matching(const std::string& text, const std::regex& re) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (std::regex_match(line, re)) out.push_back(line);
  return out;
}

// A component that schedules itself `left` more times, one cycle apart.
struct Ticker : lockstep::Component {
  lockstep::Engine* e = nullptr;
  int left = 0;
  void handle(int, uint64_t) override {
    if (left-- > 0) e->schedule(e->now() + 1, lockstep::kCore, 0, this, 0);
  }
};

}  // namespace

// ---- heartbeat ------------------------------------------------------------------------------

TEST_CASE("engine: the poll hook runs after every N events, and never when unset") {
  const std::vector<std::pair<uint64_t, int>> cases = {{3, 3}, {1, 10}, {10, 1}, {11, 0}, {0, 0}};
  for (const auto& [every, calls] : cases) {
    lockstep::Engine e;
    Ticker t;
    t.e = &e;
    t.left = 9;  // 10 events in all
    int n = 0;
    e.set_poll(every, [](void* c) { ++*static_cast<int*>(c); }, &n);
    e.schedule(0, lockstep::kCore, 0, &t, 0);
    CHECK(e.run());
    CHECK(e.events() == 10);
    INFO("every " << every);
    CHECK(n == calls);
  }
}

TEST_CASE("simulate: the heartbeat sees cycles and acquisitions grow; stats.json is unchanged by it") {
  const auto ex = config::load_experiment_text(
      "machine: {cores: 8}\nworkload: {lock: ttas, acquisitions_per_thread: 600, warmup_acquisitions: 10}\n", "hb.yaml");
  const auto& p = ex.points[0];
  const auto quiet = sim::simulate(p);
  std::vector<std::pair<uint64_t, int64_t>> beats;
  sim::SimOptions so;
  so.heartbeat = [&](uint64_t c, int64_t a) { beats.emplace_back(c, a); };
  const auto loud = sim::simulate(p, so);
  CHECK(output::stats_json_text(p, loud) == output::stats_json_text(p, quiet));
  // One call per 65536 events, exactly.
  REQUIRE(loud.events >= 2 * sim::SimOptions::kHeartbeatEvents);
  CHECK(beats.size() == loud.events / sim::SimOptions::kHeartbeatEvents);
  for (size_t i = 1; i < beats.size(); ++i) {
    CHECK(beats[i].first >= beats[i - 1].first);
    CHECK(beats[i].second >= beats[i - 1].second);
  }
  CHECK(beats.back().second <= 8 * 610);
  CHECK(beats.back().first <= quiet.cycles + 10 * 1000 * 1000);  // the window is within the run
}

TEST_CASE("progress: a heartbeat line names the simulated cycle and the acquisitions so far") {
  std::ostringstream err;
  {
    output::Progress pr(&err, 2, 0, 0.05);
    const size_t a = pr.started("000_cores-2");
    const size_t b = pr.started("001_cores-4");
    pr.update(a, 123456, 50, 200);
    pr.update(b, 99, 7, 0);  // time-window mode: no total known
    std::this_thread::sleep_for(std::chrono::milliseconds(450));
    pr.finished(a);
    pr.finished(b);
    pr.stop();
  }
  const std::string text = err.str();
  CAPTURE(text);
  const auto a = lines_matching(text, std::regex(R"(  \.\.\. 000_cores-2 still running after \d+\.\d s: cycle 123456, 50 of 200 acquisitions \(25%\))"));
  const auto b = lines_matching(text, std::regex(R"(  \.\.\. 001_cores-4 still running after \d+\.\d s: cycle 99, 7 acquisitions)"));
  CHECK(a.size() >= 1);
  CHECK(b.size() >= 1);
  CHECK(text.find("[2/2] 001_cores-4 done; elapsed ") != std::string::npos);
}

TEST_CASE("cli: --progress to a pipe: a long point's heartbeat every --heartbeat seconds, stdout unchanged") {
  TempDir t;
  // One point of 16 cores contending for a TAS lock: long enough for a few heartbeats.
  const std::string exp = t.write("long.yaml", "name: long\nmachine: {cores: 16}\n"
                                               "workload: {lock: tas, acquisitions_per_thread: 3000, warmup_acquisitions: 10}\n");
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = cli("run '" + exp + "' -o '" + (t.path / "a").string() + "' --progress --heartbeat 0.1");
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  REQUIRE(r.status == 0);
  CAPTURE(r.err);
  const std::regex beat(R"(  \.\.\. default still running after \d+\.\d s: cycle (\d+), (\d+) of 48160 acquisitions \((\d+)%\))");
  const auto beats = lines_matching(r.err, beat);
  MESSAGE("the point ran " << secs << " s, " << beats.size() << " heartbeat line(s)");
  REQUIRE(beats.size() >= 1);
  uint64_t last_cycle = 0;
  for (const auto& l : beats) {
    std::smatch m;
    REQUIRE(std::regex_match(l, m, beat));
    const uint64_t cycle = std::stoull(m[1]);
    const int64_t acq = std::stoll(m[2]);
    CHECK(cycle >= last_cycle);
    CHECK(acq <= 48160);
    CHECK(std::stoll(m[3]) == acq * 100 / 48160);
    last_cycle = cycle;
  }
  CHECK(r.err.find("[1/1] default done; elapsed ") != std::string::npos);
  // Without progress: the same stdout apart from the wall time, and no heartbeat.
  const auto q = cli("run '" + exp + "' -o '" + (t.path / "b").string() + "' --heartbeat 0.1");
  REQUIRE(q.status == 0);
  CHECK(q.err.empty());
  auto strip = [](std::string s) { return std::regex_replace(s, std::regex(R"(in [0-9.]+ s -> [^\n]*)"), ""); };
  CHECK(strip(q.out) == strip(r.out));
  CHECK(slurp(t.path / "a" / "points" / "default" / "stats.json") == slurp(t.path / "b" / "points" / "default" / "stats.json"));

  const auto bad = cli("run '" + exp + "' --heartbeat=-1");
  CHECK(bad.status == 2);
  CHECK(bad.err.find("--heartbeat must be between 0 and 86400 seconds") != std::string::npos);
}

// ---- resolved.yaml -----------------------------------------------------------------------

namespace {
// Loads `exp`, writes its resolved.yaml into `dir`, loads that, and checks the two agree on
// every point: name, swept values, resolved config (hence config hash) and seed.
void round_trip(const config::Experiment& ex, const fs::path& dir) {
  const std::string yaml = output::resolved_yaml(ex);
  std::ofstream(dir / "resolved.yaml") << yaml;
  config::Experiment back;
  try {
    back = config::load_experiment((dir / "resolved.yaml").string());
  } catch (const std::exception& e) {
    FAIL_CHECK(ex.file << ": resolved.yaml does not load: " << e.what() << "\n" << yaml);
    return;
  }
  CAPTURE(ex.file);
  CAPTURE(yaml);
  CHECK(back.name == ex.name);
  CHECK(back.swept_paths == ex.swept_paths);
  CHECK(back.output_dir == ex.output_dir);
  REQUIRE(back.points.size() == ex.points.size());
  for (size_t i = 0; i < ex.points.size(); ++i) {
    CHECK(back.points[i].name == ex.points[i].name);
    CHECK(back.points[i].swept == ex.points[i].swept);
    CHECK(back.points[i].seed == ex.points[i].seed);
    CHECK(*back.points[i].resolved == *ex.points[i].resolved);
    CHECK(output::config_hash(back.points[i]) == output::config_hash(ex.points[i]));
  }
}
}  // namespace

TEST_CASE("resolved.yaml: every experiment in configs/ loads back as the same points") {
  TempDir t;
  size_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(fs::path(LOCKSTEP_SOURCE_DIR) / "configs")) {
    if (e.path().extension() != ".yaml") continue;
    config::Experiment ex;
    try {
      ex = config::load_experiment(e.path().string());
    } catch (const std::exception&) {
      continue;  // not an experiment on its own (none today; a fragment would be)
    }
    round_trip(ex, t.path);
    ++n;
  }
  MESSAGE(n << " experiment files round-tripped");
  CHECK(n >= 15);
}

TEST_CASE("resolved.yaml: derived values that vary per point, --set, --seed, llc: none, lock params, paths") {
  TempDir t;
  t.write("my.lock", "lock mine\n.shared word\nacquire:\n  tas r1, [word]\n  bne r1, 0, acquire\n  ret\n"
                     "release:\n  st [word], 0\n  ret\n");
  fs::create_directories(t.path / "sub");
  // A mesh whose shape follows the core count, threads left to follow it too.
  const std::string exp = t.write("mesh.yaml", R"(name: "mesh, sweep"
machine:
  coherence: directory
  interconnect: {topology: mesh}
  llc: none
workload: {lock: ticket, lock_params: {}}
sweep:
  machine.cores: [4, 16, 4]
  workload.lock: [ticket, my.lock]
)");
  config::LoadOptions lo;
  lo.sets = {"machine.protocol=MOESI", "workload.critical_section.cycles=77"};
  lo.seed_given = true;
  lo.seed = 9;
  const auto ex = config::load_experiment(exp, lo);
  REQUIRE(ex.points.size() == 6);
  CHECK(ex.points[2].resolved->at("machine").at("interconnect").at("width") == 4);
  CHECK(ex.points[2].resolved->at("machine").at("interconnect").at("height") == 4);
  const std::string yaml = output::resolved_yaml(ex, 3);
  CAPTURE(yaml);
  CHECK(yaml.rfind("# lockstep: the resolved experiment 'mesh, sweep', 6 point(s).\n# Every key with the value it was "
                   "run with (extends:, --set, --seed and defaults applied);\n# `lockstep run THIS_FILE -o DIR` runs the "
                   "same points again.\n# It was run with --seeds 3: add that option to get the same seed runs.\n"
                   "# Derived per point, so left at the default here: machine.interconnect.width, "
                   "machine.interconnect.height, workload.threads.\nname: \"mesh, sweep\"\nseed: 9\n",
                   0) == 0);
  CHECK(yaml.find("\n  protocol: MOESI\n") != std::string::npos);
  CHECK(yaml.find("\n  llc: none\n") != std::string::npos);
  CHECK(yaml.find("\n    cycles: 77\n") != std::string::npos);
  CHECK(yaml.find("\n    width: 0\n    height: 0\n") != std::string::npos);
  CHECK(yaml.find("\n  threads: 0\n") != std::string::npos);
  CHECK(yaml.find("\n  lock_params: {}\n") != std::string::npos);
  // The sweep as written (the duplicate 4 kept), the relative .lock file made absolute.
  CHECK(yaml.find("\nsweep:\n  machine.cores: [4, 16, 4]\n  workload.lock: [ticket, " + (t.path / "my.lock").string() +
                  "]\n") != std::string::npos);
  // Loaded from another folder, the points are the same except the .lock points' names
  // (they are named after the swept text, which is now the absolute path).
  std::ofstream(t.path / "sub" / "resolved.yaml") << yaml;
  const auto back = config::load_experiment((t.path / "sub" / "resolved.yaml").string());
  REQUIRE(back.points.size() == 6);
  for (size_t i = 0; i < 6; ++i) {
    CAPTURE(i);
    CHECK(*back.points[i].resolved == *ex.points[i].resolved);
    CHECK(back.points[i].seed == 9);
    if (i % 2 == 0) CHECK(back.points[i].name == ex.points[i].name);
  }
  CHECK(ex.points[1].name == "001_cores-4_lock-my.lock");
}

TEST_CASE("resolved.yaml: a swept lock param beside base lock params keeps the base ones") {
  // The bug: sweeping workload.lock_params.X dropped the whole lock_params map from the
  // base, so the reloaded points ran with the lock's default tokens and timeout.
  TempDir t;
  const std::string exp = t.write("c.yaml", R"(name: c
workload:
  lock: compound
  lock_params: {tokens: 2, timeout_cycles: 5000}
sweep:
  workload.lock_params.backoff_max: [256, 512]
)");
  const auto ex = config::load_experiment(exp);
  const std::string yaml = output::resolved_yaml(ex, 1);
  CAPTURE(yaml);
  CHECK(yaml.find("\n  lock_params:\n    timeout_cycles: 5000\n    tokens: 2\n") != std::string::npos);
  CHECK(yaml.find("backoff_max: 256") == std::string::npos);  // only in the sweep list
  round_trip(ex, t.path);
}

TEST_CASE("resolved.yaml: the exact text for a small experiment") {
  const auto ex = config::load_experiment_text(
      "name: two\nseed: 4\nworkload: {lock: ticket, acquisitions_per_thread: 30}\nsweep:\n  machine.cores: [2, 4]\n",
      "two.yaml");
  const std::string yaml = output::resolved_yaml(ex);
  // The head and the sweep, exactly; every schema key is in between.
  CHECK(yaml.rfind("# lockstep: the resolved experiment 'two', 2 point(s).\n# Every key with the value it was run with "
                   "(extends:, --set, --seed and defaults applied);\n# `lockstep run THIS_FILE -o DIR` runs the same "
                   "points again.\n# Derived per point, so left at the default here: workload.threads.\nname: two\n"
                   "seed: 4\n",
                   0) == 0);
  CHECK(yaml.size() > 1000);
  const std::string tail = "\nsweep:\n  machine.cores: [2, 4]\n";
  CHECK(yaml.substr(yaml.size() - tail.size()) == tail);
  CHECK(yaml.find("\n  cores:") == std::string::npos);  // swept: only under sweep:
  CHECK(yaml.find("\n  acquisitions_per_thread: 30\n") != std::string::npos);
  CHECK(yaml.find("\n  clock_ghz: 3.0\n") != std::string::npos);
}

TEST_CASE("cli: lockstep run DIR/resolved.yaml gives byte-identical stats.json and summary.csv") {
  TempDir t;
  fs::create_directories(t.path / "exp" / "machines");
  t.write("exp/machines/small.yaml", "machine: {cores: 4, core: {pause_cycles: 60}}\n");
  const std::string exp = t.write("exp/two.yaml", R"(name: two
extends: machines/small.yaml
seed: 4
workload:
  lock: ticket
  acquisitions_per_thread: 30
  warmup_acquisitions: 2
  outside: {dist: uniform, min: 0, max: 80}
sweep:
  machine.cores: [2, 4]
  workload.lock: [ticket, mcs]
)");
  const fs::path a = t.path / "a", b = t.path / "b";
  REQUIRE(cli("run '" + exp + "' -o '" + a.string() + "' --set machine.protocol=MOESI --seeds 2").status == 0);
  REQUIRE(fs::exists(a / "resolved.yaml"));
  // From another folder, with the experiment's own files gone.
  fs::rename(t.path / "exp", t.path / "gone");
  const auto r = testing::shell("cd / && '" + std::string(LOCKSTEP_BINARY) + "' run '" + (a / "resolved.yaml").string() +
                                "' -o '" + b.string() + "' --seeds 2");
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(slurp(b / "summary.csv") == slurp(a / "summary.csv"));
  // resolved.yaml again, but for the folder it names (output.dir is -o's).
  const std::regex dir_line("\n  dir: [^\n]*\n");
  CHECK(std::regex_replace(slurp(b / "resolved.yaml"), dir_line, "\n") ==
        std::regex_replace(slurp(a / "resolved.yaml"), dir_line, "\n"));
  CHECK(slurp(a / "resolved.yaml").find("\noutput:\n  dir: " + a.string() + "\n") != std::string::npos);
  size_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(a / "points")) {
    if (e.path().filename() != "stats.json") continue;
    ++n;
    CHECK(slurp(b / fs::relative(e.path(), a)) == slurp(e.path()));
  }
  CHECK(n == 8);  // 4 points x 2 seeds
  // The same folder again from resolved.yaml: the same experiment, so no "another experiment" error.
  CHECK(cli("run '" + (a / "resolved.yaml").string() + "' -o '" + a.string() + "' --seeds 2 --resume").status == 0);
}

// ---- µs beside cycles ----------------------------------------------------------------------

TEST_CASE("µs: stats.json *_us figures at clock_ghz and the stdout table's µs columns") {
  TempDir t;
  const std::string exp = t.write("us.yaml", "name: us\nmachine: {cores: 4, clock_ghz: 2.0}\n"
                                             "workload: {lock: ticket, acquisitions_per_thread: 40}\n"
                                             "sweep:\n  workload.critical_section.cycles: [50, 100]\n");
  const auto r = cli("run '" + exp + "' -o '" + (t.path / "o").string() + "'");
  REQUIRE(r.status == 0);
  const auto j = nlohmann::json::parse(slurp(t.path / "o" / "points" / "000_cycles-50" / "stats.json"));
  const uint64_t cycles = j["cycles"];
  CHECK(j["cycles_us"].get<double>() == output::round_sig(double(cycles) / 2000.0));
  for (const char* d : {"handoff", "wait", "hold", "release"})
    for (const char* f : {"mean", "p50", "p90", "p99", "max"}) {
      CAPTURE(d);
      CAPTURE(f);
      const auto& c = j[std::string(d) + "_cycles"][f];
      REQUIRE(c.is_number());
      // Percentiles are whole cycles: exact. The mean in cycles is itself rounded, so the µs
      // one (from the unrounded mean) agrees to the 6 digits both keep.
      const double us = j[std::string(d) + "_us"][f].get<double>();
      if (std::string(f) == "mean") CHECK(us == doctest::Approx(c.get<double>() / 2000.0).epsilon(2e-6));
      else CHECK(us == output::round_sig(c.get<double>() / 2000.0));
    }
  // hold = critical section (50 cycles + its line) -> at least 0.025 µs.
  CHECK(j["hold_us"]["p50"].get<double>() >= 0.025);
  // The table: after jain, the µs of the window, hoff p50 and hoff p99, aligned by characters.
  std::istringstream out(r.out);
  std::string header, rule, row;
  std::getline(out, header);
  std::getline(out, rule);
  std::getline(out, row);
  CAPTURE(r.out);
  CHECK(std::regex_search(header, std::regex(R"(cycles +acq/kcyc +hoff p50 +hoff p99 .* jain +window µs +hoff p50 µs +hoff p99 µs$)")));
  CHECK(row.find(" " + std::to_string(cycles) + "  ") != std::string::npos);
  // µs to 4 significant digits in the table (the files keep 6).
  auto four = [](double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", std::max(0, 3 - int(std::floor(std::log10(v)))), v);
    return std::string(buf);
  };
  CHECK(row.find(" " + four(double(cycles) / 2000.0) + "  ") != std::string::npos);
  CHECK(row.find(" " + four(j["handoff_us"]["p50"].get<double>()) + "  ") != std::string::npos);
  CHECK(row.size() >= 4);
  CHECK(row.substr(row.size() - four(j["handoff_us"]["p99"].get<double>()).size()) == four(j["handoff_us"]["p99"].get<double>()));
  // Character-aligned: the rule is as long as the header in characters ("µ" is 2 bytes).
  auto chars = [](const std::string& s) {
    return std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
  };
  CHECK(chars(rule) == chars(header));
  CHECK(rule.size() == size_t(chars(header)));
  // The summary carries them too (every stats.json scalar is a column).
  const std::string csv = slurp(t.path / "o" / "summary.csv");
  CHECK(csv.find(",cycles_us,handoff_us.mean,") != std::string::npos);
}

// ---- plots: fixed settings in the title, units on the axes --------------------------------

TEST_CASE("plots: the title names the experiment and what it fixes; both axes carry units") {
  TempDir t;
  fs::create_directories(t.path / "machines");
  t.write("machines/m.yaml", "machine: {cores: 8, l1: {hit_cycles: 3}}\n");
  const std::string exp = t.write("fx.yaml", R"(name: fx
extends: machines/m.yaml
seed: 4
machine:
  core: {pause_cycles: 77}
workload:
  lock: ticket
  lock_params: {}
  acquisitions_per_thread: 20
  warmup_acquisitions: 100
sweep:
  machine.cores: [2, 4, 8]
)");
  config::LoadOptions lo;
  lo.sets = {"machine.protocol=MOESI"};
  const auto ex = config::load_experiment(exp, lo);
  // --set first; then the file's keys in schema order; then the preset by name (for its
  // l1.hit_cycles); the swept machine.cores and the values equal to the default (warmup
  // 100, lock ticket, lock_params {}) are left out.
  CHECK(output::fixed_overrides(ex) ==
        std::vector<std::string>{"machine.protocol=MOESI", "seed=4", "machine.core.pause_cycles=77",
                                 "workload.acquisitions_per_thread=20", "extends=m"});
  const fs::path dir = t.path / "o";
  const auto r = cli("run '" + exp + "' -o '" + dir.string() + "' --set machine.protocol=MOESI");
  REQUIRE(r.status == 0);
  const auto rec = nlohmann::json::parse(slurp(dir / "experiment.json"));
  CHECK(rec["fixed"] == nlohmann::json(output::fixed_overrides(ex)));
  const std::string svg = slurp(dir / "plot-bus_per_acq.svg");
  CHECK(svg.find(">fx: bus transactions per acquisition</text>") != std::string::npos);
  CHECK(svg.find(">fixed: machine.protocol=MOESI, seed=4, machine.core.pause_cycles=77, "
                 "workload.acquisitions_per_thread=20, extends=m</text>") != std::string::npos);
  CHECK(svg.find(">machine.cores (cores, log2 scale)</text>") != std::string::npos);
  CHECK(svg.find("class=\"y-title\"") != std::string::npos);
  CHECK(svg.find(">bus transactions per acquisition</text>\n") != std::string::npos);
  // A metric outside the fixed table still gets its unit.
  REQUIRE(cli("plot '" + dir.string() + "' --y wait_cycles.p90 --y handoff_us.p50 --y writebacks").status == 0);
  CHECK(slurp(dir / "plot-wait_cycles.p90.svg").find(">wait p90 (cycles)</text>") != std::string::npos);
  CHECK(slurp(dir / "plot-handoff_us.p50.svg").find(">handoff p50 (µs)</text>") != std::string::npos);
  CHECK(slurp(dir / "plot-coherence.writebacks.svg").find(">writebacks in the measured window</text>") !=
        std::string::npos);
}

TEST_CASE("plots: a long list of fixed settings wraps to two lines and counts the rest") {
  output::LineChart c;
  c.title = "t";
  for (int i = 0; i < 20; ++i) c.fixed.push_back("machine.some.key_" + std::to_string(i) + "=" + std::to_string(i * 11));
  c.points = {{"a", "1", 1, 0}, {"a", "2", 2, 0}};
  const std::string svg = output::line_chart_svg(c);
  std::smatch m;
  std::vector<std::string> lines;
  const std::regex re(R"(<text class="fixed"[^>]*>([^<]*)</text>)");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), re); it != std::sregex_iterator(); ++it)
    lines.push_back((*it)[1]);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].rfind("fixed: machine.some.key_0=0, machine.some.key_1=11, ", 0) == 0);
  CHECK(lines[0].size() <= 132);  // at 10 px, ~0.55 em a character: 730 of the 800 px
  CHECK(lines[1].size() <= 132);
  // Each entry is shown whole, and the count covers exactly the ones not shown.
  size_t shown = 0;
  for (const auto& l : lines) shown += size_t(std::count(l.begin(), l.end(), '='));
  CHECK(std::regex_search(lines[1], m, std::regex(R"( \(\+(\d+) more\)$)")));
  CHECK(shown + std::stoul(m[1]) == 20);
  // The whole list is in <desc>; the plot area starts below the two lines.
  CHECK(svg.find("<desc>fixed: machine.some.key_0=0, ") != std::string::npos);
  CHECK(svg.find("machine.some.key_19=209</desc>") != std::string::npos);
  CHECK(svg.find("<path class=\"frame\" d=\"M 80.0 79.0 V 436.0") != std::string::npos);
}

TEST_CASE("resolved config: numa's cores_per_socket and a mesh's shape show as derived, not 0") {
  auto ex = config::load_experiment_text("machine:\n  cores: 16\n  coherence: directory\n"
                                         "  interconnect: {topology: numa, sockets: 4}\n",
                                         "numa.yaml");
  CHECK(ex.points[0].resolved->at("machine").at("interconnect").at("cores_per_socket") == 4);
  ex = config::load_experiment_text("machine:\n  cores: 32\n  coherence: directory\n"
                                    "  interconnect: {topology: mesh, height: 2}\n",
                                    "mesh.yaml");
  CHECK(ex.points[0].resolved->at("machine").at("interconnect").at("width") == 16);
  CHECK(ex.points[0].resolved->at("machine").at("interconnect").at("height") == 2);
  // Given explicitly, they stay as written (the network checks them).
  ex = config::load_experiment_text("machine:\n  cores: 16\n  coherence: directory\n"
                                    "  interconnect: {topology: numa, sockets: 2, cores_per_socket: 8}\n",
                                    "numa2.yaml");
  CHECK(ex.points[0].resolved->at("machine").at("interconnect").at("cores_per_socket") == 8);
}

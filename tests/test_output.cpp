// Stats figures (histogram, fairness) and the writers of sim/output: stats.json, summary.csv,
// atomic files, and the run driver with a stand-in for simulate().
#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli_helpers.hpp"
#include "common/error.hpp"
#include "output/atomic_file.hpp"
#include "output/driver.hpp"
#include "output/format.hpp"
#include "output/manifest.hpp"
#include "output/pivot.hpp"
#include "output/stats_json.hpp"
#include "output/summary.hpp"

using namespace lockstep;
namespace fs = std::filesystem;

using testing::slurp;
using testing::TempDir;

namespace {

// A scratch directory removed at the end of the test.
stats::PerCore core(uint64_t acq, uint64_t uops) {
  stats::PerCore c;
  c.acquisitions = acq;
  c.micro_ops = uops;
  return c;
}

// A point with every figure set to a distinct, easily recognised value.
stats::Point sample_stats() {
  stats::Point s;
  s.cycles = 40000;
  s.acquisitions = 30;
  for (uint64_t v : {100, 300, 200, 400, 1000}) s.handoff.add(v);
  s.coherence.bus_transactions = 90;
  s.coherence.messages = 45;
  s.coherence.invalidations = 20;
  s.coherence.gets = 31;
  s.coherence.getm = 32;
  s.coherence.upgrades = 33;
  s.coherence.writebacks = 10;
  s.coherence.cache_to_cache = 34;
  s.coherence.memory_reads = 35;
  s.coherence.messages_by_type = {{"Inv", 7}, {"GetS", 5}};
  stats::PerCore a = core(10, 500);
  a.l1_hits = 1;
  a.l1_misses = 2;
  a.cycles_acquiring = 3;
  a.cycles_in_cs = 4;
  a.spin_iterations_skipped = 999;
  s.per_core = {a, core(20, 400), core(0, 0)};  // the third core ran no thread
  s.events = 123456;
  s.extra = {{"link_util", 0.123456789}};
  return s;
}

struct SamplePoint {
  nlohmann::json resolved = {{"machine", {{"cores", 3}, {"clock_ghz", 3.0}}}, {"seed", 7}};
  config::Point p;
  SamplePoint() {
    p.name = "001_cores-3_lock-mcs";
    p.index = 1;
    p.seed = 7;
    p.swept = {{"machine.cores", "3"}, {"workload.lock", "mcs"}};
    p.resolved = &resolved;
  }
};

}  // namespace

TEST_CASE("histogram: nearest-rank percentiles, mean, min, max") {
  stats::Histogram h;
  CHECK(h.count() == 0);
  CHECK(h.mean() == 0.0);
  CHECK(h.percentile(50) == 0);
  CHECK(h.max() == 0);
  for (uint64_t v : {7, 3, 10, 1, 5, 2, 9, 4, 8, 6}) h.add(v);  // 1..10 out of order
  CHECK(h.count() == 10);
  CHECK(h.mean() == 5.5);
  CHECK(h.min() == 1);
  CHECK(h.max() == 10);
  CHECK(h.percentile(0) == 1);
  CHECK(h.percentile(10) == 1);
  CHECK(h.percentile(11) == 2);   // rank ceil(1.1) = 2
  CHECK(h.percentile(50) == 5);
  CHECK(h.percentile(90) == 9);
  CHECK(h.percentile(99) == 10);
  CHECK(h.percentile(100) == 10);
  h.add(0);  // adding after a percentile query re-sorts
  CHECK(h.percentile(0) == 0);
  CHECK(h.percentile(50) == 5);  // 11 samples: rank ceil(5.5) = 6 -> 5
  auto b = h.buckets(4);
  REQUIRE(b.size() == 3);
  CHECK(b[0] == 4);  // 0 1 2 3
  CHECK(b[1] == 4);  // 4 5 6 7
  CHECK(b[2] == 3);  // 8 9 10
  h.clear();
  CHECK(h.count() == 0);
}

TEST_CASE("histogram: single sample and large values") {
  stats::Histogram h;
  h.add(42);
  CHECK(h.percentile(1) == 42);
  CHECK(h.percentile(99) == 42);
  h.add(UINT64_MAX);
  CHECK(h.max() == UINT64_MAX);
  CHECK(h.mean() == doctest::Approx((42.0 + double(UINT64_MAX)) / 2));  // no overflow in the sum
}

TEST_CASE("jain: exact for known vectors, idle cores left out") {
  stats::Point s;
  s.per_core = {core(10, 1), core(10, 1), core(10, 1), core(10, 1)};
  CHECK(s.jain() == 1.0);
  s.per_core = {core(1, 1), core(0, 1), core(0, 1), core(0, 1)};  // one core takes everything
  CHECK(s.jain() == 0.25);
  s.per_core = {core(1, 5), core(2, 5), core(3, 5)};  // 36 / (3 * 14)
  CHECK(s.jain() == doctest::Approx(36.0 / 42.0).epsilon(1e-15));
  CHECK(s.min_acquisitions() == 1);
  CHECK(s.max_acquisitions() == 3);
  CHECK(s.micro_ops() == 15);
  s.per_core.push_back(core(0, 0));  // a core with no thread: not unfairness
  CHECK(s.jain() == doctest::Approx(36.0 / 42.0).epsilon(1e-15));
  CHECK(s.min_acquisitions() == 1);
  s.per_core = {};
  CHECK(s.jain() == 0.0);
  CHECK(s.min_acquisitions() == 0);
}

TEST_CASE("format: 6 significant digits, plain decimal") {
  CHECK(output::round_sig(0.1234567) == 0.123457);
  CHECK(output::round_sig(1234567.0) == 1234570.0);
  CHECK(output::round_sig(-2.5e-7) == -2.5e-7);
  CHECK(output::round_sig(std::numeric_limits<double>::quiet_NaN()) == 0.0);
  CHECK(output::format_number(2.0 / 3.0) == "0.666667");
  CHECK(output::format_number(1234567.0) == "1234570");
  CHECK(output::format_number(12) == "12");
  CHECK(output::format_number(0.000123) == "0.000123");
  CHECK(output::format_number(0) == "0");
  CHECK(output::csv_field("a,b") == "\"a,b\"");
  CHECK(output::csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(output::csv_field("plain") == "plain");
}

TEST_CASE("stats.json: every contract field, with the values given") {
  SamplePoint sp;
  const stats::Point s = sample_stats();
  const std::string text = output::stats_json_text(sp.p, s);
  const auto j = nlohmann::json::parse(text);

  CHECK(j["schema"] == "lockstep.stats/1");
  CHECK(j["point"] == "001_cores-3_lock-mcs");
  CHECK(j["seed"] == 7);
  CHECK(j["config"] == sp.resolved);
  CHECK(j["cycles"] == 40000);
  CHECK(j["acquisitions"] == 30);
  CHECK(j["throughput"]["acq_per_kcycle"] == 0.75);
  const auto& h = j["handoff_cycles"];
  CHECK(h["count"] == 5);
  CHECK(h["mean"] == 400.0);
  CHECK(h["p50"] == 300);
  CHECK(h["p90"] == 1000);
  CHECK(h["p99"] == 1000);
  CHECK(h["max"] == 1000);
  const auto& c = j["coherence"];
  CHECK(c["bus_transactions"] == 90);
  CHECK(c["messages"] == 45);
  CHECK(c["invalidations"] == 20);
  CHECK(c["gets"] == 31);
  CHECK(c["getm"] == 32);
  CHECK(c["upgrades"] == 33);
  CHECK(c["writebacks"] == 10);
  CHECK(c["cache_to_cache"] == 34);
  CHECK(c["memory_reads"] == 35);
  CHECK(c["messages_by_type"] == nlohmann::json({{"GetS", 5}, {"Inv", 7}}));
  const auto& pa = j["per_acquisition"];
  CHECK(pa["invalidations"] == 0.666667);
  CHECK(pa["bus_transactions"] == 3.0);
  CHECK(pa["messages"] == 1.5);
  CHECK(pa["writebacks"] == 0.333333);
  CHECK(pa["micro_ops"] == 30.0);
  const auto& f = j["fairness"];
  CHECK(f["jain"] == 0.9);  // (10+20)^2 / (2 * 500): the idle third core is not counted
  CHECK(f["min_acquisitions"] == 10);
  CHECK(f["max_acquisitions"] == 20);
  REQUIRE(j["per_core"].size() == 3);
  CHECK(j["per_core"][0] == nlohmann::json({{"acquisitions", 10}, {"micro_ops", 500}, {"l1_hits", 1},
                                            {"l1_misses", 2}, {"cycles_acquiring", 3}, {"cycles_in_cs", 4},
                                            {"cycles_spinning", 0}, {"cycles_parked", 0}, {"context_switches", 0},
                                            {"wakeups", 0}, {"cycles_on_cpu", 0}, {"acquire_failures", 0}}));
  CHECK(j["per_core"][1]["acquisitions"] == 20);
  CHECK(j["extra"] == nlohmann::json({{"link_util", 0.123457}}));

  // Exactly these top-level keys, in this order, and nothing host-side.
  const auto o = nlohmann::ordered_json::parse(text);
  std::vector<std::string> keys;
  for (const auto& [k, v] : o.items()) keys.push_back(k);
  CHECK(keys == std::vector<std::string>{"schema", "point", "seed", "config", "cycles", "acquisitions", "throughput",
                                         "handoff_cycles", "wait_cycles", "hold_cycles", "release_cycles",
                                         "cycles_us", "handoff_us", "wait_us", "hold_us", "release_us",
                                         "acquire_failures", "coherence",
                                         "per_acquisition", "fairness", "per_core", "os", "preemptions",
                                         "extra", "config_hash"});
  CHECK(text.find("spin_iterations_skipped") == std::string::npos);
  CHECK(text.find("123456") == std::string::npos);  // engine events
  CHECK(text.back() == '\n');
}

TEST_CASE("stats.json: same input, same bytes; no acquisitions gives zeros, not NaN") {
  SamplePoint sp;
  CHECK(output::stats_json_text(sp.p, sample_stats()) == output::stats_json_text(sp.p, sample_stats()));
  stats::Point empty;
  const auto j = nlohmann::json::parse(output::stats_json_text(sp.p, empty));
  CHECK(j["per_acquisition"]["invalidations"] == 0.0);
  CHECK(j["throughput"]["acq_per_kcycle"] == 0.0);
  CHECK(j["fairness"]["jain"] == 0.0);
  CHECK(j["per_core"].is_array());
  CHECK(j["extra"].is_object());
  sp.p.resolved = nullptr;
  CHECK(nlohmann::json::parse(output::stats_json_text(sp.p, empty))["config"].is_null());
}

TEST_CASE("stats.json: the output folder is not part of the config") {
  SamplePoint a, b;
  a.resolved["output"] = {{"dir", "results/a"}};
  b.resolved["output"] = {{"dir", "results/b"}};
  const std::string ta = output::stats_json_text(a.p, sample_stats());
  CHECK(ta == output::stats_json_text(b.p, sample_stats()));
  CHECK(!nlohmann::json::parse(ta)["config"].contains("output"));
  CHECK(nlohmann::json::parse(ta)["config"]["machine"]["cores"] == 3);
}

TEST_CASE("summary.csv: header and row exactly") {
  SamplePoint sp;
  const std::vector<std::string> paths = {"machine.cores", "workload.lock"};
  output::PointResult r{&sp.p, sample_stats(), {}};
  CHECK(output::summary_csv_header(paths) ==
        "point,machine.cores,workload.lock,cycles,acquisitions,acq_per_kcycle,handoff_mean,handoff_p50,"
        "handoff_p99,inv_per_acq,bus_per_acq,msgs_per_acq,wb_per_acq,jain,handoff_count,handoff_ratio,wait_p50,"
        "wait_p99,hold_mean");
  CHECK(output::summary_csv_row(paths, r).rfind(
            "001_cores-3_lock-mcs,3,mcs,40000,30,0.75,400,300,1000,0.666667,3,1.5,0.333333,0.9,5,0.166667,0,0,0,", 0) == 0);
  const std::string csv = output::summary_csv(paths, {r, r});
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 3);
  // After the fixed columns, every other scalar of stats.json by dotted path, in stats.json's
  // order; figures a fixed column already shows (handoff_cycles.p50 = handoff_p50) are not
  // repeated, and unmeasured distributions (null) leave their fields empty.
  CHECK(csv.substr(0, csv.find('\n')) ==
        output::summary_csv_header(paths) +
            ",handoff_cycles.p90,handoff_cycles.max,wait_cycles.count,wait_cycles.mean,wait_cycles.p90,"
            "wait_cycles.max,hold_cycles.count,hold_cycles.p50,hold_cycles.p90,hold_cycles.p99,hold_cycles.max,"
            "release_cycles.count,release_cycles.mean,release_cycles.p50,release_cycles.p90,release_cycles.p99,"
            "release_cycles.max,cycles_us,handoff_us.mean,handoff_us.p50,handoff_us.p90,handoff_us.p99,"
            "handoff_us.max,wait_us.mean,wait_us.p50,wait_us.p90,wait_us.p99,wait_us.max,hold_us.mean,hold_us.p50,"
            "hold_us.p90,hold_us.p99,hold_us.max,release_us.mean,release_us.p50,release_us.p90,release_us.p99,"
            "release_us.max,acquire_failures,coherence.bus_transactions,coherence.messages,coherence.invalidations,"
            "coherence.gets,coherence.getm,coherence.upgrades,coherence.writebacks,coherence.cache_to_cache,"
            "coherence.memory_reads,coherence.llc_hits,coherence.llc_misses,coherence.llc_back_invalidations,"
              "coherence.messages_by_type.GetS,coherence.messages_by_type.Inv,"
            "per_acquisition.micro_ops,fairness.min_acquisitions,fairness.max_acquisitions,fairness.reacquires,"
            "os.cpu_cycles,os.cpu_cycles_per_acquisition,os.spinning_cycles_per_acquisition,"
            "os.parked_cycles_per_acquisition,os.context_switches,os.wakeups,preemptions.holder,preemptions.waiter,"
            "preemptions.other,"
            "extra.link_util");
  CHECK(csv.substr(csv.find('\n') + 1, csv.find('\n', csv.find('\n') + 1) - csv.find('\n') - 1) ==
        "001_cores-3_lock-mcs,3,mcs,40000,30,0.75,400,300,1000,0.666667,3,1.5,0.333333,0.9,5,0.166667,0,0,0,"
        "1000,1000,0,,,,0,,,,,0,,,,,,"
        // cycles_us and handoff_us at the default 3 GHz: 40000 / 3000, 400 / 3000, 300 / 3000, 1000 / 3000 x3;
        // wait, hold and release were not measured: empty.
        "13.3333,0.133333,0.1,0.333333,0.333333,0.333333,,,,,,,,,,,,,,,,"
        "0,"  // acquire_failures
        "90,45,20,31,32,33,10,34,35,0,0,0,5,7,30,10,20,0,0,0,0,0,0,0,0,0,0,0.123457");
  CHECK(output::summary_csv_header({}) ==
        "point,cycles,acquisitions,acq_per_kcycle,handoff_mean,handoff_p50,handoff_p99,inv_per_acq,bus_per_acq,"
        "msgs_per_acq,wb_per_acq,jain,handoff_count,handoff_ratio,wait_p50,wait_p99,hold_mean");

  const std::string table = output::summary_table(paths, {r});
  std::istringstream lines(table);
  std::string header, rule, row;
  std::getline(lines, header);
  std::getline(lines, rule);
  std::getline(lines, row);
  CHECK(header.find("machine.cores") != std::string::npos);
  CHECK(rule.find_first_not_of('-') == std::string::npos);
  CHECK(row.rfind("001_cores-3_lock-mcs", 0) == 0);
  // right-aligned figures: the last column ends at the same place in header and row
  // (in characters: the header's "µs" is two bytes of UTF-8 three times over)
  CHECK(header.find("jain  window µs  hoff p50 µs  hoff p99 µs") != std::string::npos);
  CHECK(header.size() == row.size() + 3);
}

TEST_CASE("write_file_atomic: creates parents, replaces, leaves no temporary") {
  TempDir t;
  const fs::path f = t.path / "a" / "b" / "out.txt";
  output::write_file_atomic(f.string(), "first version, rather long\n");
  CHECK(slurp(f) == "first version, rather long\n");
  output::write_file_atomic(f.string(), "second\n");
  CHECK(slurp(f) == "second\n");
  int entries = 0;
  for (const auto& e : fs::directory_iterator(f.parent_path())) {
    ++entries;
    CHECK(e.path().filename() == "out.txt");
  }
  CHECK(entries == 1);
  // A path under a regular file cannot be created: the error names it, nothing is left.
  CHECK_THROWS_WITH_AS(output::write_file_atomic((f / "x").string(), "y"), doctest::Contains("out.txt"),
                       std::runtime_error);
  CHECK(slurp(f) == "second\n");
}

TEST_CASE("manifest: version, revision, host, command line") {
  output::ManifestInfo m;
  m.experiment = "e";
  m.argv = {"lockstep", "run", "my file.yaml", "--jobs", "2"};
  m.points = {"000_a", "001_b"};
  m.jobs = 2;
  const auto j = output::manifest_json(m);
  CHECK(j["version"] == output::kVersion);
  CHECK(j["command_line"] == "lockstep run 'my file.yaml' --jobs 2");
  CHECK(!j["git_revision"].get<std::string>().empty());
  CHECK(j["host"]["nproc"].get<unsigned>() >= 1);
  CHECK(!j["host"]["hostname"].get<std::string>().empty());
  CHECK(j["points_run"] == 2);
  CHECK(j["jobs"] == 2);
  CHECK(j.contains("wall_time_seconds"));
}

TEST_CASE("parse_shard") {
  CHECK(output::parse_shard("0/1") == std::pair{0, 1});
  CHECK(output::parse_shard("3/4") == std::pair{3, 4});
  for (const char* bad : {"4/4", "1", "/2", "a/2", "-1/2", "0/0", "1/2/3", ""})
    CHECK_THROWS_AS(output::parse_shard(bad), InputError);
}

namespace {

// An experiment of n points and a stand-in simulate() whose figures depend only on the point,
// so any dependence of the files on jobs or scheduling shows up as a byte difference.
config::Experiment fake_experiment(int n, const std::string& dir) {
  config::Experiment e;
  e.name = "fake";
  e.swept_paths = {"machine.cores"};
  e.output_dir = dir;
  for (int i = 0; i < n; ++i) {
    e.resolved.push_back(std::make_unique<nlohmann::json>(nlohmann::json{{"machine", {{"cores", i + 1}}}}));
    config::Point p;
    p.index = i;
    p.name = "00" + std::to_string(i) + "_cores-" + std::to_string(i + 1);
    p.swept = {{"machine.cores", std::to_string(i + 1)}};
    p.machine.cores = i + 1;
    p.seed = 5;
    p.resolved = e.resolved.back().get();
    e.points.push_back(std::move(p));
  }
  return e;
}

stats::Point fake_simulate(const config::Point& p, const sim::SimOptions& so) {
  // Later points finish first when run in parallel: scheduling must not change the output.
  std::this_thread::sleep_for(std::chrono::milliseconds(5 * (6 - p.index)));
  if (!so.trace_path.empty()) std::ofstream(so.trace_path) << so.trace_format << " " << p.name << "\n";
  stats::Point s;
  s.cycles = 1000 * uint64_t(p.index + 1);
  s.acquisitions = 7 * uint64_t(p.index + 1);
  for (int c = 0; c < p.machine.cores; ++c) s.per_core.push_back(core(uint64_t(c + 1), 3));
  s.coherence.invalidations = 3;
  s.handoff.add(uint64_t(p.index) * 10 + 1);
  return s;
}

}  // namespace

TEST_CASE("driver: files identical whatever --jobs, order by point index") {
  TempDir t;
  const auto e1 = fake_experiment(6, (t.path / "j1").string());
  const auto e4 = fake_experiment(6, (t.path / "j4").string());
  output::RunOptions o1, o4;
  o4.jobs = 4;
  const auto r1 = output::run_experiment(e1, o1, fake_simulate);
  const auto r4 = output::run_experiment(e4, o4, fake_simulate);
  REQUIRE(r4.results.size() == 6);
  for (int i = 0; i < 6; ++i) CHECK(r4.results[size_t(i)].point->index == i);
  const std::string csv = slurp(t.path / "j1" / "summary.csv");
  CHECK(csv == slurp(t.path / "j4" / "summary.csv"));
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 7);
  CHECK(csv.find("\n000_cores-1,1,1000,7,") != std::string::npos);
  for (const auto& p : e1.points) {
    const auto a = slurp(t.path / "j1" / "points" / p.name / "stats.json");
    CHECK(!a.empty());
    CHECK(a == slurp(t.path / "j4" / "points" / p.name / "stats.json"));
  }
  const auto m = nlohmann::json::parse(slurp(t.path / "j4" / "manifest.json"));
  CHECK(m["points_run"] == 6);
  CHECK(m["jobs"] == 4);
}

TEST_CASE("driver: a shard runs and lists only its points; traces go beside stats.json") {
  TempDir t;
  const auto e = fake_experiment(5, t.path.string());
  output::RunOptions o;
  o.shard_index = 1;
  o.shard_count = 2;
  o.trace_format = "text";
  const auto r = output::run_experiment(e, o, fake_simulate);
  REQUIRE(r.results.size() == 2);
  CHECK(r.results[0].point->index == 1);
  CHECK(r.results[1].point->index == 3);
  // A shard writes no summary of its own points (it would hide the other shards' points).
  CHECK(!r.summary_written);
  CHECK(!fs::exists(t.path / "summary.csv"));
  CHECK(!fs::exists(t.path / "manifest.json"));
  CHECK(nlohmann::json::parse(slurp(t.path / "manifest.shard-1-of-2.json"))["points_run"] == 2);
  CHECK(fs::exists(t.path / "points" / "001_cores-2" / "stats.json"));
  CHECK(fs::exists(t.path / "points" / "003_cores-4" / "stats.json"));
  CHECK(!fs::exists(t.path / "points" / "000_cores-1"));
  CHECK(slurp(t.path / "points" / "003_cores-4" / "trace.txt") == "text 003_cores-4\n");
}

TEST_CASE("driver: a failing point stops the run with its own error type, point-prefixed") {
  TempDir t;
  const auto e = fake_experiment(6, t.path.string());
  auto failing = [](const config::Point& p, const sim::SimOptions& so) -> stats::Point {
    if (p.index == 2) throw CorrectnessError("mutual exclusion violated at cycle 77");
    if (p.index == 4) throw NoProgressError("deadlock");
    return fake_simulate(p, so);
  };
  for (int jobs : {1, 3}) {
    output::RunOptions o;
    o.jobs = jobs;
    CAPTURE(jobs);
    // Whatever the job count, the reported error is the one a sequential run stops at.
    CHECK_THROWS_WITH_AS(output::run_experiment(e, o, failing),
                         "002_cores-3: mutual exclusion violated at cycle 77", CorrectnessError);
    CHECK(!fs::exists(t.path / "summary.csv"));
    CHECK(!fs::exists(t.path / "manifest.json"));
  }
  auto input_err = [](const config::Point& p, const sim::SimOptions&) -> stats::Point {
    throw InputError(p.name + " bad lock");
  };
  CHECK_THROWS_AS(output::run_experiment(e, {}, input_err), InputError);
  auto other = [](const config::Point&, const sim::SimOptions&) -> stats::Point { throw std::logic_error("x"); };
  CHECK_THROWS_WITH_AS(output::run_experiment(e, {}, other), "000_cores-1: x", std::runtime_error);
  output::RunOptions bad;
  bad.jobs = 0;
  CHECK_THROWS_AS(output::run_experiment(e, bad, fake_simulate), InputError);
}

TEST_CASE("pivot: a two-path sweep becomes a grid per metric; other sweeps print nothing") {
  std::vector<config::Point> pts(4);
  std::vector<output::PointResult> rs;
  const char* locks[] = {"ticket", "mcs"};
  const char* cores[] = {"2", "4"};
  for (int i = 0; i < 4; ++i) {
    pts[size_t(i)].swept = {{"workload.lock", locks[i / 2]}, {"machine.cores", cores[i % 2]}};
    stats::Point s;
    s.acquisitions = 10;
    s.cycles = 1000;
    s.coherence.bus_transactions = uint64_t(10 * (i + 1));
    s.coherence.invalidations = uint64_t(5 * i);
    rs.push_back(output::PointResult{&pts[size_t(i)], s, {}});
  }
  std::vector<std::string> paths = {"workload.lock", "machine.cores"};
  auto metrics = output::default_pivot_metrics(rs);
  REQUIRE(metrics.size() == 3);
  CHECK(metrics[0].title == "bus transactions per acquisition");
  std::string t = output::pivot_tables(paths, rs, metrics);
  CHECK(t.find("bus transactions per acquisition (rows: workload.lock, columns: machine.cores)\n"
               "workload.lock         2         4\n"
               "ticket             1.00      2.00\n"
               "mcs                3.00      4.00\n") != std::string::npos);
  CHECK(t.find("mcs                1.00      1.50\n") != std::string::npos);  // invalidations
  CHECK(t.find("ticket            10.00     10.00\n") != std::string::npos);  // acq per kcycle
  CHECK(output::pivot_tables({"workload.lock"}, rs, metrics).empty());
  rs[0].stats.coherence.messages = 3;
  CHECK(output::default_pivot_metrics(rs)[0].title == "network messages per acquisition");
}

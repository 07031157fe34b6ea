// Experiments at scale (docs/scale.md): output folders that refuse to mix experiments,
// --force, --resume (also after kill -9, through the real command), shards and merge,
// --seeds with 95% confidence intervals, --emit slurm|parallel, progress, and every
// stats.json scalar reachable from summary.csv and `lockstep plot --y`.
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli_helpers.hpp"
#include "common/error.hpp"
#include "output/driver.hpp"
#include "output/emit.hpp"
#include "output/merge.hpp"
#include "output/run_dir.hpp"
#include "output/stats_json.hpp"
#include "output/summary.hpp"

namespace fs = std::filesystem;
namespace config = lockstep::config;
namespace output = lockstep::output;
namespace sim = lockstep::sim;
namespace stats = lockstep::stats;
using lockstep::InputError;
using testing::slurp;
using testing::TempDir;

namespace {

// n points sweeping machine.cores; `cores_base` changes the resolved config of every point.
config::Experiment experiment(int n, const std::string& dir, int cores_base = 1, const std::string& name = "fake") {
  config::Experiment e;
  e.name = name;
  e.swept_paths = {"machine.cores"};
  e.output_dir = dir;
  for (int i = 0; i < n; ++i) {
    const int cores = cores_base + i;
    e.resolved.push_back(
        std::make_unique<nlohmann::json>(nlohmann::json{{"machine", {{"cores", cores}}}, {"seed", 5}}));
    config::Point p;
    p.index = i;
    p.name = "00" + std::to_string(i) + "_cores-" + std::to_string(cores);
    p.swept = {{"machine.cores", std::to_string(cores)}};
    p.machine.cores = cores;
    p.seed = 5;
    p.resolved = e.resolved.back().get();
    e.points.push_back(std::move(p));
  }
  return e;
}

// Figures that depend on the point and the seed only; counts its calls.
struct Sim {
  int calls = 0;
  output::SimulateFn fn() {
    return [this](const config::Point& p, const sim::SimOptions&) {
      ++calls;
      stats::Point s;
      s.cycles = 1000 * uint64_t(p.index + 1) + 10 * p.seed;
      s.acquisitions = 10;
      s.coherence.cache_to_cache = uint64_t(p.index) + 3;
      s.handoff.add(uint64_t(p.index) + 1);
      return s;
    };
  }
};

std::string read(const fs::path& p) { return slurp(p); }
testing::Result cli(const std::string& args) { return testing::lockstep(args); }

}  // namespace

TEST_CASE("config hash: FNV-1a 64 of what is simulated, not of where results go") {
  CHECK(output::fnv1a64_hex("") == "cbf29ce484222325");  // the FNV offset basis
  CHECK(output::fnv1a64_hex("a") == "af63dc4c8601ec8c");  // published test vector
  auto e = experiment(2, "x");
  const std::string h0 = output::config_hash(e.points[0]);
  CHECK(h0.size() == 16);
  CHECK(h0 != output::config_hash(e.points[1]));  // machine.cores differs
  (*e.resolved[0])["output"] = {{"dir", "elsewhere"}};
  (*e.resolved[0])["run"] = {{"fast_forward", false}};
  CHECK(output::config_hash(e.points[0]) != h0);  // run: {} is left, an empty object differs from none
  (*e.resolved[0])["run"] = nlohmann::json::object();
  const std::string with_run = output::config_hash(e.points[0]);
  (*e.resolved[0])["run"]["fast_forward"] = true;
  CHECK(output::config_hash(e.points[0]) == with_run);  // fast-forward changes no result
  e.points[0].seed = 6;
  CHECK(output::config_hash(e.points[0]) != with_run);
}

TEST_CASE("t95: Student t table, then Cornish-Fisher") {
  CHECK(output::t95(1) == 12.706);
  CHECK(output::t95(2) == 4.303);
  CHECK(output::t95(30) == 2.042);
  CHECK(std::abs(output::t95(40) - 2.021) < 0.003);
  CHECK(std::abs(output::t95(120) - 1.980) < 0.003);
  CHECK(std::abs(output::t95(100000) - 1.960) < 0.001);
}

TEST_CASE("folder: another experiment's results stop the run unless --force or --resume") {
  TempDir t;
  const std::string dir = (t.path / "out").string();
  Sim sim;
  const auto a = experiment(3, dir);
  output::run_experiment(a, {}, sim.fn());
  t.write("out/notes.txt", "mine\n");
  const std::string summary_a = read(t.path / "out" / "summary.csv");

  // The same experiment again is fine: the same points are simulated again.
  output::run_experiment(a, {}, sim.fn());
  CHECK(sim.calls == 6);
  CHECK(read(t.path / "out" / "summary.csv") == summary_a);

  const auto b = experiment(2, dir, 8);  // other resolved configs
  const std::string expected = "output folder " + dir +
                               " holds experiment 'fake' with a different resolved config; rerun with "
                               "--force to clear it, --resume";
  CHECK_THROWS_WITH_AS(output::run_experiment(b, {}, sim.fn()), doctest::Contains(expected.c_str()), InputError);
  const auto c = experiment(3, dir, 1, "other");
  CHECK_THROWS_WITH_AS(output::run_experiment(c, {}, sim.fn()), doctest::Contains("another experiment ('fake')"),
                       InputError);
  CHECK(sim.calls == 6);  // nothing ran, nothing changed
  CHECK(read(t.path / "out" / "summary.csv") == summary_a);

  output::RunOptions force;
  force.dir_mode = output::DirMode::Force;
  output::run_experiment(b, force, sim.fn());
  CHECK(sim.calls == 8);
  // b's two points and nothing of a's three; the user's own file is left alone.
  std::vector<std::string> points;
  for (const auto& d : fs::directory_iterator(t.path / "out" / "points")) points.push_back(d.path().filename().string());
  std::sort(points.begin(), points.end());
  CHECK(points == std::vector<std::string>{"000_cores-8", "001_cores-9"});
  CHECK(read(t.path / "out" / "notes.txt") == "mine\n");
  const std::string csv = read(t.path / "out" / "summary.csv");
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 3);
  CHECK(csv.find("_cores-1,") == std::string::npos);
}

TEST_CASE("folder: lockstep files without experiment.json count as another experiment") {
  TempDir t;
  t.write("summary.csv", "point,cycles\n");
  Sim sim;
  CHECK_THROWS_WITH_AS(output::run_experiment(experiment(1, t.path.string()), {}, sim.fn()),
                       doctest::Contains("results lockstep did not record"), InputError);
  // A folder with only other files is not ours to judge: the run goes ahead.
  TempDir u;
  u.write("README", "x");
  output::run_experiment(experiment(1, u.path.string()), {}, sim.fn());
  CHECK(fs::exists(u.path / "summary.csv"));
}

TEST_CASE("resume: only missing or changed points run; the files are byte-identical") {
  TempDir t;
  Sim full, part;
  const auto e_full = experiment(5, (t.path / "full").string());
  output::run_experiment(e_full, {}, full.fn());
  CHECK(full.calls == 5);

  const auto e = experiment(5, (t.path / "part").string());
  output::run_experiment(e, {}, part.fn());
  fs::remove(t.path / "part" / "points" / "001_cores-2" / "stats.json");
  fs::remove_all(t.path / "part" / "points" / "004_cores-5");
  fs::remove(t.path / "part" / "summary.csv");
  // A stats.json of another config (its hash differs) is run again, not trusted.
  auto j = nlohmann::ordered_json::parse(read(t.path / "part" / "points" / "002_cores-3" / "stats.json"));
  j["config_hash"] = "0000000000000000";
  std::ofstream(t.path / "part" / "points" / "002_cores-3" / "stats.json") << j.dump(2) << "\n";
  // A stale point folder (another experiment's) goes.
  fs::create_directories(t.path / "part" / "points" / "099_old");

  part.calls = 0;
  output::RunOptions o;
  o.dir_mode = output::DirMode::Resume;
  const auto r = output::run_experiment(e, o, part.fn());
  CHECK(part.calls == 3);
  CHECK(r.simulated == 3);
  CHECK(r.reused == 2);
  CHECK(!fs::exists(t.path / "part" / "points" / "099_old"));
  CHECK(read(t.path / "part" / "summary.csv") == read(t.path / "full" / "summary.csv"));
  for (const auto& p : e.points)
    CHECK(read(t.path / "part" / "points" / p.name / "stats.json") ==
          read(t.path / "full" / "points" / p.name / "stats.json"));
}

TEST_CASE("shards: no summary until the set is complete; merge names what is missing") {
  TempDir t;
  Sim sim;
  const auto whole = experiment(5, (t.path / "whole").string());
  output::run_experiment(whole, {}, sim.fn());
  const auto e = experiment(5, (t.path / "sh").string());
  for (int i : {2, 0}) {
    output::RunOptions o;
    o.shard_index = i;
    o.shard_count = 3;
    CHECK(!output::run_experiment(e, o, sim.fn()).summary_written);
  }
  CHECK(!fs::exists(t.path / "sh" / "summary.csv"));
  const auto m = output::merge_dir((t.path / "sh").string());
  CHECK(m.present == 3);  // shard 0: points 0, 3; shard 2: point 2
  CHECK(m.missing == std::vector<std::string>{"001_cores-2", "004_cores-5"});
  CHECK(m.summary.rows.size() == 3);
  CHECK(m.summary.rows[1][0] == "002_cores-3");

  output::RunOptions last;
  last.shard_index = 1;
  last.shard_count = 3;
  CHECK(output::run_experiment(e, last, sim.fn()).summary_written);  // it completed the set
  CHECK(read(t.path / "sh" / "summary.csv") == read(t.path / "whole" / "summary.csv"));
  CHECK(output::merge_dir((t.path / "sh").string()).missing.empty());
  CHECK_THROWS_WITH_AS(output::merge_dir((t.path / "whole" / "points").string()),
                       doctest::Contains("has no experiment.json"), InputError);
}

TEST_CASE("seeds: K runs per point, means and 95% confidence half-widths") {
  TempDir t;
  Sim sim;
  const auto e = experiment(2, t.path.string());
  output::RunOptions o;
  o.seeds = 3;
  output::run_experiment(e, o, sim.fn());
  CHECK(sim.calls == 6);
  // Seeds 5, 6, 7: point 0's cycles are 1050, 1060, 1070: mean 1060, s = 10,
  // half-width t(0.975, 2) * s / sqrt(3) = 4.303 * 10 / 1.7320508 = 24.8434.
  CHECK(fs::exists(t.path / "points" / "000_cores-1" / "seed-6" / "stats.json"));
  CHECK(fs::exists(t.path / "points" / "000_cores-1" / "seed-7" / "stats.json"));
  CHECK(nlohmann::json::parse(read(t.path / "points" / "000_cores-1" / "stats.json"))["seed"] == 5);
  CHECK(nlohmann::json::parse(read(t.path / "points" / "000_cores-1" / "seed-7" / "stats.json"))["config"]["seed"] == 7);
  const std::string csv = read(t.path / "summary.csv");
  const std::string header = csv.substr(0, csv.find('\n'));
  CHECK(header.find(",cycles_ci95,acquisitions_ci95,") != std::string::npos);
  CHECK(header.find(",coherence.cache_to_cache_ci95") != std::string::npos);
  const std::string row0 = csv.substr(csv.find('\n') + 1, csv.find('\n', csv.find('\n') + 1) - csv.find('\n') - 1);
  CHECK(row0.rfind("000_cores-1,1,1060,10,", 0) == 0);
  CHECK(row0.find(",24.8434,0,") != std::string::npos);  // cycles_ci95, then acquisitions_ci95 = 0
}

TEST_CASE("emit: a Slurm array script and a GNU parallel line") {
  output::EmitSpec s;
  s.lockstep = "/opt/lockstep";
  s.run_args = {"/exp/sweep.yaml", "--set", "workload.lock_params={}"};
  s.dir = "/res/my dir";
  s.workdir = "/home/u";
  s.name = "big sweep";
  s.points = 10000;
  s.shards = output::default_shards(s.points);
  CHECK(s.shards == 1000);
  CHECK(output::default_shards(7) == 7);
  s.format = "slurm";
  const std::string slurm = output::emit_script(s);
  CHECK(slurm.rfind("#!/bin/bash\n", 0) == 0);
  CHECK(slurm.find("\n#SBATCH --array=0-999\n") != std::string::npos);
  CHECK(slurm.find("\n#SBATCH --job-name=lockstep-big_sweep\n") != std::string::npos);
  CHECK(slurm.find("--dependency=afterok:\"${SLURM_ARRAY_JOB_ID}\"") != std::string::npos);
  CHECK(slurm.find("--wrap=\"/opt/lockstep merge '/res/my dir'\"") != std::string::npos);
  CHECK(slurm.find("\nexec /opt/lockstep run /exp/sweep.yaml --set 'workload.lock_params={}' -o '/res/my dir' "
                   "--resume --shard \"${SLURM_ARRAY_TASK_ID}/1000\"\n") != std::string::npos);
  s.format = "parallel";
  s.shards = 4;
  CHECK(output::emit_script(s) ==
        "parallel --halt now,fail=1 -I @SHARD@ \"/opt/lockstep run /exp/sweep.yaml --set 'workload.lock_params={}' "
        "-o '/res/my dir' --resume --shard @SHARD@/4\" ::: $(seq 0 3) && /opt/lockstep merge '/res/my dir'\n");
  s.format = "pbs";
  CHECK_THROWS_WITH_AS(output::emit_script(s), "run: --emit 'pbs': expected slurm or parallel", InputError);
}

// ---- through the command ------------------------------------------------------------------

namespace {
// Six points of a contended TAS lock at 16 cores: each takes a noticeable fraction of a
// second, so a run can be killed between its first and its last point.
const char* kSlow = R"(name: slow
seed: 2
machine: {cores: 16}
workload:
  lock: tas
  acquisitions_per_thread: 150
  warmup_acquisitions: 5
  critical_section: {cycles: 50, lines_written: 1}
  outside: {dist: uniform, min: 0, max: 100}
sweep:
  workload.critical_section.cycles: [50, 60, 70, 80, 90, 100]
)";

const char* kTwo = R"(name: two
seed: 4
machine: {cores: 4}
workload:
  lock: ticket
  acquisitions_per_thread: 30
  warmup_acquisitions: 2
  outside: {dist: uniform, min: 0, max: 80}
sweep:
  machine.cores: [2, 4]
)";

size_t count_stats(const fs::path& dir) {
  size_t n = 0;
  std::error_code ec;
  if (!fs::exists(dir / "points")) return 0;
  for (const auto& e : fs::recursive_directory_iterator(dir / "points", ec))
    if (e.path().filename() == "stats.json") ++n;
  return n;
}
}  // namespace

TEST_CASE("cli: kill -9 in the middle of a sweep, then --resume, gives the uninterrupted run's bytes") {
  TempDir t;
  const std::string exp = t.write("slow.yaml", kSlow);
  const fs::path full = t.path / "full", cut = t.path / "cut";
  REQUIRE(cli("run '" + exp + "' -o '" + full.string() + "' --jobs 1").status == 0);
  REQUIRE(count_stats(full) == 6);

  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::execl(LOCKSTEP_BINARY, "lockstep", "run", exp.c_str(), "-o", cut.c_str(), "--jobs", "1", (char*)nullptr);
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (count_stats(cut) == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(WIFSIGNALED(status));
  const size_t before = count_stats(cut);
  CHECK(before >= 1);
  CHECK(before < 6);  // killed mid-way
  CHECK(!fs::exists(cut / "summary.csv"));

  // Without --resume (or --force) the half-written folder is the same experiment: allowed, but
  // --resume is what keeps the finished points.
  const auto r = cli("run '" + exp + "' -o '" + cut.string() + "' --jobs 1 --resume --progress");
  REQUIRE(r.status == 0);
  CHECK(r.err.find("resume: " + std::to_string(before) + " run(s) kept from the folder, " +
                   std::to_string(6 - before) + " to simulate") != std::string::npos);
  CHECK(r.err.find("[" + std::to_string(6 - before) + "/" + std::to_string(6 - before) + "] ") != std::string::npos);
  CHECK(read(cut / "summary.csv") == read(full / "summary.csv"));
  for (const auto& e : fs::directory_iterator(full / "points"))
    CHECK(read(cut / "points" / e.path().filename() / "stats.json") == read(e.path() / "stats.json"));
}

TEST_CASE("cli: folder errors exit 2; --force and --resume exclude each other") {
  TempDir t;
  const std::string exp = t.write("two.yaml", kTwo);
  const std::string dir = (t.path / "o").string();
  REQUIRE(cli("run '" + exp + "' -o '" + dir + "'").status == 0);
  auto r = cli("run '" + exp + "' -o '" + dir + "' --set workload.acquisitions_per_thread=31");
  CHECK(r.status == 2);
  CHECK(r.err.find("holds experiment 'two' with a different resolved config; rerun with --force") != std::string::npos);
  r = cli("run '" + exp + "' -o '" + dir + "' --force --resume");
  CHECK(r.status == 2);
  CHECK(r.err.find("--force clears the folder and --resume keeps it") != std::string::npos);
  r = cli("run '" + exp + "' -o '" + dir + "' --set workload.acquisitions_per_thread=31 --force");
  CHECK(r.status == 0);
  r = cli("run '" + exp + "' --emit pbs");
  CHECK(r.status == 2);
  CHECK(r.err.find("--emit 'pbs': expected slurm or parallel") != std::string::npos);
  r = cli("merge '" + (t.path / "nowhere").string() + "'");
  CHECK(r.status == 2);
  CHECK(r.err.find("is not a folder") != std::string::npos);
}

TEST_CASE("cli: every stats.json scalar is a summary column and a plot metric") {
  TempDir t;
  const std::string exp = t.write("two.yaml", kTwo);
  const fs::path dir = t.path / "o";
  REQUIRE(cli("run '" + exp + "' -o '" + dir.string() + "'").status == 0);
  const std::string csv = read(dir / "summary.csv");
  const std::string header = csv.substr(0, csv.find('\n'));
  for (const char* col : {",coherence.cache_to_cache,", ",coherence.memory_reads,", ",coherence.gets,",
                          ",coherence.getm,", ",coherence.upgrades,", ",handoff_count,"})
    CHECK(header.find(col) != std::string::npos);
  // The summary's figure agrees with the point's stats.json.
  const auto j = nlohmann::json::parse(read(dir / "points" / "001_cores-4" / "stats.json"));
  const auto col = [&](const std::string& name) {
    std::vector<std::string> h, row;
    std::stringstream hs(header), rs(csv.substr(csv.rfind('\n', csv.size() - 2) + 1));
    for (std::string f; std::getline(hs, f, ',');) h.push_back(f);
    for (std::string f; std::getline(rs, f, ',');) row.push_back(f);
    return row[size_t(std::find(h.begin(), h.end(), name) - h.begin())];
  };
  CHECK(col("coherence.cache_to_cache") == std::to_string(j["coherence"]["cache_to_cache"].get<uint64_t>()));
  CHECK(col("coherence.gets") == std::to_string(j["coherence"]["gets"].get<uint64_t>()));

  auto r = cli("plot '" + dir.string() + "' --y cache_to_cache --y coherence.getm --y handoff_cycles.p50");
  CHECK(r.status == 0);
  CHECK(fs::exists(dir / "plot-coherence.cache_to_cache.svg"));
  CHECK(fs::exists(dir / "plot-coherence.getm.svg"));
  CHECK(fs::exists(dir / "plot-handoff_p50.svg"));
  r = cli("plot '" + dir.string() + "' --y coherence.cache_to_cach");
  CHECK(r.status == 2);
  CHECK(r.err.find("did you mean 'coherence.cache_to_cache'?") != std::string::npos);
}

TEST_CASE("cli: the emitted GNU parallel line runs the shards and merges them") {
  if (std::system("command -v parallel >/dev/null 2>&1") != 0) {
    MESSAGE("skipped: GNU parallel is not installed (Debian package `parallel`)");
    return;
  }
  TempDir t;
  const std::string exp = t.write("two.yaml", kTwo);
  const fs::path whole = t.path / "whole", sharded = t.path / "sharded dir";
  REQUIRE(cli("run '" + exp + "' -o '" + whole.string() + "' --seeds 2").status == 0);
  const auto emitted = cli("run '" + exp + "' -o '" + sharded.string() + "' --seeds 2 --emit parallel");
  REQUIRE(emitted.status == 0);
  CHECK(emitted.out.find("--shard @SHARD@/2\" ::: $(seq 0 1) && ") != std::string::npos);
  t.write("line.sh", emitted.out);
  const auto ran = testing::shell("bash '" + (t.path / "line.sh").string() + "'");
  CHECK(ran.status == 0);
  CHECK(ran.out.find("2 of 2 point(s) merged") != std::string::npos);
  CHECK(read(sharded / "summary.csv") == read(whole / "summary.csv"));
}

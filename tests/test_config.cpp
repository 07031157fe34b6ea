// Experiment loading: defaults, every error with its exact message and position, extends:,
// --set, sweeps, seeds, the resolved JSON, and every shipped file under configs/.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "common/error.hpp"
#include "config/loader.hpp"

namespace fs = std::filesystem;
using namespace lockstep;
using namespace lockstep::config;

namespace {

// The InputError message of loading `yaml` (as file t.yaml), or "" when it loads.
std::string error_of(const std::string& yaml, const LoadOptions& opt = {}) {
  try {
    load_experiment_text(yaml, "t.yaml", opt);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

std::string error_of_file(const std::string& path, const LoadOptions& opt = {}) {
  try {
    load_experiment(path, opt);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

LoadOptions sets(std::vector<std::string> s) {
  LoadOptions o;
  o.sets = std::move(s);
  return o;
}

// A fresh folder for experiments that extend or name other files; removed at the end.
struct TempDir {
  fs::path path;
  TempDir() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("lockstep-config-" + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string write(const std::string& name, const std::string& text) const {
    fs::path p = path / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }
};

}  // namespace

TEST_CASE("an empty experiment is one point with every default") {
  Experiment ex = load_experiment_text("", "some/dir/t.yaml");
  REQUIRE(ex.points.size() == 1);
  const Point& p = ex.points[0];
  CHECK(p.name == "default");
  CHECK(p.index == 0);
  CHECK(p.swept.empty());
  CHECK(ex.swept_paths.empty());
  CHECK(ex.name == "t");
  CHECK(p.experiment_name == "t");
  CHECK(ex.output_dir == "results/local/t");
  CHECK(p.output_dir == "results/local/t");
  CHECK(p.base_dir == (fs::current_path() / "some/dir").string());
  CHECK(p.seed == 1);
  CHECK(p.machine.cores == 16);
  CHECK(p.machine.protocol == "MESI");
  CHECK(p.machine.coherence == "snoop");
  CHECK(p.machine.l1.size_kib == 32);
  CHECK(p.machine.interconnect.topology == "bus");
  CHECK(p.workload.lock == "ticket");
  CHECK(p.workload.threads == 16);   // 0 = machine.cores
  CHECK(p.workload.acquisitions_per_thread == 1000);
  CHECK(p.run.max_cycles == 1000000000);
  CHECK(p.run.fast_forward);
}

TEST_CASE("values are read into the point") {
  Experiment ex = load_experiment_text(R"(name: mine
seed: 9
machine:
  cores: 4
  clock_ghz: 2.5
  protocol: moesi
  core: {pause_cycles: 140}
  l1: {size_kib: 64, assoc: 4, hit_cycles: 3, line_bytes: 128}
  directory: {home: node:3}
workload:
  lock: mcs
  lock_params: {backoff: 8, limit: -1}
  acquisitions_per_thread: 5000000000
  outside: {dist: Exponential, mean: 42.5}
run: {fast_forward: no, check_invariants: true}
output: {dir: out/here}
)", "t.yaml");
  const Point& p = ex.points.at(0);
  CHECK(ex.name == "mine");
  CHECK(ex.output_dir == "out/here");
  CHECK(p.seed == 9);
  CHECK(p.machine.cores == 4);
  CHECK(p.machine.clock_ghz == 2.5);
  CHECK(p.machine.protocol == "MOESI");
  CHECK(p.machine.core.pause_cycles == 140);
  CHECK(p.machine.l1.line_bytes == 128);
  CHECK(p.machine.directory.home == "node:3");
  CHECK(p.workload.lock == "mcs");
  CHECK(p.workload.lock_params == std::map<std::string, int64_t>{{"backoff", 8}, {"limit", -1}});
  CHECK(p.workload.acquisitions_per_thread == 5000000000);
  CHECK(p.workload.outside.dist == "exponential");
  CHECK(p.workload.outside.mean == 42.5);
  CHECK(p.workload.threads == 4);
  CHECK_FALSE(p.run.fast_forward);
  CHECK(p.run.check_invariants);
}

TEST_CASE("malformed YAML names the position yaml-cpp found") {
  CHECK(error_of("machine:\n  cores: [4, 8\n") == "t.yaml:3:1: end of sequence flow not found");
  CHECK(error_of("machine:\n  cores: 4\n cores: 8\n") == "t.yaml:3:2: end of map not found");
}

TEST_CASE("a top level that is not a map, or a repeated key, is an error") {
  CHECK(error_of("- 1\n- 2\n") == "t.yaml:1:1: expected a map of settings (key: value) at the top level, got a list");
  CHECK(error_of("machine:\n  cores: 4\n  cores: 8\n") == "t.yaml:3:3: duplicate key 'cores'");
}

TEST_CASE("unknown keys at every depth name the nearest valid key") {
  CHECK(error_of("machin:\n  cores: 4\n") == "t.yaml:1:1: unknown key 'machin' (did you mean 'machine'?)");
  CHECK(error_of("machine:\n  cors: 4\n") == "t.yaml:2:3: unknown key 'machine.cors' (did you mean 'machine.cores' or 'machine.core'?)");
  CHECK(error_of("machine:\n  l1:\n    sise_kib: 64\n") ==
        "t.yaml:3:5: unknown key 'machine.l1.sise_kib' (did you mean 'machine.l1.size_kib'?)");
  CHECK(error_of("workload:\n  outside: {dist: fixed, cycle: 4}\n") ==
        "t.yaml:2:26: unknown key 'workload.outside.cycle' (did you mean 'workload.outside.cycles'?)");
  CHECK(error_of("machine:\n  memory: {zzzzzzzz: 1}\n") ==
        "t.yaml:2:12: unknown key 'machine.memory.zzzzzzzz' (valid keys: latency_cycles)");
  CHECK(error_of("machine:\n  interconnect:\n    topology: custom\n    nodes: 2\n    edges: [{from: 0, tu: 1}]\n") ==
        "t.yaml:5:23: unknown key 'machine.interconnect.edges[0].tu' (did you mean "
        "'machine.interconnect.edges[0].to'?)");
}

TEST_CASE("wrong types say what was expected") {
  CHECK(error_of("machine:\n  cores: many\n") == "t.yaml:2:10: machine.cores: expected an integer, got 'many'");
  CHECK(error_of("machine:\n  cores: [4]\n") == "t.yaml:2:10: machine.cores: expected an integer, got a list");
  CHECK(error_of("machine:\n  clock_ghz: fast\n") == "t.yaml:2:14: machine.clock_ghz: expected a number, got 'fast'");
  CHECK(error_of("run:\n  fast_forward: maybe\n") == "t.yaml:2:17: run.fast_forward: expected true or false, got 'maybe'");
  CHECK(error_of("machine:\n  cores:\n  l1: {assoc: 4}\n") == "t.yaml:2:3: machine.cores: expected an integer, got nothing");
  CHECK(error_of("machine: 4\n") == "t.yaml:1:10: machine: expected a map of settings, got '4'");
  CHECK(error_of("workload:\n  lock_params: {backoff: lots}\n") ==
        "t.yaml:2:26: workload.lock_params.backoff: expected an integer, got 'lots'");
  CHECK(error_of("machine:\n  directory: {home: node:x}\n") ==
        "t.yaml:2:21: machine.directory.home: expected interleaved or node:N, got 'node:x'");
  CHECK(error_of("machine:\n  interconnect: {topology: custom, nodes: 2, edges: [{from: 0}]}\n") ==
        "t.yaml:2:54: machine.interconnect.edges[0]: missing 'to'");
}

TEST_CASE("out-of-range values give the range") {
  CHECK(error_of("machine:\n  cores: 5000\n") == "t.yaml:2:10: machine.cores: 5000 is out of range (1..4096)");
  CHECK(error_of("machine:\n  cores: 0\n") == "t.yaml:2:10: machine.cores: 0 is out of range (1..4096)");
  CHECK(error_of("seed: -1\n") == "t.yaml:1:7: seed: -1 is out of range (>= 0)");
  CHECK(error_of("workload:\n  threads: 99999999999999999999\n") ==
        "t.yaml:2:12: workload.threads: 99999999999999999999 is out of range (0..4096)");
  CHECK(error_of("machine:\n  clock_ghz: 0\n") == "t.yaml:2:14: machine.clock_ghz: 0 is out of range (0.001..1000)");
}

TEST_CASE("enum values list what is allowed") {
  CHECK(error_of("machine:\n  coherence: snop\n") ==
        "t.yaml:2:14: machine.coherence: 'snop' is not one of snoop, directory (did you mean 'snoop'?)");
  CHECK(error_of("machine:\n  protocol: MOSI\n") ==
        "t.yaml:2:13: machine.protocol: 'MOSI' is not one of MSI, MESI, MOESI, MESIF, or a path to a .table file "
        "(did you mean 'MSI'?)");
  CHECK(error_of("workload:\n  outside: {dist: poisson}\n") ==
        "t.yaml:2:19: workload.outside.dist: 'poisson' is not one of fixed, uniform, exponential");
}

TEST_CASE("checks across keys") {
  CHECK(error_of("machine:\n  l1: {size_kib: 32, assoc: 3}\n") ==
        "t.yaml:2:29: machine.l1: size_kib 32 with line_bytes 64 and assoc 3 gives 170.7 sets; "
        "size_kib*1024 / (line_bytes*assoc) must be a power of two");
  CHECK(error_of("machine:\n  l1: {line_bytes: 96}\n") ==
        "t.yaml:2:20: machine.l1.line_bytes: 96 is not a power of two (8..4096)");
  CHECK(error_of("workload:\n  outside: {dist: uniform, min: 300, max: 200}\n") ==
        "t.yaml:2:33: workload.outside: min (300) is greater than max (200)");
  CHECK(error_of("machine:\n  interconnect: {topology: mesh}\n") ==
        "t.yaml:2:28: machine.coherence snoop needs machine.interconnect.topology bus (got mesh); "
        "a network needs coherence: directory");
  CHECK(error_of("machine:\n  coherence: directory\n") ==
        "t.yaml:2:14: machine.coherence directory needs a network topology (crossbar, ring, mesh, numa or custom), "
        "not bus");
  // Only the sizes of this point count: the default line and assoc with 1 KiB give 2 sets.
  CHECK(error_of("machine:\n  l1: {size_kib: 1}\n") == "");
}

TEST_CASE("threads default to the cores and may exceed them (the OS model); os.threads is the same number") {
  CHECK(load_experiment_text("machine: {cores: 8}\n", "t.yaml").points[0].workload.threads == 8);
  CHECK(load_experiment_text("machine: {cores: 8}\nworkload: {threads: 3}\n", "t.yaml").points[0].workload.threads == 3);
  CHECK(load_experiment_text("machine: {cores: 8}\nworkload: {threads: 16}\n", "t.yaml").points[0].workload.threads == 16);
  CHECK(load_experiment_text("machine: {cores: 8}\nos: {threads: 12}\n", "t.yaml").points[0].workload.threads == 12);
  CHECK(load_experiment_text("machine: {cores: 8}\nworkload: {threads: 12}\nos: {threads: 12}\n", "t.yaml")
            .points[0].workload.threads == 12);
  CHECK(error_of("machine: {cores: 8}\nworkload: {threads: 9}\nos: {threads: 10}\n") ==
        "t.yaml:3:15: os.threads (10) and workload.threads (9) differ: they are the same number, set one of them");
  CHECK(error_of("os:\n  preemption: {mean_interval_cycles: 1000}\n") ==
        "t.yaml:2:38: os.preemption: mean_interval_cycles is set but mean_duration_cycles is 0 (a preemption must last)");
}

TEST_CASE("a sweep is a grid, first key outermost, with named points") {
  Experiment ex = load_experiment_text(R"(sweep:
  workload.lock: [tas, ttas_backoff]
  machine.cores: [1, 2, 4]
)", "t.yaml");
  CHECK(ex.swept_paths == std::vector<std::string>{"workload.lock", "machine.cores"});
  REQUIRE(ex.points.size() == 6);
  std::vector<std::string> names;
  for (const auto& p : ex.points) names.push_back(p.name);
  CHECK(names == std::vector<std::string>{"000_lock-tas_cores-1", "001_lock-tas_cores-2", "002_lock-tas_cores-4",
                                          "003_lock-ttas-backoff_cores-1", "004_lock-ttas-backoff_cores-2",
                                          "005_lock-ttas-backoff_cores-4"});
  const Point& p = ex.points[4];
  CHECK(p.index == 4);
  CHECK(p.workload.lock == "ttas_backoff");
  CHECK(p.machine.cores == 2);
  CHECK(p.workload.threads == 2);
  CHECK(p.swept == std::vector<std::pair<std::string, std::string>>{{"workload.lock", "ttas_backoff"},
                                                                    {"machine.cores", "2"}});
}

TEST_CASE("sweep values keep their spelling in names and are validated where written") {
  Experiment ex = load_experiment_text("sweep:\n  machine.protocol: [mesi, MOESI]\n  workload.lock_params.backoff: [0, 8]\n",
                                       "t.yaml");
  REQUIRE(ex.points.size() == 4);
  CHECK(ex.points[0].name == "000_protocol-mesi_backoff-0");
  CHECK(ex.points[0].machine.protocol == "MESI");
  CHECK(ex.points[3].workload.lock_params.at("backoff") == 8);
  CHECK(error_of("sweep:\n  machine.cores: [2, 5000]\n") == "t.yaml:2:22: machine.cores: 5000 is out of range (1..4096)");
  Experiment maps = load_experiment_text("sweep:\n  workload.lock_params: [{a: 1}, {a: 2, b: 3}]\n", "t.yaml");
  CHECK(maps.points[1].name == "001_lock-params--a--2--b--3-");
  CHECK(maps.points[1].swept[0].second == "{a: 2, b: 3}");
}

TEST_CASE("sweep errors") {
  CHECK(error_of("sweep:\n  machine.cors: [2, 4]\n") ==
        "t.yaml:2:3: unknown key 'machine.cors' in sweep (did you mean 'machine.cores'?)");
  CHECK(error_of("sweep:\n  machine.cores: []\n") == "t.yaml:2:18: sweep 'machine.cores' is an empty list");
  CHECK(error_of("sweep:\n  machine.cores: 4\n") ==
        "t.yaml:2:18: sweep 'machine.cores': expected a list of values, e.g. [2, 4, 8], got '4'");
  CHECK(error_of("sweep:\n  name: [a, b]\n") == "t.yaml:2:3: sweep: 'name' cannot be swept");
  CHECK(error_of("sweep:\n  machine: [a, b]\n") == "t.yaml:2:3: sweep: 'machine' is a section; sweep one of its keys, e.g. 'machine.cores'");
  CHECK(error_of("sweep:\n  zzzzzz: [1]\n") == "t.yaml:2:3: unknown key 'zzzzzz' in sweep (see docs/config.md for the keys)");
  CHECK(error_of("sweep: [1, 2]\n") == "t.yaml:1:8: sweep: expected a map of dotted path: [values], got a list");
}

TEST_CASE("--set overrides the file and its extends, and may set maps and sweeps") {
  TempDir dir;
  dir.write("base.yaml", "machine:\n  cores: 8\n  l1: {assoc: 4}\nworkload: {lock: mcs, lock_params: {a: 1}}\n");
  std::string exp = dir.write("exp.yaml", "extends: base.yaml\nmachine:\n  cores: 4\n  l1: {size_kib: 64}\n");

  Point p = load_experiment(exp).points.at(0);
  CHECK(p.machine.cores == 4);               // the extending file wins
  CHECK(p.machine.l1.assoc == 4);            // maps merge
  CHECK(p.machine.l1.size_kib == 64);
  CHECK(p.workload.lock == "mcs");

  p = load_experiment(exp, sets({"machine.cores=2", "workload.lock=ticket", "machine.l1.assoc=2"})).points.at(0);
  CHECK(p.machine.cores == 2);               // over the file
  CHECK(p.workload.lock == "ticket");        // over the extended file
  CHECK(p.machine.l1.assoc == 2);
  CHECK(p.machine.l1.size_kib == 64);

  p = load_experiment(exp, sets({"workload.lock_params={backoff: 8}"})).points.at(0);
  CHECK(p.workload.lock_params == std::map<std::string, int64_t>{{"a", 1}, {"backoff", 8}});
  p = load_experiment(exp, sets({"workload.lock_params.a=5", "machine.l1={hit_cycles: 2}"})).points.at(0);
  CHECK(p.workload.lock_params.at("a") == 5);
  CHECK(p.machine.l1.hit_cycles == 2);
  CHECK(p.machine.l1.size_kib == 64);

  Experiment ex = load_experiment(exp, sets({"sweep.machine.cores=[2,4]"}));
  REQUIRE(ex.points.size() == 2);
  CHECK(ex.points[1].name == "001_cores-4");
  CHECK(ex.points[1].machine.cores == 4);
}

TEST_CASE("--set of a swept path replaces the sweep") {
  Experiment ex = load_experiment_text("sweep:\n  machine.cores: [2, 4]\n  workload.lock: [tas, mcs]\n", "t.yaml",
                                       sets({"machine.cores=8"}));
  CHECK(ex.swept_paths == std::vector<std::string>{"workload.lock"});
  REQUIRE(ex.points.size() == 2);
  CHECK(ex.points[0].name == "000_lock-tas");
  CHECK(ex.points[0].machine.cores == 8);
}

TEST_CASE("--set errors name --set and the nearest key") {
  CHECK(error_of("", sets({"machine.cors=4"})) == "--set: unknown key 'machine.cors' (did you mean 'machine.cores' or 'machine.core'?)");
  CHECK(error_of("", sets({"sweep.machine.cors=[4]"})) ==
        "--set: unknown key 'sweep.machine.cors' (did you mean 'sweep.machine.cores'?)");
  CHECK(error_of("", sets({"zzzzzz=1"})) == "--set: unknown key 'zzzzzz' (see docs/config.md for the keys)");
  CHECK(error_of("", sets({"machine.cores"})) == "--set: expected path=value, got 'machine.cores'");
  CHECK(error_of("", sets({"machine.cores=abc"})) == "--set: machine.cores: expected an integer, got 'abc'");
  CHECK(error_of("", sets({"machine.cores=[4"})) == "--set: end of sequence flow not found");
  CHECK(error_of("", sets({"extends=x.yaml"})) == "--set: extends cannot be set from the command line");
}

TEST_CASE("extends: cycles and errors inside an extended file") {
  TempDir dir;
  std::string a = dir.write("a.yaml", "extends: sub/b.yaml\n");
  std::string b = dir.write("sub/b.yaml", "machine: {cores: 4}\nextends: ../a.yaml\n");
  CHECK(error_of_file(a) == b + ":2:10: extends cycle: " + a + " -> " + b + " -> " + a);

  std::string base = dir.write("base.yaml", "machine:\n  cores: lots\n");
  std::string exp = dir.write("exp.yaml", "extends: base.yaml\nworkload: {lock: mcs}\n");
  CHECK(error_of_file(exp) == base + ":2:10: machine.cores: expected an integer, got 'lots'");
  dir.write("base.yaml", "machine:\n  cors: 4\n");
  CHECK(error_of_file(exp) == base + ":2:3: unknown key 'machine.cors' (did you mean 'machine.cores' or 'machine.core'?)");
  std::string missing = dir.write("missing.yaml", "extends: nowhere.yaml\n");
  CHECK(error_of_file(missing) == missing + ":1:10: extends: '" + (dir.path / "nowhere.yaml").string() +
                                         "' cannot be opened (no such file, or no permission)");
  CHECK(error_of_file((dir.path / "absent.yaml").string()) ==
        (dir.path / "absent.yaml").string() + ": the experiment file cannot be opened (no such file, or no permission)");
}

TEST_CASE("extends chains merge from the bottom up") {
  TempDir dir;
  dir.write("m/one.yaml", "machine: {cores: 4, memory: {latency_cycles: 200}}\nsweep: {workload.lock: [tas]}\n");
  dir.write("m/two.yaml", "extends: one.yaml\nmachine: {cores: 8, protocol: MSI}\n");
  std::string exp = dir.write("e/exp.yaml", "extends: ../m/two.yaml\nmachine: {protocol: MOESI}\n");
  Experiment ex = load_experiment(exp);
  REQUIRE(ex.points.size() == 1);
  const Point& p = ex.points[0];
  CHECK(p.name == "000_lock-tas");
  CHECK(p.machine.cores == 8);
  CHECK(p.machine.memory.latency_cycles == 200);
  CHECK(p.machine.protocol == "MOESI");
  CHECK(p.base_dir == (dir.path / "e").string());
  CHECK(ex.name == "exp");
}

TEST_CASE("seed: file, default and --seed") {
  CHECK(load_experiment_text("", "t.yaml").points[0].seed == 1);
  CHECK(load_experiment_text("seed: 7\n", "t.yaml").points[0].seed == 7);
  LoadOptions o;
  o.seed_given = true;
  o.seed = 42;
  Experiment ex = load_experiment_text("seed: 7\n", "t.yaml", o);
  CHECK(ex.points[0].seed == 42);
  CHECK((*ex.points[0].resolved)["seed"] == 42);
  Experiment swept = load_experiment_text("sweep: {seed: [1, 2, 3]}\n", "t.yaml", o);
  CHECK(swept.points.size() == 1);
  CHECK(swept.points[0].seed == 42);
  CHECK(load_experiment_text("sweep: {seed: [1, 2, 3]}\n", "t.yaml").points[2].seed == 3);
}

TEST_CASE("output dir: -o, then output.dir, then results/local/<name>") {
  LoadOptions o;
  o.output_dir = "elsewhere";
  CHECK(load_experiment_text("output: {dir: there}\n", "t.yaml", o).output_dir == "elsewhere");
  CHECK(load_experiment_text("output: {dir: there}\n", "t.yaml").output_dir == "there");
  CHECK(load_experiment_text("name: n\n", "t.yaml").output_dir == "results/local/n");
}

TEST_CASE("the resolved config has every key with its final value and no sweep") {
  Experiment ex = load_experiment_text("name: r\nmachine: {cores: 4}\nsweep: {workload.lock: [tas, mcs]}\n", "t.yaml");
  REQUIRE(ex.resolved.size() == 2);
  const nlohmann::json& j = *ex.points[1].resolved;
  CHECK(ex.points[1].resolved == ex.resolved[1].get());
  CHECK(j["name"] == "r");
  CHECK(j["seed"] == 1);
  CHECK(j["machine"]["cores"] == 4);
  CHECK(j["machine"]["l1"]["size_kib"] == 32);
  CHECK(j["machine"]["interconnect"]["edges"] == nlohmann::json::array());
  CHECK(j["workload"]["lock"] == "mcs");
  CHECK(j["workload"]["threads"] == 4);
  CHECK(j["workload"]["lock_params"] == nlohmann::json::object());
  CHECK(j["run"]["fast_forward"] == true);
  CHECK(j["output"]["dir"] == "results/local/r");
  CHECK_FALSE(j.contains("sweep"));
  CHECK_FALSE(j.contains("extends"));
  CHECK(j.size() == 8);   // name, seed, machine, workload, run, os, profile, output
}

TEST_CASE("custom topology: edges and attach") {
  Experiment ex = load_experiment_text(R"(machine:
  cores: 2
  coherence: directory
  interconnect:
    topology: custom
    nodes: 3
    edges: [{from: 0, to: 2, latency_cycles: 5}, {from: 1, to: 2, bandwidth_bytes: 4}]
    attach: [0, 1]
)", "t.yaml");
  const auto& ic = ex.points[0].machine.interconnect;
  REQUIRE(ic.edges.size() == 2);
  CHECK(ic.edges[0].to == 2);
  CHECK(ic.edges[0].latency_cycles == 5);
  CHECK(ic.edges[0].bandwidth_bytes == -1);
  CHECK(ic.edges[1].bandwidth_bytes == 4);
  CHECK(ic.attach == std::vector<int>{0, 1});
  nlohmann::json e = (*ex.points[0].resolved)["machine"]["interconnect"]["edges"][1];
  CHECK(e == nlohmann::json{{"from", 1}, {"to", 2}, {"latency_cycles", -1}, {"bandwidth_bytes", 4}});
}

TEST_CASE("protocol tables and lock files are resolved next to the file that names them") {
  TempDir dir;
  std::string table = dir.write("tables/mine.table", "# not parsed by the loader\n");
  std::string lock = dir.write("locks/my.lock", "lock my\n");
  dir.write("m/base.yaml", "machine: {protocol: ../tables/mine.table}\n");
  std::string exp = dir.write("exp.yaml", "extends: m/base.yaml\nworkload: {lock: locks/my.lock}\n");
  Point p = load_experiment(exp).points.at(0);
  CHECK(p.machine.protocol == table);
  CHECK(p.workload.lock == lock);
  // From --set: relative to the experiment's folder.
  p = load_experiment(exp, sets({"machine.protocol=tables/mine.table"})).points.at(0);
  CHECK(p.machine.protocol == table);
  std::string bad = dir.write("bad.yaml", "machine:\n  protocol: nope.table\n");
  CHECK(error_of_file(bad) == bad + ":2:13: machine.protocol: protocol table 'nope.table' not found (looked for " +
                                  (dir.path / "nope.table").string() + " and " +
                                  (fs::current_path() / "nope.table").string() + ")");
  // A built-in name stays as written; the lock library resolves it.
  CHECK(load_experiment_text("workload: {lock: Ticket}\n", "t.yaml").points[0].workload.lock == "Ticket");
}

TEST_CASE("the schema covers config.hpp and docs/config.md shows it") {
  std::vector<std::string> keys = schema_keys();
  for (const char* k : {"name", "extends", "seed", "sweep", "output.dir", "machine.cores", "machine.core.atomic_cycles",
                        "machine.l1.line_bytes", "machine.memory.latency_cycles", "machine.interconnect.attach",
                        "machine.interconnect.edges[].bandwidth_bytes", "machine.directory.home",
                        "workload.critical_section.lines_read", "workload.outside.mean", "run.check_invariants"})
    CHECK_MESSAGE(std::find(keys.begin(), keys.end(), k) != keys.end(), k);
  CHECK(keys.size() == 93);
  // Every field of a default point appears in the resolved JSON (so in the schema).
  nlohmann::json j = *load_experiment_text("", "t.yaml").points[0].resolved;
  CHECK(j["machine"].size() == 11);
  CHECK(j["machine"]["llc"] == "none");
  CHECK(j["machine"]["core"].size() == 7);
  CHECK(j["machine"]["l1"].size() == 4);
  CHECK(j["machine"]["interconnect"].size() == 22);
  CHECK(j["machine"]["directory"].size() == 2);
  CHECK(j["workload"].size() == 12);
  CHECK(j["workload"]["on_failure"].size() == 1);
  CHECK(j["machine"]["interrupts"].size() == 5);
  CHECK(j["workload"]["outside"].size() == 5);
  CHECK(j["run"].size() == 4);

  std::string md = schema_markdown();
  CHECK(md.find("| `machine.cores` | int | 16 | 1..4096 | ") != std::string::npos);
  std::ifstream in(std::string(LOCKSTEP_SOURCE_DIR) + "/docs/config.md");
  std::stringstream doc;
  doc << in.rdbuf();
  CHECK_MESSAGE(doc.str().find(md) != std::string::npos, "docs/config.md does not hold schema_markdown()'s table");
}

TEST_CASE("every file under configs/ loads") {
  int files = 0;
  for (const auto& e : fs::recursive_directory_iterator(std::string(LOCKSTEP_SOURCE_DIR) + "/configs")) {
    if (e.path().extension() != ".yaml") continue;
    ++files;
    CHECK_MESSAGE(error_of_file(e.path().string()) == "", e.path().string());
  }
  CHECK(files >= 5);
  Experiment q = load_experiment(std::string(LOCKSTEP_SOURCE_DIR) + "/configs/quickstart.yaml");
  CHECK(q.points.size() == 36);
  CHECK(q.points[35].name == "035_lock-qspinlock_cores-32");
  CHECK(q.points[35].workload.threads == 32);
  CHECK(q.points[0].machine.interconnect.topology == "bus");
}

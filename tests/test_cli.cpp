// The `lockstep` command as a user runs it: exit statuses and messages (DESIGN.md §5), and
// end-to-end runs checked through the files they write.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include "cli_helpers.hpp"

namespace fs = std::filesystem;
using testing::lockstep;
using testing::slurp;
using testing::TempDir;

namespace {

size_t count_lines(const std::string& s) { return size_t(std::count(s.begin(), s.end(), '\n')); }

// Four small points (2 locks x 2 core counts) that simulate in well under a second.
const char* kSmall = R"(name: cli-small
seed: 3
machine:
  cores: 4
workload:
  lock: ticket
  acquisitions_per_thread: 20
  warmup_acquisitions: 2
  critical_section: {cycles: 20, lines_written: 1}
  outside: {dist: uniform, min: 0, max: 50}
sweep:
  workload.lock: [tas, ticket]
  machine.cores: [2, 4]
)";

}  // namespace

TEST_CASE("cli: --help and --version exit 0") {
  auto r = lockstep("--help");
  CHECK(r.status == 0);
  CHECK(r.out.find("usage: lockstep") != std::string::npos);
  for (const char* sub : {"run", "list", "protocol", "check", "native", "calibrate", "validate"})
    CHECK(r.out.find(std::string("  ") + sub + " ") != std::string::npos);
  r = lockstep("--version");
  CHECK(r.status == 0);
  CHECK(r.out.rfind("lockstep ", 0) == 0);
}

TEST_CASE("cli: no subcommand or an unknown one is invalid input (exit 2)") {
  auto r = lockstep("");
  CHECK(r.status == 2);
  CHECK(r.err.find("usage:") != std::string::npos);
  r = lockstep("rnu x.yaml");
  CHECK(r.status == 2);
  CHECK(r.err.find("lockstep: error: unknown subcommand 'rnu'") != std::string::npos);
  CHECK(r.err.find("did you mean 'run'?") != std::string::npos);
  r = lockstep("lst");
  CHECK(r.status == 2);
  CHECK(r.err.find("did you mean 'list'?") != std::string::npos);
}

TEST_CASE("cli: run argument errors exit 2 with a clear message") {
  TempDir t;
  const std::string yaml = t.write("small.yaml", kSmall);
  auto r = lockstep("run '" + (t.path / "missing.yaml").string() + "'");
  CHECK(r.status == 2);
  CHECK(r.err.find("missing.yaml") != std::string::npos);
  r = lockstep("run");
  CHECK(r.status == 2);
  CHECK(r.err.find("missing EXPERIMENT.yaml") != std::string::npos);
  for (const char* bad : {"2/2", "1", "x/3", "0/0"}) {
    CAPTURE(bad);
    r = lockstep("run '" + yaml + "' --shard " + bad);
    CHECK(r.status == 2);
    CHECK(r.err.find("--shard") != std::string::npos);
  }
  r = lockstep("run '" + yaml + "' --jobs 0");
  CHECK(r.status == 2);
  CHECK(r.err.find("--jobs") != std::string::npos);
  r = lockstep("run '" + yaml + "' --jobs many");
  CHECK(r.status == 2);
  r = lockstep("run '" + yaml + "' --frobnicate");
  CHECK(r.status == 2);
  CHECK(r.err.find("frobnicate") != std::string::npos);
  r = lockstep("run --help");
  CHECK(r.status == 0);
  CHECK(r.out.find("--shard") != std::string::npos);
  CHECK(!fs::exists(t.path / "results"));
}

TEST_CASE("cli: list shows locks, protocols and topologies") {
  auto r = lockstep("list");
  CHECK(r.status == 0);
  CHECK(r.out.find("locks:\n") != std::string::npos);
  CHECK(r.out.find("protocols:\n") != std::string::npos);
  CHECK(r.out.find("topologies:\n") != std::string::npos);
  CHECK(r.out.find("\n  ticket") != std::string::npos);
  CHECK(r.out.find("\n  mcs") != std::string::npos);
  CHECK(r.out.find("\n  mesh") != std::string::npos);
  r = lockstep("list topologies");
  CHECK(r.status == 0);
  CHECK(r.out.rfind("topologies:\n", 0) == 0);
  CHECK(r.out.find("locks:") == std::string::npos);
  for (const char* t : {"bus", "crossbar", "ring", "mesh", "numa", "custom"})
    CHECK(r.out.find(std::string("\n  ") + t + " ") != std::string::npos);
  r = lockstep("list locks");
  CHECK(r.status == 0);
  std::istringstream lines(r.out);
  std::string line;
  std::getline(lines, line);
  CHECK(line == "locks:");
  int described = 0;
  while (std::getline(lines, line)) {
    CAPTURE(line);
    // "  NAME  DESCRIPTION": every built-in lock's file opens with a comment describing it
    CHECK(std::regex_match(line, std::regex("  [a-z0-9_]+ +[^ ].*")));
    CHECK(line.size() <= 120);
    ++described;
  }
  CHECK(described >= 4);
  r = lockstep("list lokcs");
  CHECK(r.status == 2);
  CHECK(r.err.find("did you mean 'locks'?") != std::string::npos);
}

TEST_CASE("cli: config errors exit 2 naming file:line:col") {
  TempDir t;
  const std::string broken = t.write("broken.yaml", "name: x\nmachine:\n  cores: [1, 2\n");
  auto r = lockstep("run '" + broken + "' -o '" + (t.path / "out").string() + "'");
  CHECK(r.status == 2);
  CHECK(std::regex_search(r.err, std::regex("broken\\.yaml:[0-9]+:[0-9]+: ")));
  const std::string unknown = t.write("unknown.yaml", "name: x\nmachine:\n  cores: 2\n  protocl: MESI\n");
  r = lockstep("run '" + unknown + "' -o '" + (t.path / "out").string() + "'");
  CHECK(r.status == 2);
  CHECK(r.err.find("unknown.yaml:4:3: ") != std::string::npos);
  CHECK(r.err.find("protocol") != std::string::npos);  // the nearest valid key
  CHECK(!fs::exists(t.path / "out"));
}

TEST_CASE("cli: run writes summary.csv, stats.json per point and manifest.json") {
  TempDir t;
  const std::string yaml = t.write("small.yaml", kSmall);
  const fs::path out = t.path / "out";
  auto r = lockstep("run '" + yaml + "' -o '" + out.string() + "'");
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("workload.lock") != std::string::npos);  // the table names the swept paths
  CHECK(r.out.find(out.string()) != std::string::npos);     // and says where files went

  const std::string csv = slurp(out / "summary.csv");
  CHECK(count_lines(csv) == 5);
  CHECK(csv.rfind("point,workload.lock,machine.cores,cycles,acquisitions,acq_per_kcycle,handoff_mean,handoff_p50,"
                  "handoff_p99,inv_per_acq,bus_per_acq,msgs_per_acq,wb_per_acq,jain,handoff_count,handoff_ratio,"
                  "wait_p50,wait_p99,hold_mean,",
                  0) == 0);
  int points = 0;
  for (const auto& d : fs::directory_iterator(out / "points")) {
    ++points;
    const auto j = nlohmann::json::parse(slurp(d.path() / "stats.json"));
    CHECK(j["schema"] == "lockstep.stats/1");
    CHECK(j["point"] == d.path().filename().string());
    CHECK(j["seed"] == 3);
    const int cores = j["config"]["machine"]["cores"];
    CHECK(j["acquisitions"] == 20 * cores);
    CHECK(j["per_core"].size() >= size_t(cores));
    CHECK(j["cycles"].get<uint64_t>() > 0);
  }
  CHECK(points == 4);
  const auto m = nlohmann::json::parse(slurp(out / "manifest.json"));
  CHECK(m["points_run"] == 4);
  CHECK(m["command_line"].get<std::string>().find("run") != std::string::npos);
  for (const auto& e : fs::recursive_directory_iterator(out))
    CHECK(e.path().string().find(".tmp") == std::string::npos);
}

TEST_CASE("cli: same seed twice, --jobs 2 and shards give the same bytes") {
  TempDir t;
  const std::string yaml = t.write("small.yaml", kSmall);
  auto run = [&](const std::string& dir, const std::string& extra) {
    auto r = lockstep("run '" + yaml + "' -o '" + (t.path / dir).string() + "' " + extra);
    INFO(r.err);
    REQUIRE(r.status == 0);
  };
  run("a", "");
  run("b", "");
  run("j2", "--jobs 2");
  run("s0", "--shard 0/2 --jobs 2");
  run("s1", "--shard 1/2");
  const std::string csv = slurp(t.path / "a" / "summary.csv");
  REQUIRE(count_lines(csv) == 5);
  CHECK(csv == slurp(t.path / "b" / "summary.csv"));
  CHECK(csv == slurp(t.path / "j2" / "summary.csv"));
  for (const auto& d : fs::directory_iterator(t.path / "a" / "points")) {
    const auto name = d.path().filename();
    const std::string a = slurp(d.path() / "stats.json");
    CAPTURE(name);
    CHECK(a == slurp(t.path / "b" / "points" / name / "stats.json"));
    CHECK(a == slurp(t.path / "j2" / "points" / name / "stats.json"));
    const bool in0 = fs::exists(t.path / "s0" / "points" / name / "stats.json");
    const bool in1 = fs::exists(t.path / "s1" / "points" / name / "stats.json");
    CHECK(in0 != in1);  // every point in exactly one shard, with the same bytes
    CHECK(a == slurp(t.path / (in0 ? "s0" : "s1") / "points" / name / "stats.json"));
  }
  // A shard writes no summary of its own (it would hide the others' points); `lockstep merge`
  // builds one from the points present: the full run's rows, split by point index (0, 2 | 1, 3).
  CHECK(!fs::exists(t.path / "s0" / "summary.csv"));
  CHECK(!fs::exists(t.path / "s1" / "summary.csv"));
  std::vector<std::string> rows;
  std::istringstream in(csv);
  for (std::string line; std::getline(in, line);) rows.push_back(line + "\n");
  auto m = lockstep("merge '" + (t.path / "s0").string() + "'");
  CHECK(m.status == 0);
  CHECK(m.err.find("2 run(s) missing (not run yet, or run with another config): 001_lock-tas_cores-4 "
                   "003_lock-ticket_cores-4") != std::string::npos);
  CHECK(slurp(t.path / "s0" / "summary.csv") == rows[0] + rows[1] + rows[3]);
  CHECK(lockstep("merge '" + (t.path / "s1").string() + "'").status == 0);
  CHECK(slurp(t.path / "s1" / "summary.csv") == rows[0] + rows[2] + rows[4]);
  // Both shards into one folder: the second to finish completes the set and writes the summary.
  run("both", "--shard 1/2");
  CHECK(!fs::exists(t.path / "both" / "summary.csv"));
  run("both", "--shard 0/2");
  CHECK(slurp(t.path / "both" / "summary.csv") == csv);
}

TEST_CASE("cli: --set and --seed reach the simulation") {
  TempDir t;
  const std::string yaml = t.write("small.yaml", kSmall);
  const fs::path out = t.path / "o";
  auto r = lockstep("run '" + yaml + "' -o '" + out.string() + "' --set workload.acquisitions_per_thread=5 --seed 9");
  INFO(r.err);
  REQUIRE(r.status == 0);
  for (const auto& d : fs::directory_iterator(out / "points")) {
    const auto j = nlohmann::json::parse(slurp(d.path() / "stats.json"));
    CHECK(j["seed"] == 9);
    CHECK(j["acquisitions"] == 5 * j["config"]["machine"]["cores"].get<int>());
  }
  r = lockstep("run '" + yaml + "' -o '" + out.string() + "' --set machine.no_such_key=1");
  CHECK(r.status == 2);
  CHECK(r.err.find("no_such_key") != std::string::npos);
}

TEST_CASE("cli: a point that cannot finish exits 4, names the point and writes no summary") {
  TempDir t;
  const std::string yaml = t.write("small.yaml", kSmall);
  const fs::path out = t.path / "o";
  for (const char* jobs : {"1", "3"}) {
    CAPTURE(jobs);
    auto r = lockstep("run '" + yaml + "' -o '" + out.string() + "' --set run.max_cycles=50 --jobs " + jobs);
    CHECK(r.status == 4);
    CHECK(r.err.rfind("lockstep: error: 000_lock-tas_cores-2: ", 0) == 0);  // the first point, whatever the jobs
    CHECK(!fs::exists(out / "summary.csv"));
    CHECK(!fs::exists(out / "manifest.json"));
  }
}

TEST_CASE("cli: an unknown lock and a bad lock program exit 2 with the location") {
  TempDir t;
  const std::string out = (t.path / "out").string();
  auto r = lockstep("run '" + t.write("a.yaml", "name: x\nmachine: {cores: 2}\nworkload: {lock: tciket}\n") + "' -o '" + out + "'");
  CHECK(r.status == 2);
  CHECK(r.err.find("unknown lock 'tciket'") != std::string::npos);
  CHECK(r.err.find("did you mean 'ticket'?") != std::string::npos);

  t.write("bad.lock", "lock bad\n.shared x\nacquire:\n  ld r1, [x]\n  fetch_add r1, [x], 1\n  ret\nrelease:\n  ret\n");
  r = lockstep("run '" + t.write("b.yaml", "name: x\nmachine: {cores: 2}\nworkload: {lock: bad.lock}\n") + "' -o '" + out + "'");
  CHECK(r.status == 2);
  CHECK(std::regex_search(r.err, std::regex("bad\\.lock:5:3: .*fetch_add")));
  CHECK(!fs::exists(t.path / "out"));
}

TEST_CASE("cli: a lock without mutual exclusion exits 3; one that never releases exits 4") {
  TempDir t;
  const std::string out = (t.path / "out").string();
  t.write("nowait.lock", "lock nowait\n.shared x\nacquire:\n  faa r1, [x], 1\n  ret\nrelease:\n  ret\n");
  auto r = lockstep("run '" + t.write("a.yaml", "name: x\nmachine: {cores: 4}\nworkload: {lock: nowait.lock, "
                                                "critical_section: {cycles: 300}}\n") + "' -o '" + out + "'");
  CHECK(r.status == 3);
  CHECK(r.err.find("mutual exclusion violated: lock 'nowait'") != std::string::npos);

  t.write("stuck.lock", "lock stuck\n.shared x\nacquire:\n  ld r1, [x]\n  bne r1, 0, acquire\n  tas r1, [x]\n"
                        "  bne r1, 0, acquire\n  ret\nrelease:\n  ret\n");
  r = lockstep("run '" + t.write("b.yaml", "name: x\nmachine: {cores: 4}\nworkload: {lock: stuck.lock}\n") + "' -o '" + out + "'");
  CHECK(r.status == 4);
  CHECK(r.err.find("no progress: deadlock") != std::string::npos);
  CHECK(r.err.find("spinning until the line of [x] changes") != std::string::npos);
}

TEST_CASE("cli: fast-forward on and off write byte-identical stats.json and summary.csv") {
  TempDir t;
  const std::string exp = t.write("ff.yaml", kSmall);
  const std::string on = (t.path / "on").string(), off = (t.path / "off").string();
  REQUIRE(lockstep("run '" + exp + "' -o '" + on + "' --set run.fast_forward=true").status == 0);
  REQUIRE(lockstep("run '" + exp + "' -o '" + off + "' --set run.fast_forward=false").status == 0);
  CHECK(slurp(fs::path(on) / "summary.csv") == slurp(fs::path(off) / "summary.csv"));
  int compared = 0;
  for (const auto& e : fs::directory_iterator(fs::path(on) / "points")) {
    const auto name = e.path().filename();
    CHECK(slurp(e.path() / "stats.json") == slurp(fs::path(off) / "points" / name / "stats.json"));
    ++compared;
  }
  CHECK(compared == 4);
}

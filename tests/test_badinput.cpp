// The bad-input catalogue: odd or hostile inputs thrown at the real `lockstep` command, each
// with the exit status and a fragment of the message it must give (DESIGN.md §5: 2 = invalid
// input with file:line:col, 4 = no progress; never 1, never a hang, never a blow-up).
// Every bug found in this area adds a row. The files the rows use are written first, into a
// scratch folder that the rows name as {d}.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <sys/resource.h>

#include "cli_helpers.hpp"
#include "coherence/cache_array.hpp"
#include "engine/engine.hpp"

namespace fs = std::filesystem;
using testing::TempDir;

namespace {

// A small experiment every row can extend: two cores, a few acquisitions.
const char* kBase = "machine: {cores: 2}\nworkload: {acquisitions_per_thread: 2, warmup_acquisitions: 0}\n";

const char* kLockHeader = "lock bad\n.array slots 4\n.shared neighbour\n";

struct File {
  const char* name;
  std::string text;
};

std::vector<File> files() {
  const std::string bomb = [] {
    // 9 levels of 10 aliases each: 10^9 values from a few hundred bytes.
    std::string y = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (int i = 1; i <= 9; ++i) {
      // Appended piece by piece: "a" + std::string(...) trips a GCC 12 -Wrestrict false positive.
      std::string p = "*a";
      p.append(std::to_string(i - 1));
      y.append("a").append(std::to_string(i)).append(": &a").append(std::to_string(i)).append(" [").append(p);
      for (int k = 1; k < 10; ++k) y += ", " + p;
      y += "]\n";
    }
    return y;
  }();
  std::string huge_sweep = "sweep:\n";
  for (const char* k : {"seed", "workload.acquisitions_per_thread", "workload.warmup_acquisitions",
                        "workload.critical_section.cycles"}) {
    huge_sweep += std::string("  ") + k + ": [";
    for (int i = 1; i <= 1000; ++i) huge_sweep += (i > 1 ? ", " : "") + std::to_string(i);
    huge_sweep += "]\n";
  }
  return {
      {"base.yaml", kBase},
      {"extends-dir.yaml", "extends: sub/\n"},
      {"utf8.yaml", "name: caf\xe9\n"},
      {"utf8-key.yaml", "machine:\n  co\xffres: 2\n"},
      {"typo.yaml", "machine:\n  corse: 4\n"},
      {"bomb.yaml", bomb},
      {"huge-sweep.yaml", huge_sweep},
      {"index4.lock", std::string(kLockHeader) + "acquire:\n  li r1, 4\n  st [slots @ r1], 1\n  ret\nrelease:\n  ret\n"},
      {"index-1.lock", std::string(kLockHeader) + "acquire:\n  li r1, -1\n  ld r2, [slots @ r1]\n  ret\nrelease:\n  ret\n"},
      {"lea5.lock", std::string(kLockHeader) + "acquire:\n  li r1, 5\n  lea r2, [slots @ r1]\n  ret\nrelease:\n  ret\n"},
      {"index4.yaml", std::string("extends: base.yaml\nworkload: {lock: index4.lock}\n")},
      {"index-1.yaml", std::string("extends: base.yaml\nworkload: {lock: index-1.lock}\n")},
      {"lea5.yaml", std::string("extends: base.yaml\nworkload: {lock: lea5.lock}\n")},
      {"big-arena.lock", "lock big\n.array a 16777216\n.array b 16777216\nacquire:\n  ret\nrelease:\n  ret\n"},
      {"big-arena.yaml", "extends: base.yaml\nworkload: {lock: big-arena.lock}\n"},
      {"lock-dir.yaml", "extends: base.yaml\nworkload:\n  lock: sub\n"},
      {"tiket.yaml", "extends: base.yaml\nworkload:\n  lock: tiket\n"},
      {"mesh.yaml", "machine:\n  cores: 4\n  coherence: directory\n  interconnect: {topology: mesh, width: 3, height: 3}\n"},
      {"numa.yaml", "machine:\n  cores: 6\n  coherence: directory\n  interconnect:\n    topology: numa\n    sockets: 4\n"},
      {"home.yaml",
       "machine:\n  cores: 4\n  coherence: directory\n  interconnect: {topology: crossbar}\n  directory:\n    home: node:99\n"},
      {"disconnected.yaml",
       "machine:\n  cores: 4\n  coherence: directory\n  interconnect:\n    topology: custom\n    nodes: 4\n"
       "    edges: [{from: 0, to: 1}, {from: 2, to: 3}]\n"},
      {"selfloop.yaml",
       "machine:\n  cores: 2\n  coherence: directory\n  interconnect:\n    topology: custom\n    nodes: 2\n"
       "    edges: [{from: 0, to: 1}, {from: 1, to: 1}]\n"},
      // The 4th point is the bad one (6 cores on 4 sockets); the first three are long runs
      // that must not be simulated before it is found.
      // A native sweep whose 2nd point names an unknown lock: found before the 1st is measured.
      {"late-lock.yaml", "extends: base.yaml\nworkload: {threads: 1}\nsweep:\n  workload.lock: [ticket, tiket]\n"},
      {"late.yaml",
       "machine:\n  coherence: directory\n  interconnect: {topology: numa, sockets: 4}\n"
       "workload: {acquisitions_per_thread: 100000}\nsweep:\n  machine.cores: [4, 8, 16, 6]\n"},
  };
}

struct Row {
  const char* what;
  const char* args;     // {d} = the scratch folder
  int status;
  const char* fragment; // {d} allowed
};

// clang-format off
const Row kCatalogue[] = {
  // 1: a directory is not an empty file
  {"run a directory", "run {d}/sub", 2, "{d}/sub: the experiment file is a directory, not a file"},
  {"extends a directory", "run {d}/extends-dir.yaml", 2, "{d}/extends-dir.yaml:1:10: extends: '{d}/sub/' is a directory"},
  {"protocol show a directory", "protocol show {d}/sub", 2, "is a directory, not a file"},
  {"lock is a directory", "run {d}/lock-dir.yaml -o {d}/out", 2, "{d}/lock-dir.yaml:3:9: workload.lock: '{d}/sub' is a directory"},
  // 3: [name @ rX] is checked against the array, not the arena
  {"array index = count", "run {d}/index4.yaml -o {d}/out", 2, "index4.lock:6:3: [slots @ r1]: index 4 out of range (4 elements)"},
  {"array index -1", "run {d}/index-1.yaml -o {d}/out", 2, "index-1.lock:6:3: [slots @ r1]: index -1 out of range (4 elements)"},
  {"lea index past the end", "run {d}/lea5.yaml -o {d}/out", 2, "lea5.lock:6:3: [slots @ r1]: index 5 out of range"},
  // 6: non-UTF-8 text
  {"non-UTF-8 value", "run {d}/utf8.yaml -o {d}/out", 2, "utf8.yaml:1:7: the value is not valid UTF-8 (byte 0xe9 at offset 3)"},
  {"non-UTF-8 key", "run {d}/utf8-key.yaml -o {d}/out", 2, "utf8-key.yaml:2:3: the key is not valid UTF-8 (byte 0xff at offset 2)"},
  // 7: machine construction errors, located and before any point runs
  {"mesh w x h != cores", "run {d}/mesh.yaml -o {d}/out", 2, "mesh.yaml:4:"},
  {"numa sockets do not divide cores", "run {d}/numa.yaml -o {d}/out", 2, "numa.yaml:2:10: interconnect numa: 6 cores cannot be split evenly over 4 sockets"},
  {"home node out of range", "run {d}/home.yaml -o {d}/out", 2, "home.yaml:6:11: machine.directory.home: node:99 is not a node"},
  {"custom graph disconnected", "run {d}/disconnected.yaml -o {d}/out", 2, "disconnected.yaml:"},
  {"custom graph self-loop", "run {d}/selfloop.yaml -o {d}/out", 2, "selfloop.yaml:"},
  {"unknown built-in lock", "run {d}/tiket.yaml -o {d}/out", 2, "tiket.yaml:3:9: unknown lock 'tiket'"},
  {"--set causes the machine error", "run {d}/mesh.yaml -o {d}/out --set machine.interconnect.width=5", 2, "--set: interconnect mesh 5x3 has 15 nodes"},
  {"4th sweep point bad", "run {d}/late.yaml -o {d}/out", 2, "late.yaml:6:29: interconnect numa: 6 cores"},
  {"native run: 2nd sweep point bad", "native run {d}/late-lock.yaml -o {d}/native-out", 2, "late-lock.yaml:4:27: unknown lock 'tiket'"},
  {"validate: 2nd sweep point bad", "validate {d}/late-lock.yaml -o {d}/validate-out", 2, "late-lock.yaml:4:27: unknown lock 'tiket'"},
  {"native --handwritten without one", "native run {d}/base.yaml -o {d}/native-out --handwritten --set workload.lock=clh --set workload.threads=1", 2,
   "--set: native --handwritten: no hand-written version of lock 'clh' (have: mcs, ticket, ttas)"},
  // 8: limits instead of blow-ups
  {"YAML alias bomb", "run {d}/bomb.yaml -o {d}/out", 2, "LOCKSTEP_MAX_YAML_VALUES=N"},
  {"sweep of 10^12 points", "run {d}/huge-sweep.yaml -o {d}/out", 2, "huge-sweep.yaml:2:3: sweep: the grid (up to 'workload.acquisitions_per_thread') is 1000000 points, over the limit of 100000"},
  {"run /dev/zero", "run /dev/zero -o {d}/out", 2, "raise it with LOCKSTEP_MAX_INPUT_BYTES=N"},
  {"lock arena over the memory limit", "run {d}/big-arena.yaml -o {d}/out", 2, "big-arena.lock:3:1: the lock's memory (up to 'b')"},
  {"4097 cores", "run {d}/base.yaml -o {d}/out --set machine.cores=4097", 2, "--set: machine.cores"},
  // 9: check protocol bounds
  {"check --cores 100000", "check protocol MESI --cores 100000", 2, "--cores is 100000 cores, over the limit of 4096"},
  {"check --ops < --cores", "check protocol MESI --cores 64 --ops 10", 2, "--ops 10 is fewer than --cores 64"},
  // 12: arguments
  {"unwritable -o", "run {d}/base.yaml -o /dev/null/out", 2, "output directory '/dev/null/out' cannot be created"},
  {"--trace xml", "run {d}/base.yaml -o {d}/trace-out --trace xml", 2, "--trace: unknown format 'xml'"},
  {"--seed -1", "run {d}/base.yaml -o {d}/out --seed -1", 2, "--seed: expected an integer from 0 to 18446744073709551615"},
  {"--seed abc", "run {d}/base.yaml -o {d}/out --seed abc", 2, "got 'abc'"},
  {"--seed 2^64", "run {d}/base.yaml -o {d}/out --seed 18446744073709551616", 2, "--seed: expected an integer"},
  {"check --seed -1", "check protocol MESI --seed -1", 2, "--seed: expected an integer"},
  {"typo corse", "run {d}/typo.yaml -o {d}/out", 2, "did you mean 'machine.cores' or 'machine.core'?"},
};
// clang-format on

std::string fill(std::string s, const std::string& d) {
  for (size_t at; (at = s.find("{d}")) != std::string::npos;) s.replace(at, 3, d);
  return s;
}

}  // namespace

TEST_CASE("bad-input catalogue: every row gives its exit status and message") {
  TempDir dir("lockstep-badinput");
  fs::create_directories(dir.path / "sub");
  for (const auto& f : files()) dir.write(f.name, f.text);
  const std::string d = dir.path.string();
  for (const auto& row : kCatalogue) {
    const std::string what = row.what;
    CAPTURE(what);
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = testing::lockstep(fill(row.args, d));
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    CAPTURE(r.err);
    CHECK(r.status == row.status);
    CHECK(r.err.find(fill(row.fragment, d)) != std::string::npos);
    CHECK(r.err.find("lockstep: error: ") == 0);
    CHECK(secs < 30);   // found at once (even under the sanitizers): nothing simulated, nothing blown up
  }
  // --trace xml is refused before the output folder exists.
  CHECK(!fs::exists(dir.path / "trace-out"));
  // The bad 4th point of late.yaml is named, and no point ran (no points/ folder).
  auto r = testing::lockstep("run " + d + "/late.yaml -o " + d + "/late-out");
  CHECK(r.err.find("(point 003_cores-6)") != std::string::npos);
  CHECK(!fs::exists(dir.path / "late-out"));
  // Natively too: the bad 2nd point stops the run before the 1st is measured or validated.
  CHECK(!fs::exists(dir.path / "native-out"));
  CHECK(!fs::exists(dir.path / "validate-out"));
}

TEST_CASE("bad-input catalogue: native work with a huge count obeys the watchdog; a negative one is exit 2") {
  TempDir dir("lockstep-badinput");
  dir.write("base.yaml", kBase);
  dir.write("long.lock", "lock long\n.shared l\nacquire:\n  work 0x7fffffffffffffff\n  ret\nrelease:\n  ret\n");
  dir.write("neg.lock", "lock neg\n.shared l\nacquire:\n  li r1, -5\n  work r1\n  ret\nrelease:\n  ret\n");
  dir.write("long.yaml", "extends: base.yaml\nworkload: {lock: long.lock}\n");
  dir.write("neg.yaml", "extends: base.yaml\nworkload: {lock: neg.lock}\n");
  const std::string d = dir.path.string();
  const auto t0 = std::chrono::steady_clock::now();
  auto r = testing::lockstep("native run " + d + "/long.yaml -o " + d + "/out --watchdog 1 --oversubscribe");
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  CAPTURE(r.err);
  CHECK(r.status == 4);
  CHECK(secs < 20);
  r = testing::lockstep("native run " + d + "/neg.yaml -o " + d + "/out2 --oversubscribe");
  CAPTURE(r.err);
  CHECK(r.status == 2);
  CHECK(r.err.find("neg.lock:5:3: ") != std::string::npos);
  CHECK(r.err.find("work: negative cycle count -5") != std::string::npos);
}

TEST_CASE("bad-input catalogue: a killed run's temporaries are removed by the next run, live ones kept") {
  TempDir dir("lockstep-badinput");
  dir.write("base.yaml", kBase);
  const fs::path points = dir.path / "out" / "points" / "default";
  fs::create_directories(points);
  // PID 4194304 is above Linux's largest pid (pid_max <= 2^22), so no process has it.
  const fs::path orphan = points / "stats.json.tmp.4194304";
  const fs::path top_orphan = dir.path / "out" / "summary.csv.tmp.4194304";
  const fs::path live = points / ("stats.json.tmp." + std::to_string(::getpid()));
  const fs::path other = points / "notes.tmp.txt";
  for (const auto& p : {orphan, top_orphan, live, other}) std::ofstream(p) << "x";
  auto r = testing::lockstep("run " + dir.path.string() + "/base.yaml -o " + (dir.path / "out").string());
  CAPTURE(r.err);
  CHECK(r.status == 0);
  CHECK(!fs::exists(orphan));
  CHECK(!fs::exists(top_orphan));
  CHECK(fs::exists(live));    // a process that is still running may be writing it
  CHECK(fs::exists(other));   // not one of ours
  CHECK(fs::exists(points / "stats.json"));
}

TEST_CASE("engine: an event scheduled in the past is an internal error") {
  struct Nop : lockstep::Component {
    void handle(int, uint64_t) override {}
  } nop;
  struct Late : lockstep::Component {
    lockstep::Engine* e;
    lockstep::Component* target;
    void handle(int, uint64_t) override { e->schedule(e->now() - 1, lockstep::kCore, 0, target, 0); }
  } late;
  lockstep::Engine e;
  late.e = &e;
  late.target = &nop;
  e.schedule(10, lockstep::kCore, 0, &late, 0);
  CHECK_THROWS_WITH_AS(e.run(), "engine: event scheduled at cycle 9, in the past (now 10, kind 0)", std::logic_error);
}

TEST_CASE("cache array: a 1 GiB L1 costs memory only for the sets touched") {
  lockstep::coherence::CacheArray big(1048576, 8, 64);   // 2^21 sets
  CHECK(big.sets() == (1 << 21));
  CHECK(big.sets_allocated() == 0);
  CHECK(big.find(12345) == nullptr);
  auto stable = [](int) { return true; };
  for (uint64_t line : {1ull, 2ull, 1ull + (1ull << 21)}) {   // the 3rd maps to set 1 again
    auto* c = big.victim(line, stable);
    REQUIRE(c);
    c->line = line;
    c->state = 1;
  }
  CHECK(big.sets_allocated() == 2);
  REQUIRE(big.find(1 + (1ull << 21)));
  CHECK(big.find(1 + (1ull << 21)) != big.find(1));
  CHECK(big.find(3) == nullptr);
  // A small array indexes directly and behaves the same.
  lockstep::coherence::CacheArray small(32, 8, 64);   // 64 sets
  CHECK(small.sets() == 64);
  auto* c = small.victim(70, stable);   // set 6
  c->line = 70;
  c->state = 2;
  CHECK(small.find(70) == c);
  CHECK(small.sets_allocated() == 1);
  CHECK(c->data[0] == 0);
}

TEST_CASE("bad-input catalogue: 1,024 cores with 1 GiB L1s run in the memory of the lines touched") {
  // Allocated up front, these L1s would be 1 TiB; on demand they are a few sets each.
  TempDir dir("lockstep-badinput");
  dir.write("big-l1.yaml",
            "machine:\n  cores: 1024\n  l1: {size_kib: 1048576}\n"
            "workload: {lock: ticket, threads: 4, acquisitions_per_thread: 2, warmup_acquisitions: 0}\n");
  auto r = testing::lockstep("run " + dir.path.string() + "/big-l1.yaml -o " + (dir.path / "out").string());
  CAPTURE(r.err);
  CHECK(r.status == 0);
  struct rusage ru {};
  REQUIRE(::getrusage(RUSAGE_CHILDREN, &ru) == 0);
  CHECK(ru.ru_maxrss < 1024 * 1024);   // KiB (1 GiB, sanitizer builds included): the largest child so far
}

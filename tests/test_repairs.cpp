// Issue 10 item 12: built-in machine presets (`extends: bus16` from any folder, `lockstep
// list machines`), one valid DOT graph for the directory controllers, --set errors that
// blame --set, unknown lock parameters named at their YAML line, whole help texts, no
// DESIGN.md in what users see, derived values (mesh shape) in the resolved config.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_helpers.hpp"
#include "common/embedded.hpp"
#include "common/error.hpp"
#include "config/loader.hpp"

namespace fs = std::filesystem;
using testing::TempDir;

namespace {
std::string load_error(const std::string& yaml, const std::string& file, const lockstep::config::LoadOptions& o = {}) {
  try {
    lockstep::config::load_experiment_text(yaml, file, o);
  } catch (const lockstep::InputError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("presets: every configs/machines file is built in, extends: NAME works from any folder") {
  const auto& presets = lockstep::embedded::machines();
  int files = 0;
  for (const auto& e : fs::directory_iterator(std::string(LOCKSTEP_SOURCE_DIR) + "/configs/machines")) {
    if (e.path().extension() != ".yaml") continue;
    ++files;
    CHECK(presets.count(e.path().stem().string()) == 1);
  }
  CHECK(files >= 6);
  CHECK(int(presets.size()) == files);

  TempDir t;
  const auto ex = lockstep::config::load_experiment_text("extends: bus32\n", (t.path / "x.yaml").string());
  // bus32 (built in) extends bus16.yaml, which inside a preset means the built-in bus16.
  CHECK(ex.points.at(0).machine.cores == 32);
  CHECK(ex.points.at(0).machine.l1.size_kib == 32);
  CHECK(ex.points.at(0).machine.protocol == "MESI");

  // A real file of the same name next to the experiment is used when written as a path.
  t.write("bus16.yaml", "machine: {cores: 6}\n");
  CHECK(lockstep::config::load_experiment_text("extends: bus16.yaml\n", (t.path / "y.yaml").string())
            .points.at(0).machine.cores == 6);
  CHECK(lockstep::config::load_experiment_text("extends: bus16\n", (t.path / "y.yaml").string())
            .points.at(0).machine.cores == 16);

  const std::string f = (t.path / "z.yaml").string();
  CHECK(load_error("extends: bus61\n", f) ==
        f + ":1:10: extends: 'bus61' is neither a built-in machine preset nor a file next to this one (did you mean "
            "'bus16'?); lockstep list machines shows the presets");
  CHECK(load_error("extends: ../machines/ring16.yaml\n", f) ==
        f + ":1:10: extends: '" + (t.path.parent_path() / "machines/ring16.yaml").string() +
            "' cannot be opened (no such file, or no permission) (for the built-in preset write `extends: ring16`)");

  auto r = testing::lockstep("list machines");
  CHECK(r.status == 0);
  CHECK(r.out.rfind("machines (presets: extends: NAME):\n", 0) == 0);
  for (const auto& [name, text] : presets) CHECK(r.out.find("\n  " + name + " ") != std::string::npos);
}

TEST_CASE("the labs and experiments load from a copy outside the repository") {
  TempDir t;
  for (const char* lab : {"lab1-tas-ttas.yaml", "lab2-queue-locks.yaml", "lab3-protocols.yaml", "lab4-fabrics.yaml"}) {
    CAPTURE(lab);
    const std::string text = testing::slurp(std::string(LOCKSTEP_SOURCE_DIR) + "/configs/labs/" + lab);
    CHECK(load_error(text, t.write(lab, text)) == "");
  }
}

TEST_CASE("--set errors blame --set, not the preset file that set the other key") {
  TempDir t;
  lockstep::config::LoadOptions o;
  o.sets = {"machine.l1.size_kib=48"};
  CHECK(load_error("extends: bus16\n", (t.path / "x.yaml").string(), o) ==
        "--set: machine.l1: size_kib 48 with line_bytes 64 and assoc 8 gives 96 sets; size_kib*1024 / "
        "(line_bytes*assoc) must be a power of two");
  auto r = testing::lockstep("run '" + t.write("y.yaml", "extends: bus16\n") + "' --set machine.l1.size_kib=48 -o '" +
                             (t.path / "out").string() + "'");
  CHECK(r.status == 2);
  CHECK(r.err.find("error: --set: machine.l1: size_kib 48") != std::string::npos);
}

TEST_CASE("an unknown lock parameter is named at its YAML line, with the nearest one") {
  TempDir t;
  const std::string f = t.write("p.yaml",
                                "extends: bus16\n"
                                "workload:\n"
                                "  lock: ttas_backoff\n"
                                "  lock_params: {backof_min: 3}\n"
                                "  threads: 2\n");
  auto r = testing::lockstep("run '" + f + "' -o '" + (t.path / "out").string() + "'");
  CHECK(r.status == 2);
  CHECK(r.err.find(f + ":4:17: workload.lock_params: lock 'ttas_backoff' has no parameter 'backof_min' (did you mean "
                       "'backoff_min'?)") != std::string::npos);
  const std::string g = t.write("q.yaml",
                                "extends: bus16\n"
                                "workload:\n"
                                "  lock: ticket\n"
                                "  lock_params:\n"
                                "    backoff: 3\n");
  r = testing::lockstep("run '" + g + "' -o '" + (t.path / "out2").string() + "'");
  CHECK(r.status == 2);
  CHECK(r.err.find(g + ":5:5: workload.lock_params: lock 'ticket' has no parameter 'backoff'; it has no parameters") !=
        std::string::npos);
}

TEST_CASE("the resolved config shows the mesh shape the network builds") {
  TempDir t;
  const std::string f = (t.path / "m.yaml").string();
  // 12 cores: the largest height <= sqrt(12) dividing 12 is 3, so 4 x 3.
  auto ex = lockstep::config::load_experiment_text(
      "machine: {cores: 12, coherence: directory, interconnect: {topology: mesh}}\n", f);
  CHECK(ex.points.at(0).machine.interconnect.width == 4);
  CHECK(ex.points.at(0).machine.interconnect.height == 3);
  const nlohmann::json& j = *ex.points.at(0).resolved;
  CHECK(j["machine"]["interconnect"]["width"] == 4);
  CHECK(j["machine"]["interconnect"]["height"] == 3);
  ex = lockstep::config::load_experiment_text(
      "machine: {cores: 12, coherence: directory, interconnect: {topology: mesh, height: 2}}\n", f);
  CHECK(ex.points.at(0).machine.interconnect.width == 6);
}

TEST_CASE("protocol show --coherence directory --format dot is one graph with a cluster per controller") {
  auto r = testing::lockstep("protocol show MESI --coherence directory --format dot");
  REQUIRE(r.status == 0);
  const std::string& d = r.out;
  CHECK(d.rfind("digraph \"MESI cache + directory\" {\n", 0) == 0);
  size_t graphs = 0;
  for (size_t at = d.find("digraph"); at != std::string::npos; at = d.find("digraph", at + 1)) ++graphs;
  CHECK(graphs == 1);
  CHECK(d.find("  subgraph \"cluster_cache\" {\n") != std::string::npos);
  CHECK(d.find("  subgraph \"cluster_directory\" {\n") != std::string::npos);
  // Both controllers have a state I: the ids stay apart, the labels say I.
  CHECK(d.find("    \"cache:I\" [label=\"I\", shape=doublecircle") != std::string::npos);
  CHECK(d.find("    \"directory:I\" [label=\"I\", shape=doublecircle") != std::string::npos);
  // Braces (outside quoted strings) balance and close only at the very end.
  int depth = 0;
  bool quoted = false, closed_early = false;
  for (size_t i = 0; i < d.size(); ++i) {
    const char c = d[i];
    if (c == '\\' && quoted) { ++i; continue; }
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    if (c == '{') ++depth;
    if (c == '}' && --depth == 0 && d.find_first_not_of("\n", i + 1) != std::string::npos) closed_early = true;
  }
  CHECK(depth == 0);
  CHECK(!closed_early);
  CHECK(!quoted);
  if (std::system("command -v dot >/dev/null 2>&1") == 0) {
    for (const char* proto : {"MSI", "MESI", "MOESI", "MESIF"}) {
      auto svg = testing::shell(std::string("'") + LOCKSTEP_BINARY + "' protocol show " + proto +
                                " --coherence directory --format dot | dot -Tsvg");
      CHECK(svg.status == 0);
      size_t n = 0;
      for (size_t at = svg.out.find("<svg"); at != std::string::npos; at = svg.out.find("<svg", at + 1)) ++n;
      CHECK(n == 1);
    }
  }
}

TEST_CASE("help texts are whole and nothing users see cites DESIGN.md") {
  auto r = testing::lockstep("run --help");
  CHECK(r.status == 0);
  // Boost wraps long descriptions: the sentence is whole, across lines.
  const auto seed = r.out.find("override the experiment's seed, 0 .. 2^64-1 (every");
  CHECK(seed != std::string::npos);
  CHECK(r.out.find("derives from it)", seed) != std::string::npos);
  for (const char* cmd : {"list", "--help", "check lock --help", "lock show --help"}) {
    CAPTURE(cmd);
    auto h = testing::lockstep(cmd);
    CHECK(h.status == 0);
    CHECK(h.out.find("DESIGN") == std::string::npos);
  }
  for (const auto& [name, text] : lockstep::embedded::locks()) {
    CAPTURE(name);
    CHECK(text.find("DESIGN.md") == std::string::npos);
  }
}

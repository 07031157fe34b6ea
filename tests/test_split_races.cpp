// Split-transaction bus races as table data (controller snoop-split, protocols/*.table): a
// request ordered while another cache's data for the line is still outstanding meets a race
// cell (IM_D + Other-GetM -> IM_D_I, ...), the one controller runs it, responses for one line
// complete in request order. Directed cases with hand-derived cycles, the split-table check,
// the random tester's race-cell counts, broken split tables.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "check/random_tester.hpp"
#include "cli_helpers.hpp"
#include "coherence/split_table.hpp"
#include "common/error.hpp"
#include "config/loader.hpp"
#include "run/simulate.hpp"
#include "sim_helpers.hpp"

using testing::Directed;
namespace co = lockstep::coherence;

namespace {
// As in test_split_bus.cpp: every thread at cycle 0 reads the cycle counter, runs `op`,
// reads it again; the difference (op latency + the `now` op's cycle) goes to `out`.
std::string timed(const std::string& op) {
  return "lock t\ncapacity 64\n.shared x\n.percpu p 1\n.percpu out 1\nacquire:\n  now r1\n" + op +
         "\n  now r3\n  sub r4, r3, r1\n  st [out], r4\n  work 5000\n  ret\nrelease:\n  ret\n";
}

struct Bus : Directed {
  Bus(int cores, const std::string& src, const std::string& mode, const std::string& protocol = "MESI")
      : Directed(cores, src, protocol, [&](lockstep::config::Point& p) { p.machine.interconnect.mode = mode; }) {}
  uint64_t out(int t) { return m->peek(addr("out") + uint64_t(t) * uint64_t(p.machine.l1.line_bytes)); }
  // How often core's L1 ran the cell (state, event) of the table it runs.
  uint64_t fired(int core, const std::string& st, const std::string& ev) {
    const auto& spec = m->l1(core).spec();
    REQUIRE(spec.state(st) >= 0);
    REQUIRE(spec.event(ev) >= 0);
    return m->l1(core).fired(spec.state(st), spec.event(ev));
  }
};

std::string table_text(const std::string& name) {
  return testing::slurp(std::filesystem::path(LOCKSTEP_SOURCE_DIR) / "protocols" / (name + ".table"));
}
}  // namespace

TEST_CASE("split races: two cores GetM one line back to back; the second gets it from the first") {
  // Both store to x at cycle 1 (after `now`); defaults: request 2, data 8, memory 120, snoop
  // and ack 0. Round robin orders core 0 first: request 1..3, its GetM finds no copy (IM_D,
  // memory, data ready at 123). Core 1's GetM is ordered at 3..5, while core 0 waits: core 0
  // is the owner from its grant on, so (IM_D, Other-GetM) -> IM_D_I promises core 1 its data
  // (deferSupply). Core 0's data tenure 123..131: its store performs, the line goes to core 1
  // (supplyDeferred), core 0 ends in I. Core 1's response follows on the bus, 131..139: M.
  Bus s(2, timed("  st [x], tid"), "split");
  CHECK(s.out(0) == 1 + 130);
  CHECK(s.out(1) == 1 + 138);
  CHECK(s.state(0, "x") == "I");
  CHECK(s.state(1, "x") == "M");
  CHECK(s.word("x") == 1);
  // The transient states each core passed through (cells count every line: x, then the
  // thread's `out` line, a plain I -> IM_AD -> IM_D -> M miss).
  CHECK(s.fired(0, "I", "Store") == 2);
  CHECK(s.fired(0, "IM_AD", "Grant") == 2);
  CHECK(s.fired(0, "IM_D", "Other-GetM") == 1);
  CHECK(s.fired(0, "IM_D_I", "Own-GetM") == 1);
  CHECK(s.fired(0, "IM_D", "Own-GetM") == 1);     // `out` only
  CHECK(s.fired(1, "IM_AD", "Other-GetM") == 1);  // core 0's GetM, ordered before core 1's grant
  CHECK(s.fired(1, "IM_AD", "Grant") == 2);
  CHECK(s.fired(1, "IM_D", "Own-GetM") == 2);     // x and `out`
  CHECK(s.fired(1, "IM_D", "Other-GetM") == 0);
  CHECK(s.s.coherence.getm == 4);  // x twice, each core's `out`
  CHECK(s.s.coherence.cache_to_cache == 1);
  CHECK(s.s.coherence.invalidations == 1);  // core 0's copy, right after its store
  CHECK(s.s.coherence.memory_reads == 3);   // x once, the two `out` lines

  // Atomic bus: core 1's GetM waits for core 0's whole 130-cycle tenure, then core 0's M
  // copy answers it (request 2 + data 8): 141, two cycles more than the split bus.
  Bus a(2, timed("  st [x], tid"), "atomic");
  CHECK(a.out(0) == 1 + 130);
  CHECK(a.out(1) == 1 + 140);
  CHECK(a.word("x") == 1);
}

TEST_CASE("split races: read-modify-writes of two cores ordered back to back both count") {
  // The same timing with `faa`: core 1's increment sees core 0's, handed over by the race cell.
  Bus s(2, timed("  faa r2, [x], 1"), "split");
  CHECK(s.word("x") == 2);
  CHECK(s.out(1) - s.out(0) == 8);  // one data tenure apart
  CHECK(s.fired(0, "IM_D_I", "Own-GetM") == 1);
}

TEST_CASE("split races: a GetS ordered behind an outstanding GetM is answered by the writer after its store") {
  // Core 0 stores x, core 1 loads it, both at cycle 2. Core 0's GetM 2..4 (memory: ready 124);
  // core 1's GetS 4..6: (IM_D, Other-GetS) -> IM_D_S promises the data and raises the shared
  // wire. Core 0's tenure 124..132: store, supply core 1, write back (MESI's M -> S), S; +1
  // for its `jmp`. Core 1's tenure 132..140: Own-GetS (shared) -> S, with the stored value.
  std::string op = "  beq tid, 1, r\n  st [x], 7\n  jmp d\nr:\n  ld r2, [x]\nd:";
  Bus s(2, timed(op), "split");
  CHECK(s.out(0) == 2 + 130 + 1);
  CHECK(s.out(1) == 2 + 138);
  CHECK(s.state(0, "x") == "S");
  CHECK(s.state(1, "x") == "S");
  CHECK(s.word("x") == 7);
  CHECK(s.fired(0, "IM_D", "Other-GetS") == 1);
  CHECK(s.fired(0, "IM_D_S", "Own-GetM") == 1);
  CHECK(s.fired(1, "IS_D", "Own-GetS") == 1);
  CHECK(s.s.coherence.writebacks == 1);
  CHECK(s.s.coherence.cache_to_cache == 1);
  CHECK(s.s.coherence.invalidations == 0);
  // Atomic: core 1's GetS after core 0's whole tenure, answered by M (2 + 8).
  Bus a(2, timed(op), "atomic");
  CHECK(a.out(1) == 2 + 130 + 10);
}

TEST_CASE("split races: MOESI's owner-to-be answers a reader and the next writer, no writeback") {
  // Cores 0 and 2 store, core 1 loads, all at cycle 2 (the branches cost the same); ordered
  // 0, 1, 2 at 2, 4, 6. Core 0: IM_D, + core 1's GetS -> IM_D_O, + core 2's GetM -> IM_D_I,
  // both promised. Core 0's data 124..132 (+1 `jmp`); core 1's 132..140, IS_D_I: its load
  // performs, its copy goes (core 2's GetM came after); core 2's 140..148, M.
  std::string op = "  beq tid, 1, r\n  st [x], tid\n  jmp d\nr:\n  ld r2, [x]\nd:";
  Bus s(3, timed(op), "split", "MOESI");
  CHECK(s.out(0) == 2 + 130 + 1);
  CHECK(s.out(1) == 2 + 138);
  CHECK(s.out(2) == 2 + 146 + 1);
  CHECK(s.fired(0, "IM_D", "Other-GetS") == 1);
  CHECK(s.fired(0, "IM_D_O", "Other-GetM") == 1);
  CHECK(s.fired(0, "IM_D_I", "Own-GetM") == 1);
  CHECK(s.fired(1, "IS_D", "Other-GetM") == 1);
  CHECK(s.fired(1, "IS_D_I", "Own-GetS") == 1);
  CHECK(s.state(0, "x") == "I");
  CHECK(s.state(1, "x") == "I");
  CHECK(s.state(2, "x") == "M");
  CHECK(s.word("x") == 2);
  CHECK(s.s.coherence.writebacks == 0);
  CHECK(s.s.coherence.cache_to_cache == 2);
  CHECK(s.s.coherence.invalidations == 2);
}

TEST_CASE("split races: a table without snoop-split runs the split bus as before (a second request waits)") {
  // Only the atomic controller: the bus holds core 1's GetM until core 0's response is in,
  // then core 0's E copy answers it (2 + 8): 2 + 140, not 2 + 138.
  namespace fs = std::filesystem;
  std::string text = table_text("mesi");
  text = text.substr(0, text.find("\n# ====="));
  testing::TempDir dir("split-races");
  const std::string path = (dir.path / "atomic_only.table").string();
  std::ofstream(path) << text << "\n";
  std::string op = "  beq tid, 1, w\n  ld r2, [x]\n  jmp d\nw:\n  st [x], 9\nd:";
  Bus s(2, timed(op), "split", path);
  CHECK(s.m->l1(0).spec().kind == "snoop");
  CHECK(s.out(0) == 2 + 130 + 1);
  CHECK(s.out(1) == 2 + 140);
  CHECK(s.s.coherence.cache_to_cache == 1);
  // The tester says so rather than print an empty race-cell report.
  auto r = testing::lockstep("check protocol '" + path + "' --mode split --seeds 1 --ops 2000");
  CHECK(r.status == 0);
  CHECK(r.out.find("(no snoop-split controller in this table: the split bus ran its snoop controller") !=
        std::string::npos);
  CHECK(r.out.find("race cells fired") == std::string::npos);
}

TEST_CASE("split-table check: the built-in tables pass; their race cells") {
  // Outstanding states and their race cells, counted by hand from the tables: other
  // requests (GetS, GetM; Upgrade only while other S copies may remain, i.e. in IS_D and
  // IS_D_S), plus the completions of states only a race leads to.
  //   MESI/MESIF: IS_D 3, IM_D 2, SM_D 2, IS_D_S 3+2, IS_D_I 2+2, IM_D_S/I/SI 3 each,
  //               SM_D_S/I/SI 3 each = 34.  MSI: no IS_D_S: 34 - 5 = 29.
  //   MOESI: IS_D 3, IM_D 2, SM_D 2, IS_D_S 5, IS_D_I 4, IM_D_O 3, IM_D_I 3, SM_D_O 3, SM_D_I 3 = 28.
  const std::map<std::string, size_t> cells = {{"MSI", 29}, {"MESI", 34}, {"MOESI", 28}, {"MESIF", 34}};
  for (const auto& [name, n] : cells) {
    CAPTURE(name);
    auto p = co::load_protocol(name);
    const auto& c = p.controller("snoop-split");
    auto t = co::check_split_table(c, p.file);
    CHECK(t.race_cells.size() == n);
    CHECK(t.waits_for[size_t(c.state("IM_D"))] == co::snoop::OwnGetM);
    CHECK(t.waits_for[size_t(c.state("IS_D_I"))] == co::snoop::OwnGetS);
    CHECK(t.waits_for[size_t(c.state("IM_AD"))] == -1);  // waits for the bus, not for data
  }
}

TEST_CASE("split-table check: a missing race cell, a grant that stays, a stable waiting state (exit 2, file:line:col)") {
  const std::string mesi = table_text("mesi");
  auto split_of = [](const std::string& text) {
    auto p = co::parse_protocol(text, "t.table");
    return co::check_split_table(p.controller("snoop-split"), p.file);
  };
  auto edit = [&](const std::string& from, const std::string& to) {
    std::string t = mesi;
    REQUIRE(t.find(from) != std::string::npos);
    t.replace(t.find(from), from.size(), to);
    return t;
  };
  auto line_of = [&](const std::string& needle) {
    return 1 + std::count(mesi.begin(), mesi.begin() + long(mesi.find(needle)), '\n');
  };
  CHECK_NOTHROW(split_of(mesi));
  // (IM_D, Other-GetM) removed: reported at the grant that enters IM_D.
  const std::string grant = "transition(IM_AD, Grant, IM_D)";
  CHECK_THROWS_WITH_AS(split_of(edit("transition(IM_D, Other-GetM, IM_D_I)       { deferSupply; }", "")),
                       ("t.table:" + std::to_string(line_of(grant)) +
                        ":1: split bus: state IM_D (entered here) has no transition for Other-GetM: another cache's "
                        "request can be ordered while this cache waits for its GetM's data (a race cell)")
                           .c_str(),
                       lockstep::InputError);
  CHECK_THROWS_WITH_AS(split_of(edit(grant, "transition(IM_AD, Grant)")),
                       doctest::Contains("(IM_AD, Grant) stays in IM_AD"), lockstep::InputError);
  CHECK_THROWS_WITH_AS(split_of(edit("transition(IM_D, Other-GetS, IM_D_S)", "transition(IM_D, Other-GetS, M)")),
                       doctest::Contains("makes M (a stable state) wait for its GetM's data"), lockstep::InputError);
  CHECK_THROWS_WITH_AS(split_of(edit("transition(IM_D_S, Own-GetM, S)            { hit; supplyDeferred; writeback; }",
                                     "transition(IM_D_S, Own-GetM, S)            { supplyDeferred; writeback; }")),
                       doctest::Contains("(IM_D_S, Own-GetM) must perform the waiting access (hit)"), lockstep::InputError);
  // The machine runs the check when it builds a split bus: `lockstep run` exits 2 with it.
  testing::TempDir dir("split-check");
  const std::string path = (dir.path / "bad.table").string();
  std::ofstream(path) << edit("transition(IM_D, Other-GetM, IM_D_I)       { deferSupply; }", "");
  auto cfg = dir.path / "e.yaml";
  std::ofstream(cfg) << "name: e\nmachine: {cores: 2, protocol: " << path
                     << ", interconnect: {mode: split}}\nworkload: {lock: ticket, acquisitions_per_thread: 10}\n";
  auto r = testing::lockstep("run '" + cfg.string() + "' -o '" + (dir.path / "out").string() + "'");
  CHECK(r.status == 2);
  CHECK(r.err.find("bad.table:" + std::to_string(line_of(grant)) + ":1: split bus: state IM_D (entered here)") !=
        std::string::npos);
  auto atomic = testing::lockstep("run '" + cfg.string() + "' --set machine.interconnect.mode=atomic -o '" +
                                  (dir.path / "out2").string() + "'");
  CHECK(atomic.status == 0);  // the atomic bus runs the intact snoop controller
}

TEST_CASE("random tester: every race cell of the four split tables fires, and no violation") {
  for (const char* proto : {"MSI", "MESI", "MOESI", "MESIF"}) {
    CAPTURE(proto);
    lockstep::check::TesterOptions o;
    o.protocol = proto;
    o.mode = "split";
    o.seeds = 2;
    o.ops = 50000;
    auto r = lockstep::check::run_random_tester(o);
    CHECK_FALSE(r.failure.has_value());
    if (r.failure) MESSAGE(r.failure->message);
    REQUIRE(r.race_cells.size() >= 28);
    for (const auto& [cell, n] : r.race_cells) {
      CAPTURE(cell);
      CHECK(n > 0);
    }
  }
  // On the atomic bus there are no race cells to report.
  lockstep::check::TesterOptions a;
  a.seeds = 1;
  a.ops = 2000;
  CHECK(lockstep::check::run_random_tester(a).race_cells.empty());
}

TEST_CASE("random tester: every broken split-bus table is caught, with its exit status and message") {
  namespace fs = std::filesystem;
  int n = 0;
  for (const auto& e : fs::directory_iterator(fs::path(LOCKSTEP_SOURCE_DIR) / "tests/data/broken-split")) {
    if (e.path().extension() != ".table") continue;
    ++n;
    CAPTURE(e.path().filename().string());
    std::string text = testing::slurp(e.path());
    std::smatch m;
    REQUIRE(std::regex_search(text, m, std::regex("Expected: [^\n]*exit ([23]): ([^\n]*)")));
    const int want = std::stoi(m[1].str());
    auto r = testing::lockstep("check protocol '" + e.path().string() + "' --mode split --seeds 3 --ops 20000");
    CHECK(r.status == want);
    CHECK((r.out + r.err).find(m[2].str()) != std::string::npos);
    if (want == 3) CHECK(r.out.find("minimal case: seed") != std::string::npos);
    // The bug is in the split-bus controller only: the atomic bus runs the intact one.
    CHECK(testing::lockstep("check protocol '" + e.path().string() + "' --seeds 1 --ops 5000").status == 0);
  }
  CHECK(n >= 8);
}

TEST_CASE("split races: fast-forward on and off agree for the global-spinning locks (race cells all the time)") {
  const std::string qs = std::string(LOCKSTEP_SOURCE_DIR) + "/configs/quickstart.yaml";
  for (const char* lock : {"tas", "ttas", "clh"}) {
    lockstep::stats::Point r[2];
    for (int ff = 0; ff < 2; ++ff) {
      lockstep::config::LoadOptions o;
      o.sets = {"sweep={}", "machine.cores=8", "workload.duration_cycles=50000", std::string("workload.lock=") + lock,
                std::string("run.fast_forward=") + (ff ? "true" : "false")};
      auto exp = lockstep::config::load_experiment(qs, o);
      REQUIRE(exp.points[0].machine.interconnect.mode == "split");
      r[ff] = lockstep::sim::simulate(exp.points[0]);
    }
    CAPTURE(lock);
    CHECK(r[0].cycles == r[1].cycles);
    CHECK(r[0].acquisitions == r[1].acquisitions);
    CHECK(r[0].coherence.bus_transactions == r[1].coherence.bus_transactions);
    CHECK(r[0].coherence.invalidations == r[1].coherence.invalidations);
    CHECK(r[0].coherence.cache_to_cache == r[1].coherence.cache_to_cache);
    CHECK(r[0].handoff.mean() == r[1].handoff.mean());
  }
}

TEST_CASE("protocol show renders the split-bus controller") {
  auto md = testing::lockstep("protocol show MESI --mode split");
  CHECK(md.status == 0);
  CHECK(md.out.rfind("# MESI: controller snoop-split", 0) == 0);
  CHECK(md.out.find("| IM_D_SI | transient |  |") != std::string::npos);
  CHECK(md.out.find("| **IM_D** | | | | | | | hit / M | | deferSupply; assertShared / IM_D_S | deferSupply / IM_D_I | |") !=
        std::string::npos);
  CHECK(md.out.find("| **IS_D_I** | | | | | hit / I | hit / I | | | - | - | |") != std::string::npos);
  auto both = testing::lockstep("protocol show MESI");
  CHECK(both.out.find("# MESI: controller snoop\n") != std::string::npos);
  CHECK(both.out.find("# MESI: controller snoop-split\n") != std::string::npos);
  auto dot = testing::lockstep("protocol show MOESI --mode split --format dot");
  CHECK(dot.out.rfind("digraph \"MOESI snoop-split\" {", 0) == 0);
  CHECK(dot.out.find("\"IM_D_O\" [style=dashed") != std::string::npos);
  auto bad = testing::lockstep("protocol show MESI --mode splt");
  CHECK(bad.status == 2);
  CHECK(bad.err.find("--mode 'splt' is not atomic or split (did you mean 'split'?)") != std::string::npos);
  auto none = testing::lockstep("protocol show '" + std::string(LOCKSTEP_SOURCE_DIR) +
                                "/tests/data/broken/msi_s_store_hit.table' --mode split");
  CHECK(none.status == 2);
  CHECK(none.err.find("has no 'snoop-split' controller") != std::string::npos);
}

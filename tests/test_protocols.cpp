// The snooping protocol family (MSI, MESI, MOESI, MESIF): every stable cell of each table
// against the Primer, parser errors, textbook scenarios on the bus with exact counts, every
// lock on every protocol, `protocol show`, and the random tester (good tables pass at
// >= 10^6 operations each on the bus and on every directory fabric; every deliberately
// broken table in tests/data/broken is caught).
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "cli_helpers.hpp"
#include "check/random_tester.hpp"
#include "coherence/protocol.hpp"
#include "coherence/render.hpp"
#include "common/error.hpp"
#include "sim_helpers.hpp"

using namespace lockstep;
using testing::Directed;
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kProtocols = {"MSI", "MESI", "MOESI", "MESIF"};
const std::vector<std::string> kLocks = {"tas", "ttas", "ttas_backoff", "ticket", "ticket_backoff",
                                         "anderson", "mcs", "clh", "qspinlock"};

// Expected cells of a stable state, in the snoop event order: Load, Store, Replacement,
// Grant, Own-GetS, Own-GetS-Excl, Own-GetM, Own-Upgrade, Other-GetS, Other-GetM,
// Other-Upgrade. "" = undefined (a stable state never sees Grant or its own requests, I is
// never replaced; M/E never see an Upgrade since no other copy can exist), "-" = nothing.
using Row = std::array<const char*, 11>;
const Row kI = {"requestBus / IS_AD", "requestBus / IM_AD", "", "", "", "", "", "", "-", "-", "-"};
const Row kS = {"hit", "requestBus / SM_AD", "- / I", "", "", "", "", "", "-", "- / I", "- / I"};
const Row kE = {"hit", "hit / M", "- / I", "", "", "", "", "", "supplyData / S", "supplyData / I", ""};
const Row kM_wb = {"hit", "hit", "sendPutM / I", "", "", "", "", "", "supplyData; writeback / S", "supplyData / I", ""};

// Primer ch. 7 (MSI Table 7.x; MESI with E; MOSI's O; Intel's F), as in
// /work/shared/reference/coherence-tables.md.
const std::map<std::string, std::map<std::string, Row>> kStable = {
    {"MSI", {{"I", kI}, {"S", kS}, {"M", kM_wb}}},
    {"MESI", {{"I", kI}, {"S", kS}, {"E", kE}, {"M", kM_wb}}},
    {"MOESI",
     {{"I", kI},
      {"S", kS},
      {"E", kE},
      // O: the owner answers every reader, keeps the dirty data; a store needs only an Upgrade.
      {"O", {"hit", "requestBus / OM_AD", "sendPutM / I", "", "", "", "", "", "supplyData", "supplyData / I", "- / I"}},
      // M read by another: O, no writeback.
      {"M", {"hit", "hit", "sendPutM / I", "", "", "", "", "", "supplyData / O", "supplyData / I", ""}}}},
    {"MESIF",
     {{"I", kI},
      {"S", kS},  // S never answers
      {"F", {"hit", "requestBus / SM_AD", "- / I", "", "", "", "", "", "supplyData / S", "supplyData / I", "- / I"}},
      {"E", kE},
      {"M", kM_wb}}}};

// Thread t waits t*1000 cycles, then runs `op`: the accesses happen one after another.
std::string staggered(const std::string& op) {
  return "lock seq\ncapacity 64\n.shared x\n.shared y\nacquire:\n  mul r9, tid, 1000\n  work r9\n" + op +
         "\n  li r9, 8000\n  work r9\n\n  ret\nrelease:\n  ret\n";
}

struct Cmd {
  int status = -1;
  std::string out;  // stdout then stderr
};
Cmd lockstep_cmd(const std::string& args) {
  auto r = testing::lockstep(args);
  return {r.status, r.out + r.err};
}

std::string parse_error(const std::string& text) {
  try {
    coherence::parse_protocol(text, "t.table");
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

std::string stats_line(const stats::Point& s) {  // everything deterministic a point reports
  std::ostringstream o;
  o << s.cycles << " " << s.acquisitions << " " << s.handoff.count() << " " << s.handoff.mean() << " "
    << s.handoff.percentile(99) << " " << s.coherence.bus_transactions << " " << s.coherence.invalidations << " "
    << s.coherence.writebacks << " " << s.coherence.cache_to_cache << " " << s.coherence.memory_reads << " "
    << s.coherence.gets << " " << s.coherence.getm << " " << s.coherence.upgrades;
  for (auto& c : s.per_core) o << " | " << c.acquisitions << " " << c.micro_ops << " " << c.l1_hits << " " << c.l1_misses;
  return o.str();
}

}  // namespace

// ---- the tables themselves ---------------------------------------------------------------

TEST_CASE("every stable cell of the snoop tables matches the Primer") {
  for (const auto& name : kProtocols) {
    CAPTURE(name);
    auto p = coherence::load_protocol(name);
    const auto& c = p.controller("snoop");
    const auto& want = kStable.at(name);
    int stable = 0;
    for (size_t s = 0; s < c.states.size(); ++s) {
      if (!c.states[s].stable) continue;
      ++stable;
      const std::string st = c.states[s].name;
      REQUIRE(want.count(st) == 1);
      for (size_t e = 0; e < c.events->size(); ++e) {
        CAPTURE(st);
        CAPTURE((*c.events)[e]);
        CHECK(coherence::render_cell(c, int(s), int(e)) == std::string(want.at(st)[e]));
      }
    }
    CHECK(stable == int(want.size()));  // no stable state the Primer lacks
    CHECK(c.states[0].name == "I");
  }
}

TEST_CASE("state attributes: owners, dirtiness and exclusivity per protocol") {
  auto attrs = [](const std::string& proto, const std::string& st) {
    auto p = coherence::load_protocol(proto);
    const auto& c = p.controller("snoop");
    const auto& s = c.states[size_t(c.state(st))];
    return std::string(s.readable ? "r" : "") + (s.writable ? "w" : "") + (s.exclusive ? "x" : "") + (s.dirty ? "d" : "") +
           (s.owner ? "o" : "");
  };
  CHECK(attrs("MSI", "M") == "rwxdo");
  CHECK(attrs("MSI", "S") == "r");
  CHECK(coherence::load_protocol("MSI").controller("snoop").state("E") == -1);  // no E in MSI
  CHECK(attrs("MOESI", "O") == "rdo");  // shared, dirty, answers readers
  CHECK(attrs("MOESI", "E") == "rxo");
  CHECK(attrs("MESIF", "F") == "ro");   // clean forwarder
  CHECK(attrs("MESIF", "S") == "r");
}

TEST_CASE("the request completions: who ends in S, E, F after a GetS; OM_AD upgrades to M") {
  auto cell = [](const std::string& proto, const std::string& st, const std::string& ev) {
    auto p = coherence::load_protocol(proto);
    const auto& c = p.controller("snoop");
    return coherence::render_cell(c, c.state(st), c.event(ev));
  };
  CHECK(cell("MSI", "IS_AD", "Own-GetS") == "hit / S");
  CHECK(cell("MSI", "IS_AD", "Own-GetS-Excl") == "hit / S");  // no E: alone or not
  CHECK(cell("MESI", "IS_AD", "Own-GetS-Excl") == "hit / E");
  CHECK(cell("MOESI", "IS_AD", "Own-GetS") == "hit / S");
  CHECK(cell("MESIF", "IS_AD", "Own-GetS") == "hit / F");     // the newest sharer forwards
  CHECK(cell("MESIF", "IS_AD", "Own-GetS-Excl") == "hit / E");
  CHECK(cell("MOESI", "OM_AD", "Grant") == "sendUpgrade");
  CHECK(cell("MOESI", "OM_AD", "Own-Upgrade") == "hit / M");
  CHECK(cell("MOESI", "OM_AD", "Other-GetS") == "supplyData");  // still the owner while it waits
  CHECK(cell("MOESI", "OM_AD", "Other-GetM") == "supplyData / IM_AD");
  for (const auto& p : kProtocols) {
    CAPTURE(p);
    CHECK(cell(p, "SM_AD", "Other-GetM") == "- / IM_AD");
    CHECK(cell(p, "IM_AD", "Own-GetM") == "hit / M");
  }
}

TEST_CASE("parser errors name file:line:col and the nearest valid name") {
  const std::string head = "protocol T\ncontroller snoop\nstate I stable\nstate S stable readable\n";
  CHECK(parse_error(head + "transition(SS, Load) { hit; }\n") ==
        "t.table:5:1: unknown state 'SS' (did you mean 'S'?)");
  CHECK(parse_error(head + "transition(S, Laod) { hit; }\n") ==
        "t.table:5:1: unknown event 'Laod' for a snoop controller (did you mean 'Load'?)");
  CHECK(parse_error(head + "  transition(S, Load) { hti; }\n") ==
        "t.table:5:3: unknown action 'hti' for a snoop controller (did you mean 'hit'?)");
  CHECK(parse_error(head + "transition(S, Load) { hit; }\ntransition({I, S}, {Load}) { }\n") ==
        "t.table:6:1: transition (S, Load) already defined at line 5");
  CHECK(parse_error("protocol T\n# nothing else\n") == "t.table:1:1: no 'controller' section");
  CHECK(parse_error(head + "state M stable writeable\n") ==
        "t.table:5:16: unknown state attribute 'writeable' (did you mean 'writable'?)");
  CHECK(parse_error("protocol T\ncontroller snop\n") ==
        "t.table:2:12: unknown controller kind 'snop' (did you mean 'snoop'?)");
  CHECK(parse_error(head + "transitoin (S, Load) { hit; }\n") ==
        "t.table:5:1: unexpected 'transitoin' (did you mean 'transition'?)");
}

// ---- textbook scenarios on the bus, exact counts -------------------------------------------

TEST_CASE("three readers then a writer: its Upgrade invalidates exactly 3 copies, on every protocol") {
  // Threads 1..3 read x; thread 0 reads it last (so it holds a shared copy), then stores.
  const std::string op =
      "  bne tid, 0, rd\n  li r8, 4000\n  work r8\n  ld r1, [x]\n  st [x], 1\n  jmp fin\nrd:\n  ld r1, [x]\nfin:";
  for (const auto& proto : kProtocols) {
    CAPTURE(proto);
    Directed d(4, staggered(op), proto);
    CHECK(d.s.coherence.gets == 4);
    CHECK(d.s.coherence.upgrades == 1);
    CHECK(d.s.coherence.getm == 0);
    CHECK(d.s.coherence.invalidations == 3);
    CHECK(d.s.coherence.bus_transactions == 5);
    CHECK(d.state(0, "x") == "M");
    for (int c = 1; c < 4; ++c) CHECK(d.state(c, "x") == "I");
    CHECK(d.word("x") == 1);
  }
}

TEST_CASE("a lone reader then a store: MSI pays S + Upgrade, MESI/MOESI/MESIF get E and store silently") {
  const std::string op = "  ld r1, [x]\n  st [x], 5";
  Directed msi(1, staggered(op), "MSI");
  CHECK(msi.s.coherence.gets == 1);
  CHECK(msi.s.coherence.upgrades == 1);
  CHECK(msi.s.coherence.bus_transactions == 2);
  CHECK(msi.state(0, "x") == "M");
  for (const char* proto : {"MESI", "MOESI", "MESIF"}) {
    CAPTURE(proto);
    Directed d(1, staggered("  ld r1, [x]"), proto);
    CHECK(d.state(0, "x") == "E");
    Directed w(1, staggered(op), proto);
    CHECK(w.s.coherence.bus_transactions == 1);  // E -> M: 0 bus transactions
    CHECK(w.s.coherence.upgrades == 0);
    CHECK(w.state(0, "x") == "M");
    CHECK(w.word("x") == 5);
  }
  Directed msi_read(1, staggered("  ld r1, [x]"), "MSI");
  CHECK(msi_read.state(0, "x") == "S");  // no E: a GetS always ends in S
}

TEST_CASE("M read by another core: MOESI -> O with 0 writebacks; MSI/MESI -> S with 1; MESIF -> S, reader F") {
  const std::string op = "  beq tid, 1, rd\n  st [x], 7\n  jmp fin\nrd:\n  ld r1, [x]\n  st [y], r1\nfin:";
  struct Want { const char* proto; const char* writer; const char* reader; uint64_t wb; };
  for (auto w : {Want{"MSI", "S", "S", 1}, Want{"MESI", "S", "S", 1}, Want{"MOESI", "O", "S", 0},
                 Want{"MESIF", "S", "F", 1}}) {
    CAPTURE(w.proto);
    Directed d(2, staggered(op), w.proto);
    CHECK(d.state(0, "x") == w.writer);
    CHECK(d.state(1, "x") == w.reader);
    CHECK(d.s.coherence.writebacks == w.wb);
    CHECK(d.s.coherence.cache_to_cache == 1);
    CHECK(d.word("y") == 7);
    CHECK(d.word("x") == 7);
  }
}

TEST_CASE("MOESI: O answers every later reader and upgrades without data; still no writeback") {
  // Core 0 writes, cores 1 and 2 read (from O), core 0 writes again (O -> OM_AD -> M).
  const std::string op =
      "  bne tid, 0, rd\n  st [x], 7\n  li r8, 3500\n  work r8\n  st [x], 8\n  jmp fin\nrd:\n  ld r1, [x]\nfin:";
  Directed d(3, staggered(op), "MOESI");
  CHECK(d.s.coherence.getm == 1);
  CHECK(d.s.coherence.gets == 2);
  CHECK(d.s.coherence.cache_to_cache == 2);  // both readers served by the owner
  CHECK(d.s.coherence.memory_reads == 1);    // only the first GetM
  CHECK(d.s.coherence.upgrades == 1);        // O + Store: Upgrade, the data is already there
  CHECK(d.s.coherence.invalidations == 2);
  CHECK(d.s.coherence.writebacks == 0);
  CHECK(d.state(0, "x") == "M");
  CHECK(d.word("x") == 8);
}

TEST_CASE("MESIF: the newest reader holds F and supplies cache to cache; S copies stay silent") {
  const std::string op = "  ld r1, [x]";
  Directed f(3, staggered(op), "MESIF");
  CHECK(f.state(0, "x") == "S");
  CHECK(f.state(1, "x") == "S");
  CHECK(f.state(2, "x") == "F");
  CHECK(f.s.coherence.memory_reads == 1);     // only the first reader
  CHECK(f.s.coherence.cache_to_cache == 2);   // E supplies the second, F the third
  CHECK(f.s.coherence.writebacks == 0);
  // The same three reads on MESI: once E is gone, nobody answers and memory does.
  Directed m(3, staggered(op), "MESI");
  CHECK(m.s.coherence.memory_reads == 2);
  CHECK(m.s.coherence.cache_to_cache == 1);
  // and on MSI every read goes to memory.
  Directed s(3, staggered(op), "MSI");
  CHECK(s.s.coherence.memory_reads == 3);
  CHECK(s.s.coherence.cache_to_cache == 0);
}

TEST_CASE("MOESI: evicting O writes the dirty data back with a PutM") {
  // Core 1 reads core 0's dirty x (core 0 -> O), then core 0 touches 2 lines of x's set.
  lockstep::config::Point p = testing::point(2, "x", 1, 0);
  p.machine.protocol = "MOESI";
  p.machine.l1 = {1, 2, 4, 64};  // 8 sets: lines 8 apart collide
  p.workload.critical_section = {0, 0, 0};
  p.workload.outside.cycles = 0;
  auto prog = testing::assemble(R"(lock evict
capacity 2
.array a 32
acquire:
  li  r1, 0
  beq tid, 1, rd
  st  [a @ r1], 9
  li  r8, 2000
  work r8
  li  r1, 8
  ld  r2, [a @ r1]
  li  r1, 16
  ld  r2, [a @ r1]
  ret
rd:
  work 1000
  ld  r2, [a @ r1]
  ret
release:
  ret
)", 2);
  lockstep::sim::Machine m(p, {}, &prog);
  auto s = m.run();
  CHECK(s.coherence.writebacks == 1);  // the PutM of O, nothing at the M -> O read
  CHECK(m.l1(0).state_of(m.arena_base() / 64) == nullptr);
  CHECK(m.peek(m.arena_base()) == 9);
}

// ---- locks on every protocol ---------------------------------------------------------------

TEST_CASE("ticket lock: MOESI makes 0 writebacks per acquisition where MESI makes at least 1") {
  for (int n : {4, 8}) {
    CAPTURE(n);
    auto p = testing::point(n, "ticket", 100, 20);
    p.machine.protocol = "MESI";
    auto mesi = lockstep::sim::Machine(p).run();
    p.machine.protocol = "MOESI";
    auto moesi = lockstep::sim::Machine(p).run();
    CHECK(moesi.coherence.writebacks == 0);
    CHECK(mesi.coherence.writebacks >= mesi.acquisitions);
    CHECK(moesi.acquisitions == mesi.acquisitions);
  }
}

TEST_CASE("every built-in lock on MSI, MOESI and MESIF: mutual exclusion, invariants, fast-forward on = off") {
  for (const char* proto : {"MSI", "MOESI", "MESIF"}) {
    for (const auto& lock : kLocks) {
      for (int n : {3, 8}) {
        CAPTURE(proto);
        CAPTURE(lock);
        CAPTURE(n);
        auto p = testing::point(n, lock, 25, 5);
        p.machine.protocol = proto;
        p.run.check_invariants = true;
        p.workload.outside = {"exponential", 0, 0, 0, 150};
        p.workload.critical_section = {20, 1, 2};
        p.seed = uint64_t(n) + 11;
        stats::Point on, off;
        REQUIRE_NOTHROW(on = lockstep::sim::Machine(p).run());  // throws on a violation or lost update
        p.run.fast_forward = false;
        REQUIRE_NOTHROW(off = lockstep::sim::Machine(p).run());
        CHECK(on.acquisitions == uint64_t(25 * n));
        CHECK(stats_line(on) == stats_line(off));
      }
    }
  }
}

// ---- protocol show -------------------------------------------------------------------------

TEST_CASE("protocol show: Markdown matrix, DOT that Graphviz accepts, unknown names exit 2") {
  auto md = lockstep_cmd("protocol show moesi");
  CHECK(md.status == 0);
  CHECK(md.out.find("| O | stable | readable dirty owner |") != std::string::npos);
  CHECK(md.out.find("| OM_AD | transient | readable dirty owner |") != std::string::npos);
  CHECK(md.out.find("| **M** | hit | hit | sendPutM / I | | | | | | supplyData / O | supplyData / I | |") !=
        std::string::npos);
  auto dot = lockstep_cmd("protocol show MESIF --format dot");
  CHECK(dot.status == 0);
  CHECK(dot.out.rfind("digraph \"MESIF snoop\" {", 0) == 0);
  CHECK(dot.out.find("\"IS_AD\" [style=dashed") != std::string::npos);
  CHECK(dot.out.find("\"F\" -> \"S\" [label=\"Other-GetS / supplyData\\l\"]") != std::string::npos);
  if (std::system("command -v dot >/dev/null 2>&1") == 0) {
    for (const auto& proto : kProtocols) {
      CAPTURE(proto);
      auto r = lockstep_cmd("protocol show " + proto + " --format dot | dot -Tsvg >/dev/null && echo DOT-OK");
      CHECK(r.out.find("DOT-OK") != std::string::npos);
    }
  }
  auto bad = lockstep_cmd("protocol show MOESY");
  CHECK(bad.status == 2);
  CHECK(bad.out.find("did you mean 'MOESI'") != std::string::npos);
  auto file = lockstep_cmd("protocol show '" + std::string(LOCKSTEP_SOURCE_DIR) + "/tests/data/broken/msi_s_store_hit.table'");
  CHECK(file.status == 0);
  CHECK(file.out.find("| **S** | hit | hit / M |") != std::string::npos);  // renders what runs, bug included
}

// ---- the random tester ---------------------------------------------------------------------

TEST_CASE("random tester: at least 10^6 operations per good snoop protocol, no violation") {
  for (const auto& proto : kProtocols) {
    CAPTURE(proto);
    check::TesterOptions o;
    o.protocol = proto;  // defaults: 8 cores, 10 seeds x 100000 operations
    auto r = check::run_random_tester(o);
    CHECK_FALSE(r.failure.has_value());
    if (r.failure) MESSAGE(r.failure->message);
    CHECK(r.operations >= 1000000);
    CHECK(r.seeds_run == 10);
  }
}

TEST_CASE("random tester: at least 10^6 operations per protocol on every directory fabric, no violation") {
  for (const char* topo : {"crossbar", "ring", "mesh", "numa"}) {
    for (const auto& proto : kProtocols) {
      CAPTURE(proto);
      CAPTURE(topo);
      check::TesterOptions o;
      o.protocol = proto;
      o.coherence = "directory";
      o.topology = topo;
      auto r = check::run_random_tester(o);
      CHECK_FALSE(r.failure.has_value());
      if (r.failure) MESSAGE(r.failure->message);
      CHECK(r.operations >= 1000000);
    }
  }
}

TEST_CASE("random tester: every broken table in tests/data/broken is caught (exit 3 or 4, as its header says)") {
  const fs::path dir = fs::path(LOCKSTEP_SOURCE_DIR) / "tests/data/broken";
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".table") continue;
    ++n;
    CAPTURE(e.path().filename().string());
    std::ifstream in(e.path());
    std::stringstream ss;
    ss << in.rdbuf();
    std::smatch m;
    const std::string text = ss.str();
    REQUIRE(std::regex_search(text, m, std::regex("Expected: .*exit ([34])")));
    const int want = std::stoi(m[1].str());
    auto r = lockstep_cmd("check protocol '" + e.path().string() + "' --seeds 3 --ops 20000");
    CHECK(r.status == want);
    CHECK(r.out.find("minimal case: seed") != std::string::npos);
    // The printed trace: at most 50 events.
    size_t events = 0;
    for (size_t at = r.out.find("\n    "); at != std::string::npos; at = r.out.find("\n    ", at + 1)) ++events;
    CHECK(events <= 50);
  }
  CHECK(n >= 10);
}

TEST_CASE("random tester: broken directory tables are caught on a mesh and on numa") {
  const fs::path dir = fs::path(LOCKSTEP_SOURCE_DIR) / "tests/data/broken-directory";
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".table") continue;
    ++n;
    CAPTURE(e.path().filename().string());
    for (std::string topo : {"mesh", "numa"}) {
      CAPTURE(topo);
      // numa also exercises the minimiser on a fabric that cannot be built for every core count.
      auto r = lockstep_cmd("check protocol '" + e.path().string() + "' --coherence directory --topology " + topo +
                            " --seeds 3 --ops 20000");
      CHECK(r.status == 3);
      CHECK(r.out.find("minimal case: seed") != std::string::npos);
    }
  }
  CHECK(n >= 4);
}

TEST_CASE("check protocol: the four good tables pass on the command line; bad arguments exit 2") {
  for (const auto& proto : kProtocols) {
    CAPTURE(proto);
    auto r = lockstep_cmd("check protocol " + proto + " --seeds 2 --ops 20000 --cores 4");
    CHECK(r.status == 0);
    CHECK(r.out.find("ok: ") != std::string::npos);
    CHECK(r.out.find("ops/s") != std::string::npos);
  }
  CHECK(lockstep_cmd("check protocol MOSI").status == 2);
  CHECK(lockstep_cmd("check protcol MESI").status == 2);
  CHECK(lockstep_cmd("check protocol MESI --coherence snop").status == 2);
}

TEST_CASE("random tester: a failure is minimised and its trace stays on the failing line") {
  check::TesterOptions o;
  o.protocol = std::string(LOCKSTEP_SOURCE_DIR) + "/tests/data/broken/mesi_no_bus_request.table";
  o.seeds = 2;
  o.ops = 20000;
  auto r = check::run_random_tester(o);
  REQUIRE(r.failure.has_value());
  CHECK(r.failure->exit_code == 4);
  CHECK(r.failure->cores == 1);  // one core's first load miss is enough
  CHECK(r.failure->ops_per_core == 1);
  CHECK(r.failure->repetitions == 1);

  o.protocol = std::string(LOCKSTEP_SOURCE_DIR) + "/tests/data/broken/msi_s_store_hit.table";
  r = check::run_random_tester(o);
  REQUIRE(r.failure.has_value());
  CHECK(r.failure->exit_code == 3);
  CHECK(r.failure->cores < o.cores);
  CHECK(r.failure->trace.size() <= 50);
  REQUIRE_FALSE(r.failure->trace.empty());
  for (const auto& e : r.failure->trace) CHECK(e.find("line " + r.failure->trace_scope.substr(5) + " ") != std::string::npos);
}

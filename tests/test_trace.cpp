// Trace writers (sim/trace, docs/trace.md): each format parsed back, with exact counts for a
// small directed run derived by hand, and the `lockstep step` table's classic walkthroughs.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_helpers.hpp"
#include "common/error.hpp"
#include "run/machine.hpp"
#include "sim_helpers.hpp"
#include "trace/step.hpp"
#include "trace/writer.hpp"

using namespace lockstep;
namespace fs = std::filesystem;
using testing::TempDir;

namespace {

// Ticket lock, 2 cores, 2 acquisitions each, no warm-up, a 1,000-cycle critical section that
// touches no data and no outside work, MESI on the atomic bus. By hand (N = next, O = owner):
//   1 P0 GetM N (memory)     2 P1 GetM N (from P0, inv 1)   3 P0 GetS O (memory: E)
//   4 P1 GetS O (from P0: both S; P1 has ticket 1 and spins)
//   5 P0 Upgrade O (release, inv P1)  6 P1 GetS O (P1's turn)  7 P0 GetM N (ticket 2, inv P1)
//   8 P1 Upgrade O (release, inv P0)  9 P0 GetS O               10 P1 GetM N (ticket 3, inv P0)
//  11 P0 Upgrade O (inv P1)         12 P1 GetS O              13 P1 Upgrade O (inv P0)
// (6/7 and 9/10 are requested close together; their order does not change the counts.)
// 13 transactions: P0 6 (2 GetM, 2 GetS, 2 Upgrade), P1 7 (2 GetM, 3 GetS, 2 Upgrade);
// at the end P1 holds next and owner in M, P0 holds neither.
config::Point directed_ticket() {
  auto p = testing::point(2, "ticket", 2, 0);
  p.workload.critical_section = {1000, 0, 0};
  p.workload.outside.cycles = 0;
  return p;
}

struct Traced {
  TempDir dir{"lockstep-trace"};
  std::string text, json, vcd;
  stats::Point st;
  std::vector<std::vector<std::string>> final_states;  // [lock line][core]
  std::vector<std::string> line_names;
  Traced(const config::Point& p, const std::string& formats, bool warmup = false) {
    sim::SimOptions o;
    o.trace_format = formats;
    o.trace_path = (dir.path / "trace.txt").string();
    o.trace_warmup = warmup;
    {
      sim::Machine m(p, o);
      st = m.run();
      const trace::Context c = m.trace_context();
      trace::Names names(c);
      for (uint64_t l : names.lock_lines()) {
        line_names.push_back(names.line(l));
        std::vector<std::string> row;
        for (int k = 0; k < c.cores; ++k) row.push_back(c.states[size_t(c.state(k, l))]);
        final_states.push_back(row);
      }
    }
    text = testing::slurp(dir.path / "trace.txt");
    json = testing::slurp(dir.path / "trace.json");
    vcd = testing::slurp(dir.path / "trace.vcd");
  }
};

using testing::count_of;
using testing::lines_of;

}  // namespace

TEST_CASE("--trace formats: a comma list of text, perfetto, vcd; anything else is refused by name") {
  CHECK(trace::parse_formats("text") == std::vector<std::string>{"text"});
  CHECK(trace::parse_formats("vcd,text,vcd") == std::vector<std::string>{"vcd", "text"});
  CHECK(trace::parse_formats("text,perfetto,vcd").size() == 3);
  CHECK_THROWS_WITH_AS(trace::parse_formats("xml"),
                       "--trace: unknown format 'xml' (expected text, perfetto or vcd, or a comma list of them)", InputError);
  CHECK_THROWS_WITH_AS(trace::parse_formats("text,,vcd"), doctest::Contains("unknown format ''"), InputError);
  CHECK(trace::file_for("perfetto", "/d/points/p/trace.txt") == "/d/points/p/trace.json");
  CHECK(trace::file_for("vcd", "/d/points/p/trace.txt") == "/d/points/p/trace.vcd");
}

TEST_CASE("perfetto: spans per core are paired, ordered, non-overlapping; 13 coherence requests named by variable") {
  Traced t(directed_ticket(), "perfetto");
  // The machine agrees with the hand count above.
  REQUIRE(t.st.coherence.getm == 4);
  REQUIRE(t.st.coherence.gets == 5);
  REQUIRE(t.st.coherence.upgrades == 4);

  const auto j = nlohmann::json::parse(t.json);
  const auto& ev = j.at("traceEvents");
  std::map<int, std::vector<std::pair<uint64_t, uint64_t>>> spans;  // tid -> (ts, dur)
  std::map<std::string, int> span_names;
  std::map<int, int> requests;  // tid -> coherence instants
  std::map<std::string, int> request_names;
  int bus = 0, begins = 0, ends = 0;
  for (const auto& e : ev) {
    const std::string ph = e.at("ph");
    if (ph == "X" && e.at("pid") == 1) {
      spans[e.at("tid").get<int>()].push_back({e.at("ts").get<uint64_t>(), e.at("dur").get<uint64_t>()});
      ++span_names[e.at("name").get<std::string>()];
    } else if (ph == "X" && e.at("pid") == 2) {
      ++bus;
    } else if (ph == "i") {
      CHECK(e.at("cat").get<std::string>() == "coherence");
      ++requests[e.at("tid").get<int>()];
      ++request_names[e.at("name").get<std::string>()];
    } else if (ph == "b") {
      ++begins;
    } else if (ph == "e") {
      ++ends;
    }
  }
  // 2 acquisitions per core: 2 acquire-wait, 2 critical-section, 2 release spans each, and
  // one outside span between them (the last release-return ends the thread).
  CHECK(span_names["acquire-wait"] == 4);
  CHECK(span_names["critical-section"] == 4);
  CHECK(span_names["release"] == 4);
  CHECK(span_names["outside"] == 2);
  CHECK(spans.size() == 2);
  for (auto& [tid, s] : spans) {
    CAPTURE(tid);
    CHECK(s.size() == 7);
    for (size_t i = 1; i < s.size(); ++i) CHECK(s[i - 1].first + s[i - 1].second <= s[i].first);
    // Critical sections last exactly the 1,000 cycles of work plus nothing else.
  }
  CHECK(requests[0] == 6);
  CHECK(requests[1] == 7);
  CHECK(request_names["GetM next"] == 4);
  CHECK(request_names["GetS owner"] == 5);
  CHECK(request_names["Upgrade owner"] == 4);
  CHECK(bus == 13);  // one tenure per transaction on the bus track
  CHECK(begins == 0);  // no network on a bus
  CHECK(ends == 0);
}

TEST_CASE("perfetto and text name the word a core misses on: MCS's spin is on node[k]+8") {
  // 3 threads, one acquisition each, a long critical section: P0 takes the lock, P1 links
  // into node[0], P2 into node[1] — that store takes P1's node line, so P1's next spin read
  // misses, on node[1]+8 (its own `locked` word).
  auto p = testing::point(3, "mcs", 1, 0);
  p.workload.critical_section = {4000, 0, 0};
  p.workload.outside.cycles = 0;
  Traced t(p, "text,perfetto");
  const auto doc = nlohmann::json::parse(t.json);
  int spin_misses = 0;
  for (const auto& e : doc.at("traceEvents"))
    if (e.at("ph").get<std::string>() == "i" && e.at("name").get<std::string>() == "GetS node[1]+8") {
      ++spin_misses;
      CHECK(e.at("tid").get<int>() == 1);
    }
  CHECK(spin_misses >= 1);
  CHECK(t.text.find(" core1 GetS node[1]+8 line 0x10080 ") != std::string::npos);
  CHECK(t.text.find(" core2 GetM node[1] line 0x10080 ") != std::string::npos);  // P2 links in: st [r2], r1
}

TEST_CASE("perfetto: critical sections never overlap across cores (mutual exclusion on the timeline)") {
  Traced t(directed_ticket(), "perfetto");
  std::vector<std::pair<uint64_t, uint64_t>> cs;
  const auto doc = nlohmann::json::parse(t.json);  // (a temporary would die before the loop)
  for (const auto& e : doc.at("traceEvents"))
    if (e.at("ph").get<std::string>() == "X" && e.at("name").get<std::string>() == "critical-section") {
      cs.push_back({e.at("ts").get<uint64_t>(), e.at("ts").get<uint64_t>() + e.at("dur").get<uint64_t>()});
      CHECK(e.at("dur").get<uint64_t>() >= 1000);
    }
  REQUIRE(cs.size() == 4);
  std::sort(cs.begin(), cs.end());
  for (size_t i = 1; i < cs.size(); ++i) CHECK(cs[i - 1].second <= cs[i].first);
}

TEST_CASE("text: variables by name, acquire/release events, the same 13 transactions") {
  Traced t(directed_ticket(), "text");
  CHECK(count_of(t.text, " acquire-call\n") == 4);
  CHECK(count_of(t.text, " acquire-return\n") == 4);
  CHECK(count_of(t.text, " release-call\n") == 4);
  CHECK(count_of(t.text, " release-return\n") == 4);
  CHECK(count_of(t.text, " GetM next line 0x10000 ") == 4);
  CHECK(count_of(t.text, " GetS owner line 0x10040 ") == 5);
  CHECK(count_of(t.text, " Upgrade owner line 0x10040 data none ") == 4);
  CHECK(t.text.find("# lock lines: next=0x10000 owner=0x10040\n") != std::string::npos);
  // The first transaction: P0's faa on next, from memory.
  CHECK(t.text.find("\n0 core0 acquire-call\n") != std::string::npos);
  CHECK(t.text.find(" core0 GetM next line 0x10000 data memory inv 0 ") != std::string::npos);
  CHECK(t.text.find(" core1 GetM next line 0x10000 data core0 inv 1 ") != std::string::npos);
  // Cycles never go back.
  uint64_t last = 0;
  for (const auto& l : lines_of(t.text)) {
    if (l.empty() || l[0] == '#') continue;
    const uint64_t c = std::stoull(l);
    CHECK(c >= last);
    last = c;
  }
}

TEST_CASE("text and perfetto leave out the warm-up unless asked") {
  auto p = directed_ticket();
  p.workload.warmup_acquisitions = 1;  // per thread: 1 warm-up acquisition, then 2 measured
  p.workload.acquisitions_per_thread = 2;
  Traced cut(p, "text,perfetto");
  Traced all(p, "text,perfetto", true);
  // The window opens at the 2nd acquire-return (both threads' warm-up acquisitions done).
  const auto open = cut.text.find(" warm-up ends: counters reset\n");
  REQUIRE(open != std::string::npos);
  CHECK(cut.text.find("# the warm-up is left out") != std::string::npos);
  const uint64_t at = std::stoull(cut.text.substr(cut.text.rfind('\n', open) + 1));
  for (const auto& l : lines_of(cut.text)) {
    if (l.empty() || l[0] == '#') continue;
    CHECK(std::stoull(l) >= at);
  }
  // With the warm-up: all 3 acquisitions per core; without it, the calls made after the
  // 2nd acquire-return only (at most the 4 measured ones).
  CHECK(count_of(all.text, " acquire-call\n") == 6);
  CHECK(count_of(cut.text, " acquire-call\n") <= 4);
  CHECK(count_of(cut.text, " acquire-call\n") >= 2);
  CHECK(all.text.find("\n0 core0 acquire-call\n") != std::string::npos);
  CHECK(count_of(all.json, "\"acquire-wait\"") == 6);
  CHECK(count_of(cut.json, "\"acquire-wait\"") < 6);
  const auto doc = nlohmann::json::parse(cut.json);
  for (const auto& e : doc.at("traceEvents"))
    if (e.contains("ts")) CHECK(e.at("ts").get<uint64_t>() >= at);
}

TEST_CASE("vcd: header, one signal per (lock line, L1), well-formed changes, final states = the L1s'") {
  Traced t(directed_ticket(), "vcd");
  const auto ls = lines_of(t.vcd);
  REQUIRE(!ls.empty());
  CHECK(t.vcd.find("$timescale 1 ns $end\n") != std::string::npos);
  CHECK(t.vcd.find("$enddefinitions $end\n") != std::string::npos);
  // MESI has 4 stable states in the snooping table, maybe transients: 2+ bits.
  std::map<std::string, std::string> var_of;  // id -> "scope.Pn"
  std::string scope;
  int vars = 0;
  size_t defs_end = 0;
  for (size_t i = 0; i < ls.size(); ++i) {
    std::istringstream w(ls[i]);
    std::string k;
    w >> k;
    if (k == "$scope") {
      std::string kind, name;
      w >> kind >> name;
      scope = name;
    } else if (k == "$var") {
      std::string type, id, name;
      int width = 0;
      w >> type >> width >> id >> name;
      CHECK(type == "wire");
      CHECK(width >= 2);
      var_of[id] = scope + "." + name;
      ++vars;
    } else if (k == "$enddefinitions") {
      defs_end = i;
      break;
    }
  }
  CHECK(vars == 4);  // next and owner, in 2 L1s
  CHECK(var_of.size() == 4);
  std::set<std::string> scopes;
  for (auto& [id, v] : var_of) scopes.insert(v.substr(0, v.find('.')));
  CHECK(scopes == std::set<std::string>{"next", "owner"});

  // Encoding from the $comment: "00=I 01=S ..."
  std::map<std::string, std::string> code;
  {
    const auto c = t.vcd.find("encoded:");
    REQUIRE(c != std::string::npos);
    std::istringstream w(t.vcd.substr(c + 8, t.vcd.find(" (translate", c) - c - 8));
    for (std::string kv; w >> kv;) code[kv.substr(0, kv.find('='))] = kv.substr(kv.find('=') + 1);
  }
  CHECK(code.size() >= 4);

  std::map<std::string, std::string> value;  // id -> state name
  long long time = -1;
  int changes = 0;
  for (size_t i = defs_end + 1; i < ls.size(); ++i) {
    const auto& l = ls[i];
    if (l.empty() || l == "$dumpvars" || l == "$end") continue;
    if (l[0] == '#') {
      const long long now = std::stoll(l.substr(1));
      CHECK(now > time);  // strictly increasing timestamps
      time = now;
      continue;
    }
    REQUIRE(l[0] == 'b');
    const auto sp = l.find(' ');
    REQUIRE(sp != std::string::npos);
    const std::string bits = l.substr(1, sp - 1), id = l.substr(sp + 1);
    CHECK(bits.find_first_not_of("01") == std::string::npos);
    REQUIRE(var_of.count(id));
    REQUIRE(code.count(bits));
    value[id] = code[bits];
    ++changes;
  }
  CHECK(changes > 4);  // more than the initial dump
  // The last value of each signal is what the machine's L1 holds at the end; by hand: P1 has
  // next and owner in M, P0 neither.
  std::map<std::string, std::string> final_vcd;
  for (auto& [id, v] : var_of) final_vcd[v] = value[id];
  CHECK(final_vcd["next.P0"] == "I");
  CHECK(final_vcd["next.P1"] == "M");
  CHECK(final_vcd["owner.P0"] == "I");
  CHECK(final_vcd["owner.P1"] == "M");
  REQUIRE(t.line_names == std::vector<std::string>{"next", "owner"});
  for (size_t li = 0; li < 2; ++li)
    for (int c = 0; c < 2; ++c)
      CHECK(final_vcd[t.line_names[li] + ".P" + std::to_string(c)] == t.final_states[li][size_t(c)]);
  CHECK(testing::slurp(t.dir.path / "trace.vcd.states").find(" M\n") != std::string::npos);
}

TEST_CASE("directory: messages as async spans (every b has its e), requests named by variable") {
  auto p = directed_ticket();
  p.machine.coherence = "directory";
  p.machine.interconnect.topology = "crossbar";
  Traced t(p, "text,perfetto,vcd");
  int b = 0, e = 0, req = 0;
  std::set<uint64_t> open;
  const auto doc = nlohmann::json::parse(t.json);
  for (const auto& x : doc.at("traceEvents")) {
    if (x.at("ph").get<std::string>() == "b") {
      ++b;
      CHECK(open.insert(x.at("id").get<uint64_t>()).second);
    } else if (x.at("ph").get<std::string>() == "e") {
      ++e;
      CHECK(open.erase(x.at("id").get<uint64_t>()) == 1);
    } else if (x.at("ph").get<std::string>() == "i") {
      ++req;
      const std::string n = x.at("name");
      CHECK((n.find(" next") != std::string::npos || n.find(" owner") != std::string::npos));
    }
  }
  CHECK(b == int(t.st.coherence.messages));
  CHECK(b == e);
  CHECK(open.empty());
  // Every GetS/GetM a core sends is one request on its track (no Put: nothing is evicted;
  // the Data an owner writes back to the home on a Fwd-GetS is not a request).
  CHECK(req == int(t.st.coherence.messages_by_type["GetS"] + t.st.coherence.messages_by_type["GetM"]));
  CHECK(count_of(t.text, " GetM core0 home") >= 1);
  CHECK(t.text.find(" next line 0x10000 acks ") != std::string::npos);
  // The VCD still ends in the L1s' final states.
  CHECK(t.vcd.find("$enddefinitions $end") != std::string::npos);
}

namespace {

struct StepRow {
  uint64_t cycle;
  int core;
  std::string op, var, request;
  std::vector<std::string> states;
};

// Runs the step table for `lock` on `cores` cores the way `lockstep step LOCK` does.
std::vector<StepRow> step_rows(const std::string& lock, int cores, int max_rows, std::string* text = nullptr) {
  auto p = testing::point(cores, lock, 1, 0);
  p.workload.critical_section = {4000, 0, 0};
  p.workload.outside.cycles = 0;
  sim::Machine m(p);
  std::ostringstream out;
  trace::StepTable table(m.trace_context(), m.stable_states(), out, max_rows, false);
  m.subscribe(&table);
  try {
    m.run();
  } catch (const trace::StepLimit&) {
  }
  if (text) *text = out.str();
  std::vector<StepRow> rows;
  auto ls = lines_of(out.str());
  for (size_t i = 1; i < ls.size(); ++i) {
    const std::string& l = ls[i];
    StepRow r;
    r.cycle = std::stoull(l.substr(0, 8));
    r.core = std::stoi(l.substr(11, 3));
    r.op = l.substr(16, 24);
    r.op.erase(r.op.find_last_not_of(' ') + 1);
    std::istringstream w(l.substr(42));
    w >> r.var >> r.request;
    for (std::string s; w >> s;) r.states.push_back(s);
    REQUIRE(r.states.size() == size_t(cores));
    rows.push_back(r);
  }
  return rows;
}

}  // namespace

TEST_CASE("step: ticket at 8 cores, the classic walkthrough") {
  std::string text;
  const auto rows = step_rows("ticket", 8, 200, &text);
  CAPTURE(text);
  REQUIRE(rows.size() > 20);
  // P0 takes ticket 0 first: a GetM on next from memory, the line in M at P0 only.
  CHECK(rows[0].core == 0);
  CHECK(rows[0].op == "faa r1, [next], 1");
  CHECK(rows[0].var == "next");
  CHECK(rows[0].request == "GetM");
  CHECK(rows[0].states == std::vector<std::string>{"M", "I", "I", "I", "I", "I", "I", "I"});
  // Before the first release every core has taken a ticket (8 GetM on next) and read owner
  // once (8 GetS): P0 first (E), then each reader joins in S.
  size_t rel = 0;
  while (rel < rows.size() && rows[rel].op.rfind("st [owner]", 0) != 0) ++rel;
  REQUIRE(rel < rows.size());
  int getm_next = 0, gets_owner = 0;
  for (size_t i = 0; i < rel; ++i) {
    getm_next += rows[i].var == "next" && rows[i].request == "GetM";
    gets_owner += rows[i].var == "owner" && rows[i].request == "GetS";
  }
  CHECK(getm_next == 8);
  CHECK(gets_owner == 8);
  // Just before the release, all eight hold owner in S (the seven waiters spin on it).
  size_t last_owner = rel;
  for (size_t i = 0; i < rel; ++i)
    if (rows[i].var == "owner") last_owner = i;
  REQUIRE(last_owner < rel);
  CHECK(rows[last_owner].states == std::vector<std::string>(8, "S"));
  // The release's store: P0 upgrades owner; afterwards P0 holds it in M, the other seven in I.
  CHECK(rows[rel].core == 0);
  CHECK(rows[rel].var == "owner");
  CHECK(rows[rel].request == "Upgrade");
  CHECK(rows[rel].states == std::vector<std::string>{"M", "I", "I", "I", "I", "I", "I", "I"});
  // Then the seven waiters re-read owner: seven GetS in a row, P0's copy downgraded to S.
  int rereads = 0;
  for (size_t i = rel + 1; i < rows.size() && rows[i].var == "owner" && rows[i].request == "GetS"; ++i) ++rereads;
  CHECK(rereads == 7);
  CHECK(rows[rel + 7].states == std::vector<std::string>(8, "S"));
}

TEST_CASE("step: MCS at 8 cores, every waiter spins on its own node line (no one else's copy is touched)") {
  // By hand: the threads queue in the order of their xchg on tail (P0 first, it takes the
  // lock). Thread k's node line (next and locked share it) is touched only by k, by its
  // successor (which links itself in: st [r2], r1 on k's next) and by its predecessor (the
  // handoff: st [r2 + 8], 0 on k's locked) — never by the other five.
  // A waiter's spin (ld r3, [r1 + 8]) misses on its own node only: once after its successor
  // linked in (that store took the line; the last waiter has no successor) and once after
  // the handoff: 6 + 7 = 13 misses. Each handoff leaves the line in the releaser's L1 alone.
  std::string text;
  const auto rows = step_rows("mcs", 8, 400, &text);
  CAPTURE(text);
  REQUIRE(rows.size() > 20);
  std::vector<int> queue;  // core order of the xchg on tail
  for (const auto& r : rows)
    if (r.op == "xchg r2, [tail], r1") queue.push_back(r.core);
  REQUIRE(queue.size() == 8);
  std::map<int, int> pred, succ;
  for (size_t i = 1; i < queue.size(); ++i) {
    pred[queue[i]] = queue[i - 1];
    succ[queue[i - 1]] = queue[i];
  }
  int spins = 0, handoffs = 0;
  for (const auto& r : rows) {
    if (r.var.rfind("node[", 0) != 0) continue;
    const int owner = std::stoi(r.var.substr(5));
    for (int c = 0; c < 8; ++c) {
      const bool involved = c == owner || c == r.core || (succ.count(owner) && succ[owner] == c) ||
                            (pred.count(owner) && pred[owner] == c);
      if (!involved) CHECK_MESSAGE(r.states[size_t(c)] == "I", "P" << c << " holds node[" << owner << "] at cycle " << r.cycle);
    }
    if (r.op == "ld r3, [r1 + 8]") {  // the spin: its own node's locked word
      ++spins;
      CHECK(r.var == "node[" + std::to_string(r.core) + "]+8");
    }
    if (r.op == "st [r2 + 8], 0") {  // the handoff to the successor
      ++handoffs;
      CHECK(owner == succ[r.core]);
      std::vector<std::string> only(8, "I");
      only[size_t(r.core)] = "M";
      CHECK(r.states == only);
    }
  }
  CHECK(spins == 13);
  CHECK(handoffs == 7);
}

TEST_CASE("lockstep step: the command prints the table and stops at --until; bad input exits 2") {
  auto r = testing::lockstep("step ticket --cores 4 --until 5");
  REQUIRE_MESSAGE(r.status == 0, r.err);
  CHECK(r.out.find("# ticket (builtin:ticket) on 4 cores, MESI snooping bus") != std::string::npos);
  CHECK(r.out.find("   cycle  core  micro-op") != std::string::npos);
  CHECK(r.out.find("faa r1, [next], 1         next        GetM       M   I   I   I") != std::string::npos);
  CHECK(r.out.find("-- stopped after 5 rows (--until 5)\n") != std::string::npos);
  CHECK(count_of(r.out, "\n") == 2 + 1 + 5 + 1);
  r = testing::lockstep("step ticket --until 0");
  CHECK(r.status == 2);
  CHECK(r.err.find("step: --until must be at least 1 (rows to print)") != std::string::npos);
  r = testing::lockstep("step no-such-lock");
  CHECK(r.status == 2);
  CHECK(r.err.find("no-such-lock") != std::string::npos);
}

TEST_CASE("lockstep run --trace: unknown format exits 2 before the folder exists; a list writes each file") {
  TempDir d;
  const std::string yaml = d.write("x.yaml",
                                   "name: x\nmachine: {cores: 2}\n"
                                   "workload: {lock: ticket, acquisitions_per_thread: 2, warmup_acquisitions: 1}\n");
  auto r = testing::lockstep("run '" + yaml + "' -o '" + (d.path / "out").string() + "' --trace text,gantt");
  CHECK(r.status == 2);
  CHECK(r.err.find("--trace: unknown format 'gantt' (expected text, perfetto or vcd, or a comma list of them)") !=
        std::string::npos);
  CHECK(!fs::exists(d.path / "out"));
  r = testing::lockstep("run '" + yaml + "' -o '" + (d.path / "out").string() + "' --trace-warmup");
  CHECK(r.status == 2);
  CHECK(r.err.find("--trace-warmup goes with --trace") != std::string::npos);
  CHECK(!fs::exists(d.path / "out"));
  r = testing::lockstep("run '" + yaml + "' -o '" + (d.path / "out").string() + "' --trace text,perfetto,vcd");
  REQUIRE_MESSAGE(r.status == 0, r.err);
  const fs::path pt = d.path / "out" / "points";
  REQUIRE(fs::exists(pt));
  const fs::path one = fs::directory_iterator(pt)->path();
  CHECK(fs::exists(one / "trace.txt"));
  CHECK(fs::exists(one / "trace.vcd"));
  CHECK(nlohmann::json::parse(testing::slurp(one / "trace.json")).at("traceEvents").size() > 10);
}

TEST_CASE("tracing changes nothing it watches: the same figures with and without every writer") {
  for (const std::string coherence : {"snoop", "directory"}) {
    CAPTURE(coherence);
    auto p = testing::point(4, "mcs", 20, 5);
    p.machine.coherence = coherence;
    p.machine.interconnect.topology = coherence == "snoop" ? "bus" : "mesh";
    const stats::Point plain = sim::simulate(p);
    Traced t(p, "text,perfetto,vcd");
    CHECK(t.st.cycles == plain.cycles);
    CHECK(t.st.events == plain.events);
    CHECK(t.st.coherence.bus_transactions == plain.coherence.bus_transactions);
    CHECK(t.st.coherence.messages == plain.coherence.messages);
    CHECK(t.st.coherence.invalidations == plain.coherence.invalidations);
    CHECK(t.st.handoff.count() == plain.handoff.count());
    CHECK(t.st.handoff.mean() == plain.handoff.mean());
  }
}

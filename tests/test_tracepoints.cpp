// Tracepoints with a cost (issue 8 item 2, docs/observe.md "Tracepoints"): `trace NAME`,
// workload.tracepoints off | nop | on, their cycle costs derived by hand, the counts in
// stats.json, the built-in locks' sites, and the events on the stream and in the traces.
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_helpers.hpp"
#include "common/error.hpp"
#include "isa/program.hpp"
#include "output/stats_json.hpp"
#include "run/machine.hpp"
#include "sim_helpers.hpp"
#include "workload/lock_library.hpp"

using namespace lockstep;
using isa::TraceMode;

namespace {

isa::Program assemble(const std::string& src, TraceMode mode, int ncpu = 1) {
  isa::AssembleOptions o;
  o.file = "t.lock";
  o.ncpu = ncpu;
  o.tracepoints = mode;
  return isa::assemble(src, o);
}

const char* kTimed = R"(lock timed
capacity 64
.shared x
acquire:
  now   r1
  trace contention_begin
  now   r2
  trace mine
  now   r3
  trace contention_begin
  now   r4
  sub   r5, r2, r1
  sub   r6, r3, r2
  sub   r7, r4, r3
  ret
release:
  ret
)";

// One acquisition on one core running kTimed; r5..r7 = the cycles around each site.
struct Timed {
  stats::Point st;
  cpu::Regs regs{};
  std::map<std::string, int> events;
  Timed(TraceMode mode, int nop_cycles = 1, int store_buffer = 0) {
    auto p = testing::point(1, "timed", 1, 0);
    p.workload.critical_section = {0, 0, 0};
    p.workload.outside.cycles = 0;
    p.machine.core.trace_nop_cycles = nop_cycles;
    p.machine.core.store_buffer = store_buffer;
    p.workload.tracepoints = mode == TraceMode::On ? "on" : mode == TraceMode::Nop ? "nop" : "off";
    const isa::Program prog = assemble(kTimed, mode);
    struct Count : observe::Observer {
      std::map<std::string, int>* n;
      void on(const observe::Event& e) override {
        if (e.kind == observe::Ev::Tracepoint) ++(*n)[std::string(e.what) + "@" + std::to_string(e.line)];
      }
    } count;
    count.n = &events;
    sim::Machine m(p, {}, &prog);
    m.subscribe(&count);
    st = m.run();
    regs = m.core(0).lock_context().regs;
  }
};

}  // namespace

TEST_CASE("assembler: off drops the site (a label on it names the next op), nop and on keep it; .ontrace only when on") {
  const char* src = R"(lock t
.shared x
acquire:
  trace contention_begin
  .ontrace ld r2, [x]
  .ontrace beq r2, 0, out
here: trace contended_release
out:
  li r0, 1
  ret
release:
  trace contention_begin
  ret
)";
  const isa::Program off = assemble(src, TraceMode::Off);
  CHECK(off.code.size() == 3);  // acquire: li, ret; release: ret
  CHECK(off.labels.at("here") == off.labels.at("out"));
  CHECK(off.labels.at("acquire") == off.labels.at("out"));
  CHECK(off.trace_names.empty());
  const isa::Program nop = assemble(src, TraceMode::Nop);
  CHECK(nop.code.size() == 6);  // acquire: trace, trace, li, ret; release: trace, ret
  CHECK(nop.code[0].op == isa::Op::Trace);
  CHECK(nop.trace_names == std::vector<std::string>{"contention_begin", "contended_release"});
  CHECK(nop.code[nop.labels.at("release")].a.imm == 0);  // contention_begin again: same index
  const isa::Program on = assemble(src, TraceMode::On);
  CHECK(on.code.size() == 8);  // + ld, beq
  CHECK(on.code[1].op == isa::Op::Ld);
  CHECK(on.code[2].target == on.labels.at("out"));
  // The listing prints the site and reassembles to the same code.
  const std::string listing = isa::disassemble(nop);
  CHECK(listing.find("  trace   contention_begin\n") != std::string::npos);
  CHECK(assemble(listing, TraceMode::Nop).code.size() == nop.code.size());
}

TEST_CASE("assembler: trace takes one name; errors name the line and column") {
  auto fails = [](const std::string& body, const std::string& msg) {
    const std::string src = "lock t\nacquire:\n" + body + "\n  ret\nrelease:\n  ret\n";
    for (TraceMode m : {TraceMode::Off, TraceMode::On}) {
      try {
        assemble(src, m);
        FAIL("assembled: " << body);
      } catch (const InputError& e) {
        CHECK(std::string(e.what()) == msg);
      }
    }
  };
  fails("  trace r3", "t.lock:3:9: expected a tracepoint name, got register r3");
  fails("  trace", "t.lock:3:3: 'trace' takes 1 operand: trace NAME");
  fails("  trace a, b", "t.lock:3:3: 'trace' takes 1 operand: trace NAME");
  fails("  trace tid", "t.lock:3:9: 'tid' is reserved");
  fails("  .ontrace", "t.lock:3:3: expected an instruction after '.ontrace'");
  fails("  .ontrace .shared y", "t.lock:3:12: '.ontrace' takes an instruction, not a directive");
}

TEST_CASE("costs by hand: off 0 cycles, nop trace_nop_cycles, on trace_on_cycles + its buffer store (miss, then hit)") {
  // `now` costs 1 (alu). Off: now -> now = 1. Nop (7 cycles): 1 + 7.
  const Timed off(TraceMode::Off);
  CHECK(off.regs[5] == 1);
  CHECK(off.regs[6] == 1);
  CHECK(off.events.empty());
  CHECK(off.st.tracepoints.empty());
  const Timed nop(TraceMode::Nop, 7);
  CHECK(nop.regs[5] == 1 + 7);
  CHECK(nop.regs[6] == 1 + 7);
  CHECK(nop.regs[7] == 1 + 7);
  // On: the first store to the core's trace-buffer line misses to memory over the bus
  // (request 2 + data 8 + memory 120, as a load miss), the next ones hit (4); each adds 300.
  const Timed on(TraceMode::On);
  CHECK(on.regs[5] == 1 + 130 + 300);
  CHECK(on.regs[6] == 1 + 4 + 300);
  CHECK(on.regs[7] == 1 + 4 + 300);
  CHECK(on.st.per_core[0].l1_misses == nop.st.per_core[0].l1_misses + 1);
  CHECK(on.st.per_core[0].micro_ops == nop.st.per_core[0].micro_ops);
  CHECK(nop.st.per_core[0].micro_ops == off.st.per_core[0].micro_ops + 3);
  // Counted per name in the window, and one event per execution with its .lock line.
  CHECK(on.st.tracepoints == std::map<std::string, uint64_t>{{"contention_begin", 2}, {"mine", 1}});
  CHECK(nop.events == std::map<std::string, int>{{"contention_begin@6", 1}, {"contention_begin@10", 1}, {"mine@8", 1}});
  // With a store buffer the probe's store retires into it: the probe's cycles only.
  const Timed sb(TraceMode::On, 1, 4);
  CHECK(sb.regs[5] == 1 + 300);
  CHECK(sb.regs[6] == 1 + 300);
}

TEST_CASE("built-in locks on one core: nop and on cost exactly what their sites add") {
  // One core never waits, so only the unconditional sites run. By hand, per acquisition:
  //   ticket nop: contention_begin + contention_end + contended_release NOPs = 3 x 5 cycles;
  //   ticket on: acquire's check replaces the spin's first load (same cost), release adds
  //              ld [next] (hit 4) + beq (1) = 5, and no site fires;
  //   qspinlock nop: one NOP in release (the queue path is never taken) = 5;
  //   qspinlock on: release adds ld.32 (hit 4) + and (1) + beq (1) = 6, no site fires;
  //   mcs: its sites are all on contended paths: nothing.
  const int64_t n = 40;
  auto run = [](const std::string& lock, const std::string& mode) {
    auto p = testing::point(1, lock, n, 0);
    p.workload.tracepoints = mode;
    p.machine.core.trace_nop_cycles = 5;
    return sim::simulate(p);
  };
  struct Want { const char* lock; uint64_t nop, on; };
  for (const Want w : {Want{"ticket", 15, 5}, Want{"qspinlock", 5, 6}, Want{"mcs", 0, 0}}) {
    CAPTURE(w.lock);
    const stats::Point off = run(w.lock, "off"), nop = run(w.lock, "nop"), on = run(w.lock, "on");
    CHECK(nop.cycles - off.cycles == uint64_t(n) * w.nop);
    CHECK(on.cycles - off.cycles == uint64_t(n) * w.on);
    CHECK(off.tracepoints.empty());
    // (no structured binding here: CHECK_MESSAGE captures in a lambda, which clang refuses)
    for (const auto& kv : on.tracepoints) CHECK_MESSAGE(kv.second == 0, kv.first);
    REQUIRE(nop.tracepoints.size() == 3);
    uint64_t executed = 0;
    for (const auto& [name, count] : nop.tracepoints) executed += count;
    CHECK(executed * 5 == uint64_t(n) * w.nop);
  }
}

TEST_CASE("tracepoints off: the built-in locks run exactly as their code without the sites") {
  // Strip every `trace` and `.ontrace` line from the source: the same machine must result.
  for (const std::string lock : {"ticket", "mcs", "qspinlock"}) {
    CAPTURE(lock);
    const std::string src = workload::lock_source(lock, "", nullptr);
    // A site line keeps only its label (if any): `qdone:     trace contention_end` -> `qdone:`.
    const std::regex site(R"(^(\s*[A-Za-z_]\w*:)?\s*(trace|\.ontrace)\s.*$)");
    std::string stripped;
    std::istringstream in(src);
    int sites = 0;
    for (std::string l; std::getline(in, l);) {
      std::smatch m;
      if (std::regex_match(l, m, site)) {
        stripped += m[1].str() + "\n";
        ++sites;
      } else {
        stripped += l + "\n";
      }
    }
    CHECK(sites >= 3);
    testing::TempDir d;
    auto p = testing::point(4, d.write(lock + ".lock", stripped), 50, 10);
    const stats::Point plain = sim::simulate(p);
    p.workload.lock = lock;
    const stats::Point off = sim::simulate(p);
    CHECK(off.cycles == plain.cycles);
    CHECK(off.micro_ops() == plain.micro_ops());
    CHECK(off.handoff.count() == plain.handoff.count());
    CHECK(off.handoff.mean() == plain.handoff.mean());
    CHECK(off.coherence.invalidations == plain.coherence.invalidations);
    CHECK(off.coherence.bus_transactions == plain.coherence.bus_transactions);
  }
}

TEST_CASE("contended, tracepoints on: every contention_begin has its contention_end; MCS releases to each waiter once") {
  for (const std::string lock : {"ticket", "mcs", "qspinlock"}) {
    CAPTURE(lock);
    auto p = testing::point(4, lock, 50, 0);  // no warm-up: every site of the run is counted
    p.workload.tracepoints = "on";
    const stats::Point s = sim::simulate(p);
    const auto& tp = s.tracepoints;
    REQUIRE(tp.size() == 3);
    CHECK(tp.at("contention_begin") == tp.at("contention_end"));
    CHECK(tp.at("contention_begin") > 50);  // 4 cores, a short outside: most acquisitions wait
    CHECK(tp.at("contention_begin") <= s.acquisitions);
    CHECK(tp.at("contended_release") > 0);
    CHECK(tp.at("contended_release") <= s.acquisitions);
    // An MCS waiter is handed the lock by exactly one release that saw it linked.
    if (lock == "mcs") CHECK(tp.at("contended_release") == tp.at("contention_begin"));
    // The pending waiter of qspinlock is never traced: it is a contention lockstat sees.
    if (lock == "qspinlock") CHECK(tp.at("contention_begin") <= s.lockstat.contentions);
  }
}

TEST_CASE("stats.json: tracepoints.{NAME: count} with nop|on, absent with off; workload.tracepoints is checked") {
  auto p = testing::point(2, "mcs", 20, 0);
  CHECK(!output::stats_json(p, sim::simulate(p)).contains("tracepoints"));
  p.workload.tracepoints = "nop";
  const auto j = output::stats_json(p, sim::simulate(p));
  REQUIRE(j.contains("tracepoints"));
  CHECK(j["tracepoints"].size() == 3);
  CHECK(j["tracepoints"]["contention_begin"].get<uint64_t>() == j["tracepoints"]["contended_release"].get<uint64_t>());

  testing::TempDir d;
  const std::string yaml = d.write("x.yaml", "name: x\nworkload:\n  lock: mcs\n  tracepoints: maybe\n");
  auto r = testing::lockstep("run '" + yaml + "' -o '" + (d.path / "out").string() + "'");
  CHECK(r.status == 2);
  CHECK(r.err.find("x.yaml:4:16") != std::string::npos);
  CHECK(r.err.find("off, nop, on") != std::string::npos);
}

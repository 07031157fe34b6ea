// Holder snapshots (issue 8 item 5, docs/observe.md "Holder snapshots") from synthetic events
// and from runs (--snapshot-every, exit 4), and the trace writers' tracepoint and interrupt
// events (written against the event contract; fed synthetic interrupt events here).
#include <doctest/doctest.h>

#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_helpers.hpp"
#include "observe/snapshot.hpp"
#include "run/machine.hpp"
#include "sim_helpers.hpp"
#include "trace/writer.hpp"

using namespace lockstep;
using observe::Ev;
using observe::Event;
namespace fs = std::filesystem;

namespace {

Event ev(Ev k, Cycle at, int core, int thread = -1, uint64_t arg = 0, const char* what = nullptr) {
  Event e{k, at, core, thread, 0, arg};
  e.what = what;
  return e;
}

using testing::count_of;
using testing::lines_of;

fs::path only_point(const fs::path& dir) {
  const fs::path pts = dir / "points";
  REQUIRE(fs::exists(pts));
  return fs::directory_iterator(pts)->path();
}

observe::Snapshots::Options options(Cycle every = 0) {
  observe::Snapshots::Options o;
  o.threads = 3;
  o.cores = 3;
  o.lock = "ticket (builtin:ticket)";
  o.every = every;
  o.symbol = [](int core) { return core == 0 ? std::string("cs") : "acquire:spin"; };
  return o;
}

}  // namespace

TEST_CASE("snapshot: holder since its acquire, waiters in arrival order with their wait, irq/preempt state per core") {
  observe::Snapshots s(options());
  s.on(ev(Ev::AcquireCall, 10, 0, 0));
  s.on(ev(Ev::AcquireReturn, 12, 0, 0, 1));
  s.on(ev(Ev::AcquireCall, 15, 2, 2));  // core 2 arrives before core 1
  s.on(ev(Ev::IrqsOff, 18, 1, 1, 0, "lock_irqsave"));
  s.on(ev(Ev::PreemptOff, 18, 1, 1));
  s.on(ev(Ev::AcquireCall, 20, 1, 1));
  s.on(ev(Ev::IrqEnter, 40, 0, 0, 7, "timer"));
  s.take(100, "by hand");
  const auto l = lines_of(s.text());
  REQUIRE(l.size() == 10);
  CHECK(l[0] == "snapshot at cycle 100 (by hand)");
  CHECK(l[1] == "  lock ticket (builtin:ticket), capacity 1");
  CHECK(l[2] == "    holder: core 0 (thread 0) since cycle 12 (88 cycles), at cs");
  CHECK(l[3] == "    waiters: 2, in arrival order");
  CHECK(l[4] == "      1. core 2 (thread 2) waiting 85 cycles (since cycle 15), at acquire:spin");
  CHECK(l[5] == "      2. core 1 (thread 1) waiting 80 cycles (since cycle 20), at acquire:spin");
  CHECK(l[6] == "  cores:");
  CHECK(l[7] == "    core 0: irqs on, preempt on, in timer handler since cycle 40 (60 cycles), at cs");
  CHECK(l[8] == "    core 1: irqs off since cycle 18 (82 cycles), preempt off since cycle 18 (82 cycles), at acquire:spin");
  CHECK(l[9] == "    core 2: irqs on, preempt on, at acquire:spin");
  CHECK(s.taken() == 1);

  // The holder releases, the first waiter takes the lock; irqs come back on core 1.
  s.on(ev(Ev::IrqExit, 110, 0, 0, 7, "timer"));
  s.on(ev(Ev::ReleaseCall, 120, 0, 0));
  s.on(ev(Ev::ReleaseReturn, 125, 0, 0));
  s.on(ev(Ev::AcquireReturn, 130, 2, 2, 1));
  s.on(ev(Ev::IrqsOn, 140, 1, 1, 0, "unlock_irqrestore"));
  s.take(150, "again");
  const std::string t = s.text().substr(s.text().find("snapshot at cycle 150"));
  CHECK(t.find("    holder: core 2 (thread 2) since cycle 130 (20 cycles), at acquire:spin\n") != std::string::npos);
  CHECK(t.find("    waiters: 1, in arrival order\n      1. core 1 (thread 1) waiting 130 cycles (since cycle 20)") !=
        std::string::npos);
  CHECK(t.find("    core 1: irqs on, preempt off since cycle 18 (132 cycles), at acquire:spin\n") != std::string::npos);
  CHECK(t.find("    core 0: irqs on, preempt on, at cs\n") != std::string::npos);
}

TEST_CASE("snapshot: periodic ones are written at multiples of the period, from the state before the next event") {
  observe::Snapshots s(options(50));
  s.on(ev(Ev::AcquireCall, 10, 0, 0));
  s.on(ev(Ev::AcquireReturn, 30, 0, 0, 1));
  CHECK(s.taken() == 0);
  s.on(ev(Ev::ReleaseCall, 120, 0, 0));  // cycles 50 and 100 passed: both show core 0 holding
  CHECK(s.taken() == 2);
  CHECK(count_of(s.text(), "holder: core 0 (thread 0) since cycle 30") == 2);
  CHECK(s.text().find("snapshot at cycle 50 (every 50 cycles)\n") != std::string::npos);
  CHECK(s.text().find("holder: core 0 (thread 0) since cycle 30 (70 cycles), at cs\n") != std::string::npos);
  CHECK(s.text().find("(releasing)") == std::string::npos);
  s.on(ev(Ev::ReleaseReturn, 151, 0, 0));  // at 150 core 0 was inside release
  CHECK(s.taken() == 3);
  CHECK(s.text().find("holder: core 0 (thread 0) since cycle 30 (120 cycles), at cs (releasing)\n") != std::string::npos);
  // A bound on the file: later periodic snapshots are dropped, said once.
  auto o = options(1);
  o.max_snapshots = 3;
  observe::Snapshots b(o);
  b.on(ev(Ev::AcquireCall, 10, 0, 0));
  CHECK(b.taken() == 3);
  CHECK(count_of(b.text(), "later periodic snapshots left out (at most 3)") == 1);
}

TEST_CASE("symbol_at: section, then the nearest label inside it") {
  isa::AssembleOptions o;
  const isa::Program p = isa::assemble("lock t\n.shared x\nacquire:\n  li r1, 1\nspin:\n  ld r2, [x]\n  beq r2, 0, spin\n"
                                       "  ret\nrelease:\n  st [x], 0\n  ret\n", o);
  CHECK(observe::symbol_at(p, 0) == "acquire");
  CHECK(observe::symbol_at(p, 1) == "acquire:spin");
  CHECK(observe::symbol_at(p, 3) == "acquire:spin");
  CHECK(observe::symbol_at(p, 4) == "release");
}

TEST_CASE("lockstep run --snapshot-every: a snapshot every N cycles, at most one holder, deterministic") {
  testing::TempDir d;
  const std::string yaml = d.write("x.yaml",
                                   "name: x\nmachine: {cores: 4}\n"
                                   "workload: {lock: mcs, acquisitions_per_thread: 20, warmup_acquisitions: 2}\n");
  auto r = testing::lockstep("run '" + yaml + "' -o '" + (d.path / "a").string() + "' --snapshot-every 1000");
  REQUIRE_MESSAGE(r.status == 0, r.err);
  const std::string a = testing::slurp(only_point(d.path / "a") / "snapshots.txt");
  r = testing::lockstep("run '" + yaml + "' -o '" + (d.path / "b").string() + "' --snapshot-every 1000 --jobs 2");
  REQUIRE(r.status == 0);
  CHECK(a == testing::slurp(only_point(d.path / "b") / "snapshots.txt"));
  const auto l = lines_of(a);
  REQUIRE(l.size() > 10);
  CHECK(l[0].find(", lock mcs, 4 threads on 4 cores") != std::string::npos);
  CHECK(l[1] == "snapshot at cycle 1000 (every 1000 cycles)");
  const std::regex at(R"(snapshot at cycle (\d+) \(every 1000 cycles\))");
  uint64_t expect = 1000, snaps = 0;
  size_t holders = 0, held = 0;
  for (const auto& line : l) {
    std::smatch m;
    if (std::regex_match(line, m, at)) {
      CHECK(std::stoull(m[1].str()) == expect);
      expect += 1000;
      ++snaps;
      CHECK(holders <= 1);
      holders = 0;
    }
    if (line.rfind("    holder: core", 0) == 0) ++holders, ++held;
  }
  CHECK(snaps > 5);
  CHECK(held * 2 > snaps);  // 4 cores on one lock: it is held most of the time
  // Without the option nothing is written (a run that ends well takes no snapshot).
  r = testing::lockstep("run '" + yaml + "' -o '" + (d.path / "c").string() + "'");
  REQUIRE(r.status == 0);
  CHECK(!fs::exists(only_point(d.path / "c") / "snapshots.txt"));
  r = testing::lockstep("run '" + yaml + "' -o '" + (d.path / "c").string() + "' --snapshot-every 0");
  CHECK(r.status == 2);
  CHECK(r.err.find("--snapshot-every needs a number of cycles of at least 1") != std::string::npos);
}

TEST_CASE("exit 4 always leaves a snapshot: the lock never freed, who waits since when") {
  // The first acquirer's release forgets to clear the flag: everyone else spins forever.
  testing::TempDir d;
  d.write("stuck.lock",
          "lock stuck\n.shared flag\nacquire:\n  ld r1, [flag]\n  bne r1, 0, acquire\n  tas r1, [flag]\n"
          "  bne r1, 0, acquire\n  ret\nrelease:\n  ret\n");
  const std::string yaml = d.write("x.yaml",
                                   "name: x\nmachine: {cores: 3}\n"
                                   "workload: {lock: stuck.lock, acquisitions_per_thread: 5, warmup_acquisitions: 0}\n");
  auto r = testing::lockstep("run '" + yaml + "' -o '" + (d.path / "out").string() + "'");
  REQUIRE(r.status == 4);
  const std::string s = testing::slurp(only_point(d.path / "out") / "snapshots.txt");
  REQUIRE(!s.empty());
  CHECK(count_of(s, "snapshot at cycle") == 1);
  CHECK(s.find("(exit 4: ") != std::string::npos);
  CHECK(s.find("    holder: none\n") != std::string::npos);
  CHECK(s.find("    waiters: ") != std::string::npos);
  CHECK(count_of(s, ". core ") + count_of(s, "holder: core") <= 3);
  CHECK(s.find("at acquire\n") != std::string::npos);  // a waiter's symbol: acquire's loop (no inner label)
}

TEST_CASE("trace writers: tracepoints as instant events; irq handlers and irqs-off sections as spans") {
  auto p = testing::point(2, "ticket", 2, 0);
  sim::Machine m(p);
  const trace::Context ctx = m.trace_context();
  testing::TempDir d;
  const std::vector<Event> events = {
      ev(Ev::IrqsOff, 100, 0, 0, 0, "lock_irqsave"), ev(Ev::IrqRaise, 120, 0, 0, 1, "timer"),
      [] { Event e = ev(Ev::Tracepoint, 130, 1, 1, 0, "contention_begin"); e.line = 12; return e; }(),
      ev(Ev::IrqsOn, 200, 0, 0, 0, "unlock_irqrestore"), ev(Ev::IrqEnter, 201, 0, 0, 1, "timer"),
      ev(Ev::IrqsOff, 201, 0, 0, 1), ev(Ev::IrqsOn, 260, 0, 0, 1), ev(Ev::IrqExit, 260, 0, 0, 1, "timer"),
      ev(Ev::PreemptOff, 300, 1, 1), ev(Ev::PreemptOn, 310, 1, 1)};
  {
    trace::Options o;
    auto text = trace::make_writer("text", (d.path / "trace.txt").string(), ctx, o);
    auto json = trace::make_writer("perfetto", (d.path / "trace.json").string(), ctx, o);
    for (const auto& e : events) {
      text->on(e);
      json->on(e);
    }
    text->finish(400);
    json->finish(400);
  }
  const std::string t = testing::slurp(d.path / "trace.txt");
  CHECK(t.find("100 core0 irqs-off lock_irqsave\n") != std::string::npos);
  CHECK(t.find("120 core0 irq-raise timer id 1\n") != std::string::npos);
  CHECK(t.find("130 core1 tracepoint contention_begin line 12\n") != std::string::npos);
  CHECK(t.find("200 core0 irqs-on unlock_irqrestore\n") != std::string::npos);
  CHECK(t.find("201 core0 irq-enter timer id 1\n") != std::string::npos);
  CHECK(t.find("201 core0 irqs-off (interrupt)\n") != std::string::npos);
  CHECK(t.find("260 core0 irq-exit timer id 1\n") != std::string::npos);
  CHECK(t.find("300 core1 preempt-off\n310 core1 preempt-on\n") != std::string::npos);

  const auto j = nlohmann::json::parse(testing::slurp(d.path / "trace.json"))["traceEvents"];
  int instants = 0;
  std::map<std::string, std::vector<std::pair<std::string, uint64_t>>> spans;  // cat -> (ph, ts)
  for (const auto& e : j) {
    if (e.value("cat", "") == "tracepoint") {
      ++instants;
      CHECK(e["name"] == "contention_begin");
      CHECK(e["tid"] == 1);
      CHECK(e["ts"] == 130);
      CHECK(e["args"]["line"] == 12);
    }
    if (e.value("cat", "") == "irq" || e.value("cat", "") == "irqsoff")
      spans[e["cat"]].push_back({e["ph"].get<std::string>(), e["ts"].get<uint64_t>()});
  }
  CHECK(instants == 1);
  CHECK(spans["irq"] == std::vector<std::pair<std::string, uint64_t>>{{"b", 201}, {"e", 260}});
  CHECK(spans["irqsoff"] == std::vector<std::pair<std::string, uint64_t>>{{"b", 100}, {"e", 200}, {"b", 201}, {"e", 260}});
}

TEST_CASE("a run with tracepoints on: the text and perfetto traces hold every site the counts hold") {
  auto p = testing::point(4, "mcs", 10, 0);
  p.workload.tracepoints = "on";
  testing::TempDir d;
  sim::SimOptions o;
  o.trace_format = "text,perfetto";
  o.trace_path = (d.path / "trace.txt").string();
  stats::Point st;
  {
    sim::Machine m(p, o);
    st = m.run();
  }
  const std::string t = testing::slurp(d.path / "trace.txt");
  const auto j = nlohmann::json::parse(testing::slurp(d.path / "trace.json"))["traceEvents"];
  for (const auto& kv : st.tracepoints) {  // no structured binding: CAPTURE uses a lambda
    const std::string& name = kv.first;
    const uint64_t n = kv.second;
    CAPTURE(name);
    CHECK(count_of(t, " tracepoint " + name + " line ") == n);
    size_t in_json = 0;
    for (const auto& e : j) in_json += e.value("cat", "") == "tracepoint" && e["name"] == name;
    CHECK(in_json == n);
  }
  CHECK(st.tracepoints.at("contention_begin") > 0);
}

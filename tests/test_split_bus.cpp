// The split-transaction snooping bus (interconnect.mode: split): request and response are
// separate tenures, the bus is free while memory/the LLC works, the request's tenure is the
// ordering point, and a request for a line with a response outstanding is ordered at once
// (the tables' race cells handle it; tests/test_split_races.cpp).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "check/random_tester.hpp"
#include "cli_helpers.hpp"
#include "sim_helpers.hpp"

using testing::Directed;

namespace {
// Every thread at cycle 0: read the cycle counter, run `op`, read it again; the difference
// (op latency + the `now` op's one cycle) goes to the thread's `out` word.
std::string timed(const std::string& op) {
  return "lock t\ncapacity 64\n.shared x\n.percpu p 1\n.percpu out 1\nacquire:\n  now r1\n" + op +
         "\n  now r3\n  sub r4, r3, r1\n  st [out], r4\n  work 5000\n  ret\nrelease:\n  ret\n";
}

struct Bus : Directed {
  Bus(int cores, const std::string& src, const std::string& mode, const std::string& protocol = "MESI")
      : Directed(cores, src, protocol, [&](lockstep::config::Point& p) { p.machine.interconnect.mode = mode; }) {}
  uint64_t out(int t) { return m->peek(addr("out") + uint64_t(t) * uint64_t(p.machine.l1.line_bytes)); }
};
}  // namespace

TEST_CASE("split bus: two misses to different lines overlap their memory latency") {
  // Both cores miss at cycle 1 (request 2, memory 120, data 8). Atomic: core 1's tenure
  // starts when core 0's 130-cycle tenure ends. Split: core 0's request 1..3, core 1's 3..5;
  // data ready at 123 and 125; core 0's data tenure 123..131, core 1's 131..139.
  Bus a(2, timed("  ld r2, [p]"), "atomic");
  CHECK(a.out(0) == 1 + 130);
  CHECK(a.out(1) == 1 + 260);
  Bus s(2, timed("  ld r2, [p]"), "split");
  CHECK(s.out(0) == 1 + 130);
  CHECK(s.out(1) == 1 + 138);
  CHECK(s.s.coherence.bus_transactions == a.s.coherence.bus_transactions);
  CHECK(s.s.coherence.memory_reads == 4);  // p and out, per core
}

TEST_CASE("split bus: a GetM ordered behind an outstanding GetS overlaps it; the reader's copy goes after its load") {
  // Core 0 reads x, core 1 writes x, both at cycle 2 (after `now` and a branch). Core 0's
  // GetS is ordered first (round robin, request 2..4: IS_D) and finds no copy: memory, data
  // ready at 124, its tenure 124..132 (+1 for its `jmp`). Core 1's GetM is ordered at once
  // (4..6), not after core 0's response: core 0 is in IS_D, holds nothing yet, so memory
  // answers core 1 too (ready 126) and core 0 moves to IS_D_I. Responses on one line come in
  // request order: core 1's tenure 132..140. Core 0's load performs, then its copy goes (one
  // invalidation, no cache-to-cache transfer).
  std::string op = "  beq tid, 1, w\n  ld r2, [x]\n  jmp d\nw:\n  st [x], 9\nd:";
  Bus s(2, timed(op), "split");
  CHECK(s.out(0) == 2 + 130 + 1);
  CHECK(s.out(1) == 2 + 138);
  CHECK(s.state(0, "x") == "I");
  CHECK(s.state(1, "x") == "M");
  CHECK(s.word("x") == 9);
  CHECK(s.s.coherence.invalidations == 1);
  CHECK(s.s.coherence.cache_to_cache == 0);
  // The atomic bus serialises them: core 1's GetM after core 0's whole transaction, answered
  // by core 0's E copy (2 + 8).
  Bus a(2, timed(op), "atomic");
  CHECK(a.out(1) == 2 + 130 + 10);
  CHECK(a.s.coherence.cache_to_cache == 1);
}

TEST_CASE("split bus: an Upgrade has no data tenure; it completes when the acks are in") {
  // Core 1 reads x at 1 (memory: 131, E); core 0 reads it at 1001 (E supplies: S, S), then
  // writes it: Upgrade, request 2 + snoop 30 + ack 20 = 52 cycles, the bus busy 2 of them
  // (+1 for `now`, +1 for the `jmp` after the store).
  std::string op = "  beq tid, 1, r\n  work 1000\n  ld r2, [x]\n  now r1\n  st [x], 3\n  jmp d\nr:\n  ld r2, [x]\nd:";
  auto tweak = [](lockstep::config::Point& p) {
    p.machine.interconnect.mode = "split";
    p.machine.interconnect.snoop_cycles = 30;
    p.machine.interconnect.inv_ack_cycles = 20;
  };
  Directed d(2, timed(op), "MESI", tweak);
  CHECK(d.m->peek(d.addr("out")) == 1 + 52 + 1);
  CHECK(d.s.coherence.upgrades == 1);
  CHECK(d.s.coherence.invalidations == 1);
  CHECK(d.state(0, "x") == "M");
  CHECK(d.word("x") == 3);
}

TEST_CASE("random tester: the four snoop tables pass on the split bus, with and without an inclusive LLC") {
  for (const char* proto : {"MSI", "MESI", "MOESI", "MESIF"}) {
    for (bool llc : {false, true}) {
      CAPTURE(proto);
      CAPTURE(llc);
      lockstep::check::TesterOptions o;
      o.protocol = proto;
      o.mode = "split";
      o.llc = llc;
      o.seeds = 3;
      o.ops = 50000;
      auto r = lockstep::check::run_random_tester(o);
      CHECK_FALSE(r.failure.has_value());
      if (r.failure) MESSAGE(r.failure->message);
      CHECK(r.operations >= 150000);
    }
  }
}

TEST_CASE("random tester: every broken snoop table is caught on the split bus and with an LLC") {
  namespace fs = std::filesystem;
  int n = 0;
  for (const auto& e : fs::directory_iterator(fs::path(LOCKSTEP_SOURCE_DIR) / "tests/data/broken")) {
    if (e.path().extension() != ".table") continue;
    ++n;
    std::string text = testing::slurp(e.path());
    std::smatch m;
    REQUIRE(std::regex_search(text, m, std::regex("Expected: .*exit ([34])")));
    for (const char* extra : {"--mode split", "--mode split --llc"}) {
      CAPTURE(e.path().filename().string());
      CAPTURE(extra);
      auto r = testing::lockstep("check protocol '" + e.path().string() + "' " + extra + " --seeds 3 --ops 20000");
      CHECK(r.status == std::stoi(m[1].str()));
      CHECK(r.out.find("minimal case: seed") != std::string::npos);
    }
  }
  CHECK(n >= 10);
  CHECK(testing::lockstep("check protocol MESI --mode splt").status == 2);
}

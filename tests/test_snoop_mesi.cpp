// MESI on the snooping bus, as run: states after directed accesses and the exact bus
// transactions, invalidations, writebacks and data sources they cost.
#include <doctest/doctest.h>

#include "sim_helpers.hpp"

using testing::Directed;

namespace {
// Thread t waits t*1000 cycles, then runs `op`: the accesses happen one after another.
std::string staggered(const std::string& op, const std::string& after = "") {
  return "lock seq\ncapacity 64\n.shared x\n.shared y\nacquire:\n  mul r9, tid, 1000\n  work r9\n" + op +
         "\n  li r9, 8000\n  work r9\n" + after + "\n  ret\nrelease:\n  ret\n";
}
}  // namespace

TEST_CASE("a lone reader gets E from memory; a second reader shares it cache to cache") {
  Directed one(1, staggered("  ld r1, [x]"));
  CHECK(one.state(0, "x") == "E");
  CHECK(one.s.coherence.bus_transactions == 1);
  CHECK(one.s.coherence.gets == 1);
  CHECK(one.s.coherence.memory_reads == 1);

  Directed two(2, staggered("  ld r1, [x]"));
  CHECK(two.state(0, "x") == "S");
  CHECK(two.state(1, "x") == "S");
  CHECK(two.s.coherence.bus_transactions == 2);
  CHECK(two.s.coherence.memory_reads == 1);
  CHECK(two.s.coherence.cache_to_cache == 1);  // E supplies (an owner state in the Primer)
  CHECK(two.s.coherence.writebacks == 0);      // E is clean
  CHECK(two.s.coherence.invalidations == 0);
}

TEST_CASE("E -> M is silent: a store after a lone load makes no bus transaction") {
  Directed d(1, staggered("  ld r1, [x]\n  st [x], 5"));
  CHECK(d.state(0, "x") == "M");
  CHECK(d.s.coherence.bus_transactions == 1);
  CHECK(d.s.coherence.upgrades == 0);
  CHECK(d.word("x") == 5);
}

TEST_CASE("M read by another core: data cache to cache, M -> S with one writeback") {
  Directed d(2, staggered("  beq tid, 1, rd\n  st [x], 7\n  jmp fin\nrd:\n  ld r1, [x]\n  st [y], r1\nfin:"));
  CHECK(d.state(0, "x") == "S");
  CHECK(d.state(1, "x") == "S");
  CHECK(d.s.coherence.writebacks == 1);
  CHECK(d.s.coherence.cache_to_cache == 1);
  CHECK(d.word("y") == 7);
}

TEST_CASE("a store to a line shared by k caches: one Upgrade invalidates exactly k copies") {
  for (int k : {1, 3, 7}) {
    // Threads 1..k read x; thread 0 (first in time? no: last) writes it after all reads.
    int n = k + 1;
    std::string op = "  bne tid, 0, rd\n  li r8, " + std::to_string(1000 * n) + "\n  work r8\n  ld r1, [x]\n  st [x], 1\n  jmp fin\nrd:\n  ld r1, [x]\nfin:";
    Directed d(n, staggered(op));
    CHECK(d.s.coherence.upgrades == 1);
    CHECK(d.s.coherence.invalidations == uint64_t(k));
    CHECK(d.state(0, "x") == "M");
    for (int c = 1; c < n; ++c) CHECK(d.state(c, "x") == "I");
  }
}

TEST_CASE("a write miss to a line in M elsewhere: GetM, data from the owner, one invalidation") {
  Directed d(2, staggered("  st [x], tid"));
  CHECK(d.s.coherence.getm == 2);
  CHECK(d.s.coherence.invalidations == 1);
  CHECK(d.s.coherence.cache_to_cache == 1);
  CHECK(d.s.coherence.memory_reads == 1);
  CHECK(d.s.coherence.writebacks == 0);
  CHECK(d.state(0, "x") == "I");
  CHECK(d.state(1, "x") == "M");
  CHECK(d.word("x") == 1);
}

TEST_CASE("capacity: evicting a dirty line writes it back with a PutM; clean lines go silently") {
  // A 1 KiB, 2-way L1 with 64-byte lines has 8 sets: lines 8 apart share a set.
  lockstep::config::Point p = testing::point(1, "x", 1, 0);
  p.machine.l1 = {1, 2, 4, 64};
  p.workload.critical_section = {0, 0, 0};
  p.workload.outside.cycles = 0;
  auto prog = testing::assemble(R"(lock evict
capacity 1
.array a 32
acquire:
  li  r1, 0
  st  [a @ r1], 1
  li  r1, 8
  ld  r2, [a @ r1]
  li  r1, 16
  ld  r2, [a @ r1]
  li  r1, 24
  ld  r2, [a @ r1]
  ret
release:
  ret
)", 1);
  lockstep::sim::Machine m(p, {}, &prog);
  auto s = m.run();
  // 4 misses; the third evicts a[0] (M, LRU): PutM; the fourth evicts a[8] (E): silent.
  CHECK(s.coherence.gets == 3);
  CHECK(s.coherence.getm == 1);
  CHECK(s.coherence.writebacks == 1);
  CHECK(s.coherence.bus_transactions == 5);
  CHECK(m.peek(lockstep::sim::Machine::kArenaBase) == 1);  // the value survived in memory
}

TEST_CASE("round-robin arbitration: simultaneous requests are served in core order") {
  auto prog = R"(lock rr
capacity 64
.array slot ncpu
acquire:
  now r1
  ld  r2, [slot]
  now r3
  sub r3, r3, r1
  mov r4, tid
  st  [slot @ r4], r3
  ret
release:
  ret
)";
  Directed d(4, prog);
  // Each GetS of the same line from memory/cache: core 0 first (memory, 130 cycles) then
  // cores 1..3, each waiting for the previous tenures to end.
  std::vector<uint64_t> lat;
  for (int c = 0; c < 4; ++c) lat.push_back(d.word("slot", uint64_t(c) * 64));
  CHECK(lat[0] < lat[1]);
  CHECK(lat[1] < lat[2]);
  CHECK(lat[2] < lat[3]);
  CHECK(lat[0] == 131);           // now + request 2 + data 8 + memory 120
  CHECK(lat[1] == 131 + 10);      // then a cache-to-cache GetS: 2 + 8
}

TEST_CASE("round robin rotates from the last granted core; fifo serves in arrival order") {
  // Core 2 takes the bus first (a 131-cycle memory read). Cores 0, 1 and 3 all ask while it
  // is busy, in the same cycle. Round robin continues after core 2: 3, 0, 1. FIFO breaks the
  // same-cycle tie by core order: 0, 1, 3. Each read is its own line, from memory (130).
  auto src = R"(lock rr
capacity 64
.array slot ncpu
acquire:
  mov r4, tid
  beq r4, 2, go
  work 50
go:
  ld  r1, [slot @ r4]
  now r2
  st  [slot @ r4], r2
  ret
release:
  ret
)";
  auto prog = testing::assemble(src, 4);
  for (std::string arb : {"round_robin", "fifo"}) {
    CAPTURE(arb);
    auto p = testing::point(4, "rr", 1, 0);
    p.workload.critical_section = {0, 0, 0};
    p.machine.interconnect.arbitration = arb;
    lockstep::sim::Machine m(p, {}, &prog);
    m.run();
    auto done = [&](int c) { return m.peek(lockstep::sim::Machine::kArenaBase + uint64_t(c) * 64); };
    CHECK(done(2) == 132);  // mov, beq, then 130 cycles
    if (arb == "round_robin") {
      CHECK(done(3) == 132 + 130);
      CHECK(done(0) == 132 + 260);
      CHECK(done(1) == 132 + 390);
    } else {
      CHECK(done(0) == 132 + 130);
      CHECK(done(1) == 132 + 260);
      CHECK(done(3) == 132 + 390);
    }
  }
}

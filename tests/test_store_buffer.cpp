// The TSO store buffer (machine.core.store_buffer) and prefetchw: retire and forward, drain
// in order, atomics and fences wait for it, mutual exclusion still checked (Peterson without
// a fence breaks), fast-forward stays exact.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "common/error.hpp"
#include "sim_helpers.hpp"

using namespace lockstep;

namespace {
struct Run {
  config::Point p;
  isa::Program prog;
  std::unique_ptr<sim::Machine> m;
  stats::Point s;
  Run(int cores, const std::string& src, int sb, int64_t acq = 1, int64_t warm = 0) {
    p = testing::point(cores, "directed", acq, warm);
    p.machine.core.store_buffer = sb;
    p.workload.critical_section = {0, 0, 0};
    p.workload.outside = {};
    p.workload.outside.cycles = 0;
    prog = testing::assemble(src, cores);
    m = std::make_unique<sim::Machine>(p, sim::SimOptions{}, &prog);
    s = m->run();
  }
  uint64_t word(const std::string& var) {
    return m->peek(sim::Machine::kArenaBase + prog.vars[size_t(prog.var_index(var))].offset);
  }
};

std::string file(const std::string& rel) {
  std::ifstream in(std::string(LOCKSTEP_SOURCE_DIR) + "/" + rel);
  std::stringstream b;
  b << in.rdbuf();
  return b.str();
}

const char* kStoreLoad = R"(lock directed
capacity 64
.shared x
acquire:
  st    [x], 7
  ld    r1, [x]
  st    [x], r1
  ret
release:
  ret
)";
}  // namespace

TEST_CASE("a store retires in one cycle and a load of it is forwarded from the buffer") {
  // With a buffer: st retires (alu 1), ld forwards (hit 4), st retires (1): acquire returns at
  // cycle 6 while the first store's miss is still out. Blocking stores pay the GetM instead.
  Run sb(1, kStoreLoad, 4);
  CHECK(sb.s.wait.count() == 1);
  CHECK(sb.s.wait.max() == 6);
  CHECK(sb.word("x") == 7);                 // both stores performed by the end, in order
  CHECK(sb.s.coherence.getm == 1);          // one miss: the second store hits the line in M
  CHECK(sb.s.per_core[0].l1_misses == 1);
  CHECK(sb.s.per_core[0].l1_hits == 1);     // the second store's drain; the load never asked the L1
  Run blocking(1, kStoreLoad, 0);
  CHECK(blocking.word("x") == 7);
  CHECK(blocking.s.wait.max() > 100);       // a memory-supplied GetM first
}

TEST_CASE("an atomic waits until every buffered store is performed: same time as blocking stores") {
  // Blocking: miss(x), then miss(y), then the xchg's miss(z). Buffered: x and y retire at
  // cycles 0 and 1 and drain back to back (the drain issues the same misses at the same
  // cycles); the xchg waits for the buffer to empty, then misses. Same cycle either way.
  const char* src = R"(lock directed
capacity 64
.shared x
.shared y
.shared z
acquire:
  st    [x], 1
  st    [y], 2
  xchg  r1, [z], 3
  ret
release:
  ret
)";
  Run sb(1, src, 8), blocking(1, src, 0);
  CHECK(sb.s.wait.max() == blocking.s.wait.max());
  CHECK(sb.word("x") == 1);
  CHECK(sb.word("y") == 2);
  CHECK(sb.word("z") == 3);
  CHECK(sb.s.coherence.getm == 3);
}

TEST_CASE("a full buffer stalls the next store until the oldest drains") {
  // One entry: the second store waits for the first's miss; the third for the second's.
  const char* src = R"(lock directed
capacity 64
.shared x
.shared y
.shared z
acquire:
  st    [x], 1
  st    [y], 2
  st    [z], 3
  ret
release:
  ret
)";
  Run one(1, src, 1), three(1, src, 3), blocking(1, src, 0);
  CHECK(three.s.wait.max() == 3);  // three retires (1 each), the ret at cycle 3: no wait at all
  CHECK(one.s.wait.max() > three.s.wait.max());
  CHECK(one.s.wait.max() < blocking.s.wait.max());  // the last store's miss is not waited for
  for (Run* r : {&one, &three, &blocking}) {
    CHECK(r->word("x") == 1);
    CHECK(r->word("y") == 2);
    CHECK(r->word("z") == 3);
  }
}

TEST_CASE("Peterson without a fence breaks mutual exclusion under a store buffer, not without one") {
  auto run = [](const std::string& lock_file, int sb) -> std::string {
    auto p = testing::point(2, "peterson", 300, 0);
    p.machine.core.store_buffer = sb;
    p.workload.outside = {"uniform", 0, 0, 60, 0};
    p.workload.critical_section = {10, 0, 1};
    // A 20-cycle address phase: a store becomes visible to the other core only when its GetM
    // is snooped, so a buffered store stays invisible that long (real cross-core visibility
    // takes ~100 cycles; with the default 2 the race is too narrow to hit in 600 rounds).
    p.machine.interconnect.request_cycles = 20;
    const auto prog = testing::assemble(file(lock_file), 2);
    try {
      sim::Machine m(p, sim::SimOptions{}, &prog);
      m.run();
    } catch (const CorrectnessError& e) {
      return e.what();
    }
    return "";
  };
  const std::string broken = run("tests/data/locks/peterson_nofence.lock", 8);
  CHECK(broken.find("mutual exclusion violated") == 0);
  // The report shows the interleaving: each core's last shared-memory ops, the buffered
  // stores marked, so the reader sees both loads of the other's flag returning 0.
  CHECK(broken.find("(into the store buffer)") != std::string::npos);
  CHECK(broken.find("ld [flag @ 1] -> 0") != std::string::npos);
  CHECK(broken.find("ld [flag @ 0] -> 0") != std::string::npos);
  CHECK(run("tests/data/locks/peterson_nofence.lock", 0) == "");  // blocking stores: sequentially consistent
  CHECK(run("tests/data/locks/peterson.lock", 8) == "");           // the fence restores it
}

TEST_CASE("every lock keeps mutual exclusion with a store buffer; fast-forward on and off agree") {
  for (const std::string lock : {"tas", "ttas", "ticket", "mcs", "clh", "anderson", "qspinlock"}) {
    CAPTURE(lock);
    auto p = testing::point(6, lock, 40, 5);
    p.machine.core.store_buffer = 8;
    p.workload.outside = {"uniform", 0, 0, 200, 0};
    p.workload.critical_section = {20, 1, 2};
    p.run.fast_forward = true;
    sim::Machine on(p);
    const auto a = on.run();
    p.run.fast_forward = false;
    sim::Machine off(p);
    const auto b = off.run();
    CHECK(a.acquisitions == 240);
    CHECK(a.cycles == b.cycles);
    CHECK(a.coherence.bus_transactions == b.coherence.bus_transactions);
    CHECK(a.coherence.invalidations == b.coherence.invalidations);
    CHECK(a.handoff.count() == b.handoff.count());
    CHECK(a.handoff.mean() == b.handoff.mean());
    for (size_t i = 0; i < a.per_core.size(); ++i) {
      CHECK(a.per_core[i].micro_ops == b.per_core[i].micro_ops);
      CHECK(a.per_core[i].l1_hits == b.per_core[i].l1_hits);
    }
  }
}

TEST_CASE("prefetchw fetches the line writable without waiting; the store then hits") {
  // prefetchw issues the GetM and the core goes on (alu 1); `work 400` outlasts the miss, so
  // the store hits (4): acquire returns at 1 + 400 + 4 = 405. Without the prefetch the store
  // misses after the work.
  const char* with = R"(lock directed
capacity 64
.shared x
acquire:
  prefetchw [x]
  work  400
  st    [x], 1
  ret
release:
  ret
)";
  const char* without = R"(lock directed
capacity 64
.shared x
acquire:
  work  401
  st    [x], 1
  ret
release:
  ret
)";
  Run a(1, with, 0), b(1, without, 0);
  CHECK(a.s.wait.max() == 405);
  CHECK(b.s.wait.max() > 405 + 100);
  CHECK(a.s.coherence.getm == 1);
  CHECK(a.word("x") == 1);
}

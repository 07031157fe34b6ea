// The lock model checker (sim/check/lock_checker.hpp) and `lockstep check lock` / `lockstep
// lock show`: every built-in lock passes at 2 and 3 threads; broken locks
// (tests/data/locks/) are caught with the shortest counterexample, whose length is derived
// by hand below.
#include <doctest/doctest.h>

#include <string>

#include "check/lock_checker.hpp"
#include "cli_helpers.hpp"
#include "common/embedded.hpp"
#include "isa/program.hpp"
#include "workload/lock_layout.hpp"
#include "workload/lock_library.hpp"

using lockstep::check::check_lock;
using lockstep::check::LockCheckOptions;
using lockstep::check::LockCheckReport;
using Verdict = LockCheckReport::Verdict;

namespace {

const std::string kData = std::string(LOCKSTEP_SOURCE_DIR) + "/tests/data/locks/";

lockstep::isa::Program assemble_lock(const std::string& name_or_path, int threads) {
  std::string file;
  const std::string text = lockstep::workload::lock_source(name_or_path, "", &file);
  lockstep::isa::AssembleOptions opt;
  opt.file = file;
  opt.ncpu = threads;
  return lockstep::isa::assemble(text, opt);
}

LockCheckReport check(const std::string& lock, int threads, int acquisitions) {
  LockCheckOptions o;
  o.threads = threads;
  o.acquisitions = acquisitions;
  if (lock == "qspinlock_pv") {  // its spin counters multiply the states: halt after 1 spin
    std::string file;
    const std::string text = lockstep::workload::lock_source(lock, "", &file);
    lockstep::isa::AssembleOptions opt;
    opt.file = file;
    opt.ncpu = threads;
    opt.params["spin_threshold"] = 1;
    return check_lock(lockstep::isa::assemble(text, opt), o);
  }
  return check_lock(assemble_lock(lock, threads), o);
}

}  // namespace

TEST_CASE("every built-in lock keeps mutual exclusion and always finishes, at 2 and 3 threads") {
  for (const auto& name : lockstep::workload::builtin_locks()) {
    for (int threads : {2, 3}) {
      // qspinlock at 3 threads and 2 acquisitions is 777,028 states (6 s); 1 acquisition
      // each already covers the pending and the queued paths (906 states).
      // compound at 3 threads and 2 acquisitions passes 2,000,000 states (its backoff window
      // and random waits multiply them); 1 acquisition each is 27,877 states.
      const int k = (name == "qspinlock" || name == "qspinlock_pv" || name == "adaptive_mutex" || name == "compound") && threads == 3 ? 1 : 2;
      CAPTURE(name);
      CAPTURE(threads);
      const auto r = check(name, threads, k);
      CHECK(r.verdict == Verdict::Ok);
      CHECK(r.exit_code() == 0);
      CHECK(r.steps.empty());
      CHECK(r.states > 10);
    }
  }
}

TEST_CASE("tas, 2 threads, 1 acquisition: 27 states and 42 moves, as counted by hand") {
  // Each thread is in one of: O (before acquire), A0 (at its first tas), A1 (at tas after a
  // failed one: r1 = 1), C (in the CS), R (in release, before the store), D (done); the
  // word is 1 exactly when a thread is in C or R. Reachable pairs: no holder, both in
  // {O, A0, D}: 9; one holder (C or R, 2 x 2 ways) and the other in {O, A0, A1, D}: 16;
  // A1 with the other done: 2 (A1 needs the other to have held the lock, so not O/A0,
  // and A1/A1 would need a third holder). 9 + 16 + 2 = 27.
  // Moves: one per thread not done: 12 + 28 + 2 = 42. Depth: D/D takes 4 steps per thread.
  const auto r = check("tas", 2, 1);
  CHECK(r.verdict == Verdict::Ok);
  CHECK(r.states == 27);
  CHECK(r.transitions == 42);
  CHECK(r.depth == 8);
}

TEST_CASE("tas without the atomic: both threads in the critical section after 6 steps") {
  // Shortest: each thread needs call acquire, ld, st = 3 steps, and both must load 0 before
  // either stores: 6.
  const auto r = check(kData + "tas_no_atomic.lock", 2, 1);
  REQUIRE(r.verdict == Verdict::Violation);
  CHECK(r.exit_code() == 3);
  CHECK(r.message == "mutual exclusion violated: threads 0 and 1 are in the critical section at once (capacity 1)");
  REQUIRE(r.steps.size() == 6);
  CHECK(r.steps[0].op == "call acquire");
  CHECK(r.steps[1].op == "ld r1, [word]");
  CHECK(r.steps[1].effect == "r1 = 0");
  CHECK(r.steps[3].thread == 1);
  CHECK(r.steps[3].effect == "r1 = 0");
  CHECK(r.steps[5].op == "st [word], 1");
  CHECK(r.steps[5].effect == "word: 1 -> 1; acquire returns: in the critical section");
  CHECK(r.steps[5].memory == "word=1");
}

TEST_CASE("Peterson is correct; with the flag raised after giving way it breaks in 9 steps") {
  const auto good = check(kData + "peterson.lock", 2, 2);
  CHECK(good.verdict == Verdict::Ok);
  // The broken order (victim, then flag): the thread that gives way first (b) must later
  // pass the victim test, so both must store victim (a after b) and both raise the flag;
  // a passes on flag[b] = 0 with one load, b then needs two loads (flag[a] = 1, victim =
  // a): 2 calls + 4 stores + 3 loads = 9 steps.
  const auto bad = check(kData + "peterson_flag_late.lock", 2, 1);
  REQUIRE(bad.verdict == Verdict::Violation);
  CHECK(bad.exit_code() == 3);
  REQUIRE(bad.steps.size() == 9);
  CHECK(bad.steps[8].op == "ld r2, [victim]");
  CHECK(bad.steps[8].memory == "flag[0]=1 flag[1]=1 victim=1");
}

TEST_CASE("a ticket lock whose release does not advance owner: no progress after 5 steps") {
  // Thread 0: call acquire, faa (ticket 0), ld owner = 0 (enters), call release, st owner = 0
  // (returns): from there owner stays 0 and every later ticket is >= 1, so nobody enters
  // again. Before step 5 the release's return is still to come (progress).
  const auto r = check(kData + "ticket_no_increment.lock", 2, 1);
  REQUIRE(r.verdict == Verdict::NoProgress);
  CHECK(r.exit_code() == 4);
  CHECK(r.loop_from == 5);
  REQUIRE(r.steps.size() == 8);  // then thread 1: call acquire, faa, ld owner (= the loop)
  CHECK(r.steps[7].op == "ld r2, [owner]");
  CHECK(r.steps[7].effect == "r2 = 0");
  REQUIRE(r.stuck.size() == 2);
  CHECK(r.stuck[0] == "thread 0 (1 of 1 acquisitions done): finished");
  CHECK(r.stuck[1].find("spin (line 12): ld r2, [owner]   (owner = 0)") != std::string::npos);
}

TEST_CASE("a thread looping without touching memory is stuck from the start") {
  const auto r = check(kData + "spin_local.lock", 2, 1);
  REQUIRE(r.verdict == Verdict::NoProgress);
  CHECK(r.loop_from == 0);
  REQUIRE(r.stuck.size() == 2);
  CHECK(r.stuck[0] == "thread 0 (0 of 1 acquisitions done): loops at wait (line 11) without touching shared memory");
}

TEST_CASE("the state bound makes the search incomplete, not a verdict") {
  LockCheckOptions o;
  o.threads = 3;
  o.max_states = 100;
  const auto r = check_lock(assemble_lock("mcs", 3), o);
  CHECK(r.verdict == Verdict::Incomplete);
  CHECK(r.exit_code() == 0);
  CHECK(r.states == 101);
}

TEST_CASE("memory layout names: words, per-thread blocks, array elements, bytes") {
  const auto p = assemble_lock("mcs", 3);
  const auto words = lockstep::workload::layout_words(p);
  REQUIRE(words.size() == 7);  // tail + 3 blocks of 2 words
  CHECK(words[0].name == "tail");
  CHECK(words[0].offset == 0);
  CHECK(words[6].name == "node[2]+8");
  CHECK(words[6].offset == 64 + 2 * 64 + 8);
  CHECK(lockstep::workload::symbol_at(p, 200) == "node[2]+8");
  CHECK(lockstep::workload::symbol_at(p, 16) == "");  // padding after tail
  const auto q = assemble_lock("qspinlock", 2);
  CHECK(lockstep::workload::symbol_at(q, 2) == "lock+2");
  const auto a = assemble_lock("anderson", 4);
  CHECK(lockstep::workload::symbol_at(a, 64 + 3 * 64) == "slots[3]");
}

TEST_CASE("lockstep check lock and lock show on the command line") {
  auto ok = testing::lockstep("check lock ticket --threads 3");
  CHECK(ok.status == 0);
  CHECK(ok.out.find("check lock ticket (3 threads, 2 acquisition(s) each, sequentially consistent): ok") == 0);

  auto bad = testing::lockstep("check lock '" + kData + "tas_no_atomic.lock' --acquisitions 1");
  CHECK(bad.status == 3);
  CHECK(bad.out.find("VIOLATION: mutual exclusion violated") != std::string::npos);
  CHECK(bad.out.find("shortest counterexample (6 steps; T = thread):") != std::string::npos);

  auto stuck = testing::lockstep("check lock '" + kData + "ticket_no_increment.lock' --acquisitions 1");
  CHECK(stuck.status == 4);
  CHECK(stuck.out.find("NO PROGRESS: after step 5") != std::string::npos);

  auto typo = testing::lockstep("check lock tiket");
  CHECK(typo.status == 2);
  CHECK(typo.err.find("unknown lock 'tiket'") != std::string::npos);
  CHECK(typo.err.find("did you mean 'ticket'?") != std::string::npos);

  auto threads = testing::lockstep("check lock tas --threads 0");
  CHECK(threads.status == 2);
  CHECK(threads.err.find("check lock: --threads must be 1..8") != std::string::npos);

  auto param = testing::lockstep("check lock ttas_backoff --param backoff_max=32 --param nope=1");
  CHECK(param.status == 2);
  CHECK(param.err.find("nope") != std::string::npos);

  auto show = testing::lockstep("lock show mcs --threads 3");
  CHECK(show.status == 0);
  CHECK(show.out.find("xchg    r2, [tail], r1") != std::string::npos);
  CHECK(show.out.find("memory layout for 3 thread(s): 4 line(s) of 64 B, 256 B from 0x10000") != std::string::npos);
  CHECK(show.out.find("     3  0x100c0        192  node[2]   (thread 2's block)") != std::string::npos);
  CHECK(show.out.find("        0x100c8        200  node[2]+8") != std::string::npos);

  auto noshow = testing::lockstep("lock shwo mcs");
  CHECK(noshow.status == 2);
  CHECK(noshow.err.find("did you mean 'show'?") != std::string::npos);
}

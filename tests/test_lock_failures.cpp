// Acquires that can fail (issue 9 item 1): the `.can_fail` / `.trylock_info` declarations,
// `capacity` from a param, workload.on_failure retries, acquire_failures and the trylock
// figures, and the locks built on them (compound, trylock_info). Expected numbers are
// derived in the comments before each check.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <string>

#include "cli_helpers.hpp"
#include "common/error.hpp"
#include "observe/event.hpp"
#include "sim_helpers.hpp"

using namespace lockstep;

namespace {

uint64_t failures(const stats::Point& s) {
  uint64_t n = 0;
  for (const auto& c : s.per_core) n += c.acquire_failures;
  return n;
}

// Counts the threads holding the lock at once (AcquireReturn with arg 1 .. ReleaseCall).
struct Holders : observe::Observer {
  int now = 0, most = 0;
  uint64_t failed_returns = 0;
  void on(const observe::Event& e) override {
    if (e.kind == observe::Ev::AcquireReturn) {
      if (e.arg == 0) { ++failed_returns; return; }
      most = std::max(most, ++now);
    } else if (e.kind == observe::Ev::ReleaseCall) {
      --now;
    }
  }
};

const char* kAlwaysFails = R"(lock never
.can_fail
.shared word
acquire:
  ld r1, [word]
  li r0, 0
  ret
release:
  ret
)";

}  // namespace

TEST_CASE("assembler: .can_fail, .trylock_info and capacity from a param") {
  auto p = testing::assemble("lock a\n.can_fail\nacquire:\n ret\nrelease:\n ret\n", 2);
  CHECK(p.can_fail);
  CHECK_FALSE(p.trylock_info);
  p = testing::assemble("lock a\n.trylock_info\nacquire:\n ret\nrelease:\n ret\n", 2);
  CHECK(p.can_fail);
  CHECK(p.trylock_info);
  // capacity NAME takes the param's final value, overrides included.
  const std::string sem = "lock s\nparam k = 3\ncapacity k\nacquire:\n ret\nrelease:\n ret\n";
  CHECK(testing::assemble(sem, 4).capacity == 3);
  isa::AssembleOptions o;
  o.file = "s.lock";
  o.ncpu = 8;
  o.params = {{"k", 5}};
  auto q = isa::assemble(sem, o);
  CHECK(q.capacity == 5);
  CHECK(q.capacity_param == "k");
  CHECK(testing::assemble("lock s\ncapacity ncpu\nacquire:\n ret\nrelease:\n ret\n", 6).capacity == 6);
  // Errors name file:line:col and what was expected.
  try {
    testing::assemble("lock s\nparam k = 3\ncapacity kk\nacquire:\n ret\nrelease:\n ret\n", 4);
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()) == "test.lock:3:10: capacity: unknown parameter 'kk' (did you mean 'k'?)");
  }
  o.params = {{"k", 0}};
  try {
    isa::assemble(sem, o);
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()) == "s.lock:3:10: capacity must be between 1 and 1000000, got 0 (from 'k')");
  }
  try {
    testing::assemble("lock s\n.can_fail x\nacquire:\n ret\nrelease:\n ret\n", 2);
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()) == "test.lock:2:11: unexpected 'x' at end of line");
  }
  // numa_node is an operand like tid, and a reserved name.
  auto n = testing::assemble("lock a\nacquire:\n mov r1, numa_node\n add r2, numa_node, 1\n ret\nrelease:\n ret\n", 2);
  CHECK(n.code[0].a.kind == isa::Operand::Kind::Node);
  CHECK(n.code[1].a.kind == isa::Operand::Kind::Node);
  CHECK_THROWS_WITH_AS(testing::assemble("lock a\n.shared numa_node\nacquire:\n ret\nrelease:\n ret\n", 2),
                       "test.lock:2:9: 'numa_node' is reserved", InputError);
}

TEST_CASE("the nine always-succeeding locks do not declare .can_fail (their r0 is never read)") {
  for (const std::string lock : {"tas", "ttas", "ttas_backoff", "ticket", "ticket_backoff", "anderson", "mcs", "clh",
                                 "qspinlock"}) {
    CAPTURE(lock);
    auto p = testing::point(4, lock, 10, 2);
    sim::Machine m(p);
    CHECK_FALSE(m.lock().can_fail);
    auto s = m.run();
    CHECK(failures(s) == 0);
  }
}

TEST_CASE("a lock that never succeeds: failures counted, no holder, then exit-4 livelock (alive, not progressing)") {
  auto prog = testing::assemble(kAlwaysFails, 2);
  auto p = testing::point(2, "never", 1, 0);
  p.workload.on_failure.retry_after_cycles = 10;
  p.run.livelock_micro_ops = 3000;
  sim::Machine m(p, {}, &prog);
  Holders h;
  m.subscribe(&h);
  try {
    m.run();
    FAIL("no error");
  } catch (const NoProgressError& e) {
    CHECK(std::string(e.what()).find("livelock: 3000 micro-ops machine-wide without an acquire returning") !=
          std::string::npos);
  }
  // Each attempt runs 3 micro-ops (ld, li, ret), none of them progress: the limit trips on
  // the 3000th micro-op, the ret of the 1000th attempt, before it returns: 999 failed
  // returns, none of them a holder.
  CHECK(h.failed_returns == 999);
  CHECK(h.most == 0);
}

TEST_CASE("compound: a waiter that times out fails, is counted, and retries after on_failure.retry_after_cycles") {
  // Two threads, one acquisition each, tokens = 2 (no token contention). The first to the
  // inner lock holds it for a 10,500-cycle critical section. The other waits at most
  // timeout_cycles = 1,000 per attempt, then retries 1,000 cycles later: attempts start at
  // about 0, 2,000, 4,000, 6,000, 8,000 (each a little later: a few misses per attempt),
  // all five time out before the holder releases at about 10,500; the sixth, at about
  // 10,000, waits for that release and wins. Five failures, all on the second thread.
  auto p = testing::point(2, "compound", 1, 0);
  p.workload.lock_params = {{"tokens", 2}, {"timeout_cycles", 1000}};
  p.workload.critical_section = {10500, 0, 1};
  p.workload.outside.cycles = 0;
  p.workload.on_failure.retry_after_cycles = 1000;
  auto s = sim::Machine(p).run();
  CHECK(s.acquisitions == 2);
  CHECK(failures(s) == 5);
  CHECK(std::min(s.per_core[0].acquire_failures, s.per_core[1].acquire_failures) == 0);
  // The loser's wait runs from its first call through the retries: about 10,500 cycles.
  CHECK(s.wait.max() >= 10500);
  CHECK(s.wait.max() < 11000);
  // With a timeout longer than the critical section nobody fails.
  p.workload.lock_params = {{"tokens", 2}, {"timeout_cycles", 20000}};
  s = sim::Machine(p).run();
  CHECK(failures(s) == 0);
}

TEST_CASE("compound: the queue behind the inner lock never exceeds the tokens") {
  // Observed at every acquire/release event: token holders = tokens - avail (the counter of
  // free tokens read from memory). A token holder is inside (acquire return .. release
  // return: the release gives the token back last) or waits for the inner lock, so the
  // queue behind the inner lock is token holders minus those inside, which must stay
  // <= tokens - 1; with 8 saturating threads it reaches tokens - 1 exactly. (The timeout
  // is out of reach: a thread backing off for a token may starve for a long time, which
  // is what the lock trades for a short queue.)
  for (int tokens : {1, 2, 3}) {
    CAPTURE(tokens);
    auto p = testing::point(8, "compound", 30, 3);
    p.workload.lock_params = {{"tokens", tokens}, {"timeout_cycles", 1000000000}};
    p.workload.critical_section = {200, 0, 1};
    p.workload.outside.cycles = 0;
    sim::Machine m(p);
    struct Queue : observe::Observer {
      sim::Machine* m = nullptr;
      uint64_t avail = 0;
      int64_t tokens = 0, holding = 0, most_waiting = 0, most_holders = 0;
      void on(const observe::Event& e) override {
        if (e.kind == observe::Ev::AcquireReturn && e.arg) ++holding;
        if (e.kind == observe::Ev::ReleaseReturn) --holding;
        if (e.kind == observe::Ev::BusGrant || e.kind == observe::Ev::BusDone) return;
        const int64_t holders = tokens - int64_t(m->peek(avail));
        most_holders = std::max(most_holders, holders);
        most_waiting = std::max(most_waiting, holders - holding);
      }
    } q;
    q.m = &m;
    q.tokens = tokens;
    q.avail = sim::Machine::kArenaBase + m.lock().vars[size_t(m.lock().var_index("avail"))].offset;
    m.subscribe(&q);
    auto s = m.run();
    CHECK(s.acquisitions == 240);
    CHECK(failures(s) == 0);
    CHECK(q.most_holders == tokens);
    CHECK(q.most_waiting == tokens - 1);
  }
}

TEST_CASE("trylock_info: reports the holder and the waiters it saw; attempts = acquisitions + failures") {
  // Four threads, one acquisition each, a 5,000-cycle critical section, retry every 300
  // cycles. The first cas wins; the three others fail, register as waiters and retry.
  // Every failure sees a holder (r2 != 0), and the waiters it reports are the other
  // registered threads: at most 2 (three losers minus itself).
  auto p = testing::point(4, "trylock_info", 1, 0);
  p.workload.critical_section = {5000, 0, 1};
  p.workload.outside.cycles = 0;
  p.workload.on_failure.retry_after_cycles = 300;
  auto s = sim::Machine(p).run();
  REQUIRE(s.trylock.present);
  CHECK(s.acquisitions == 4);
  CHECK(s.trylock.attempts == 4 + s.trylock.failures);
  CHECK(s.trylock.failures == failures(s));
  CHECK(s.trylock.failures > 3 * (5000 / 400));  // three losers retrying through >= one CS each
  uint64_t sum = 0, unknown = 0;
  for (const auto& [w, n] : s.trylock.waiters_seen_hist) {
    CHECK(w <= 2);
    sum += n;
  }
  CHECK(sum == s.trylock.attempts);
  CHECK(s.trylock.waiters_seen_hist.at(2) > 0);  // once all three registered, each sees two others
  for (const auto& [h, n] : s.trylock.holder_seen) if (h < 0) unknown += n;
  CHECK(unknown == 0);
  CHECK(s.trylock.holder_seen.size() >= 2);  // the lock changed hands while others retried
  // Locks that do not report it have no trylock figures.
  CHECK_FALSE(sim::Machine(testing::point(2, "ticket", 5, 1)).run().trylock.present);
}

TEST_CASE("on_failure and read_fraction are config keys; read_fraction needs a reader-writer lock (exit 2)") {
  testing::TempDir d;
  const std::string f = d.write("x.yaml", R"(name: x
machine: {cores: 2}
workload:
  lock: compound
  lock_params: {tokens: 1, timeout_cycles: 300}
  acquisitions_per_thread: 20
  warmup_acquisitions: 0
  critical_section: {cycles: 1000}
  outside: {cycles: 0}
  on_failure: {retry_after_cycles: 50}
)");
  auto r = testing::lockstep("run " + f + " -o " + (d.path / "out").string());
  REQUIRE(r.status == 0);
  const std::string js = testing::slurp(d.path / "out" / "points" / "default" / "stats.json");
  CHECK(js.find("\"acquire_failures\":") != std::string::npos);
  CHECK(js.find("\"acquire_failures\": 0,") == std::string::npos);  // a 1,000-cycle CS beats a 300-cycle timeout
  const std::string bad = d.write("bad.yaml", "name: bad\nmachine: {cores: 2}\nworkload:\n  lock: ticket\n  read_fraction: 0.5\n");
  r = testing::lockstep("run " + bad + " -o " + (d.path / "bad").string());
  CHECK(r.status == 2);
  CHECK(r.err.find("workload.read_fraction: lock 'ticket' is not a reader-writer lock") != std::string::npos);
  const std::string typo = d.write("typo.yaml", "name: t\nworkload:\n  on_failure: {retry_after: 5}\n");
  r = testing::lockstep("run " + typo + " -o " + (d.path / "t").string());
  CHECK(r.status == 2);
  CHECK(r.err.find("typo.yaml:3:16") != std::string::npos);
  CHECK(r.err.find("retry_after_cycles") != std::string::npos);
}

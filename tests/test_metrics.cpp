// Lock metrics from the observation stream (docs/stats.md): wait, hold, release, handoff
// (release call -> next waiting acquirer's return), reacquires, lock_stat figures, and the
// time-window mode. Expected numbers are derived by hand in the comments.
#include <doctest/doctest.h>

#include "sim_helpers.hpp"

using namespace lockstep;

namespace {
stats::Point run(const config::Point& p, const isa::Program* prog = nullptr) {
  sim::Machine m(p, sim::SimOptions{}, prog);
  return m.run();
}

// One thread, TAS, CS = `work 50`, fixed outside 100, default core (alu 1, L1 hit 4).
config::Point alone() {
  auto p = testing::point(1, "tas", 50, 5);
  p.workload.critical_section = {50, 0, 0};
  p.workload.outside = {};
  p.workload.outside.cycles = 100;
  return p;
}

double cycles_per_acq(const stats::Point& s) { return double(s.cycles) / double(s.acquisitions); }
}  // namespace

TEST_CASE("one thread, tas: wait, hold and release exactly as counted by hand") {
  // acquire: tas (hit 4) + beq 1 + li 1, ret at +6        -> wait 6
  // CS: starts after the ret's cycle, work 50, ret at +51  -> hold 51
  // release: st (hit 4), ret at +5                         -> release 5
  // next acquire call: 1 (ret) + 100 outside later         -> 6 + 51 + 5 + 100 = 162 a round
  const auto s = run(alone());
  REQUIRE(s.acquisitions == 50);
  CHECK(s.wait.count() == 50);
  CHECK(s.wait.min() == 6);
  CHECK(s.wait.max() == 6);
  CHECK(s.hold.min() == 51);
  CHECK(s.hold.max() == 51);
  CHECK(s.release.min() == 5);
  CHECK(s.release.max() == 5);
  CHECK(s.handoff.count() == 0);
  CHECK(s.reacquires == 0);  // nobody else waits
  // The window runs from the warm-up's last acquire return to the last release return.
  CHECK(s.cycles == 50 * 162 + 51 + 5);
  // lock_stat: no contention, no bounce (one CPU), hold figures over every acquisition.
  REQUIRE(s.lockstat.present);
  CHECK(s.lockstat.acquisitions == 50);
  CHECK(s.lockstat.contentions == 0);
  CHECK(s.lockstat.acq_bounces == 0);
  CHECK(s.lockstat.waittime_total == 0);
  CHECK(s.lockstat.holdtime_min == 51);
  CHECK(s.lockstat.holdtime_max == 51);
  CHECK(s.lockstat.holdtime_total == 50 * 51);
}

TEST_CASE("time window: exactly the acquisitions that return before the close") {
  // The window opens at the warm-up's last acquire return R; acquisitions return at R + 162k.
  // A window of 1620 cycles closes after cycle R + 1619: k = 1..9 are in, k = 10 is not.
  auto p = alone();
  p.workload.duration_cycles = 1620;
  const auto s = run(p);
  CHECK(s.cycles == 1620);
  CHECK(s.acquisitions == 9);
  CHECK(s.wait.count() == 9);
  REQUIRE(s.per_core.size() == 1);
  CHECK(s.per_core[0].acquisitions == 9);
  CHECK(s.per_core[0].cycles_acquiring == 9 * 6);
  CHECK(s.per_core[0].cycles_in_cs == 10 * 51);  // the hold that opened the window counts too
  // Holds and releases are those of the measured acquisitions.
  CHECK(s.hold.count() == 9);
  CHECK(s.release.count() == 9);
}

TEST_CASE("saturated: cycles per acquisition = hold + handoff, for the fair locks") {
  for (const std::string lock : {"ticket", "mcs", "clh", "qspinlock", "anderson"}) {
    CAPTURE(lock);
    auto p = testing::point(8, lock, 100, 10);
    p.workload.outside.cycles = 0;
    const auto s = run(p);
    CHECK(s.handoff.count() >= s.acquisitions - 1);
    const double identity = s.hold.mean() + s.handoff.mean();
    CHECK(identity == doctest::Approx(cycles_per_acq(s)).epsilon(0.03));
    // Every acquisition of a saturated fair lock waited, and came from another CPU.
    CHECK(s.lockstat.contentions == s.acquisitions);
    CHECK(s.lockstat.acq_bounces == s.acquisitions);
    CHECK(s.lockstat.con_bounces == s.acquisitions);
    CHECK(s.reacquires == 0);
    CHECK(s.lockstat.waittime_total == uint64_t(s.wait.mean() * double(s.wait.count()) + 0.5));
  }
}

TEST_CASE("time window: TTAS captures the lock, the ticket lock hands it on every time") {
  auto window = [](const std::string& lock) {
    auto p = testing::point(16, lock, 1, 10);
    p.workload.duration_cycles = 200000;
    p.workload.outside = {"uniform", 0, 0, 200, 0};
    return run(p);
  };
  const auto ticket = window("ticket");
  const auto ttas = window("ttas");
  const double ticket_ratio = double(ticket.handoff.count()) / double(ticket.acquisitions);
  const double ttas_ratio = double(ttas.handoff.count()) / double(ttas.acquisitions);
  MESSAGE("handoff ratio ticket " << ticket_ratio << " ttas " << ttas_ratio << "; jain ticket " << ticket.jain()
                                  << " ttas " << ttas.jain() << "; reacquires ttas " << ttas.reacquires);
  CHECK(ticket_ratio > 0.95);
  CHECK(ttas_ratio < 0.2 * ticket_ratio);
  CHECK(ttas.reacquires > ttas.acquisitions / 2);
  CHECK(ticket.reacquires == 0);
  CHECK(ticket.jain() > 0.99);
  CHECK(ttas.jain() < ticket.jain());
}

TEST_CASE("Hemlock: the release waits for the successor's acknowledgement, inside the handoff") {
  // Dice & Kogan, SPAA'21: the releaser publishes the grant in its own node and waits until
  // the successor clears it. Measured from the release *call*, the handoff includes the
  // successor's read of the grant; the old "from release return" definition made it 0.
  const char* src = R"(lock hemlock
capacity 1
.shared tail
.percpu grant 1
acquire:
  lea   r1, grant
  xchg  r2, [tail], r1
  beq   r2, 0, done
wait:
  ld    r3, [r2]
  bne   r3, 0, ack
  pause
  jmp   wait
ack:
  st    [r2], 0
done:
  ret
release:
  lea   r1, grant
  cas   r2, [tail], r1, 0
  beq   r2, r1, out
  st    [r1], 1
spin:
  ld    r3, [r1]
  beq   r3, 0, out
  pause
  jmp   spin
out:
  ret
)";
  auto p = testing::point(4, "hemlock", 50, 5);
  p.workload.outside.cycles = 0;
  const auto prog = testing::assemble(src, 4);
  const auto s = run(p, &prog);
  CHECK(s.handoff.count() >= s.acquisitions - 1);
  CHECK(s.handoff.min() > 0);
  // The successor's acquire returns while the release still waits for the acknowledgement.
  CHECK(s.release.percentile(50) > s.handoff.percentile(50));
}

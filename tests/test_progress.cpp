// No hang, no silent nonsense: the simulator core's limits and its no-progress detection
// (issue 11 defects 2, 4, 10). Each asserts the exception (= exit status) and the message.
#include <doctest/doctest.h>

#include <chrono>

#include "common/error.hpp"
#include "sim_helpers.hpp"

using namespace lockstep;

namespace {
// Runs `src` as the lock on `cores` cores; returns "kind: message" of what it threw.
std::string outcome(const std::string& src, int cores, int64_t acq = 2) {
  auto p = testing::point(cores, "t", acq, 0);
  p.workload.outside.cycles = 0;
  const auto prog = testing::assemble(src, cores);
  try {
    sim::Machine m(p, sim::SimOptions{}, &prog);
    m.run();
  } catch (const InputError& e) {
    return std::string("input: ") + e.what();
  } catch (const NoProgressError& e) {
    return std::string("no progress: ") + e.what();
  } catch (const CorrectnessError& e) {
    return std::string("correctness: ") + e.what();
  }
  return "ok";
}
}  // namespace

TEST_CASE("an acquire that calls itself stops at a call depth of 64 with its location (exit 2)") {
  const auto r = outcome("lock t\nacquire:\n  call acquire\n  ret\nrelease:\n  ret\n", 1);
  CHECK(r.rfind("input: test.lock:3:3: call stack deeper than 64", 0) == 0);
}

TEST_CASE("work with a negative register is an error, not time running backwards (exit 2)") {
  const auto r = outcome("lock t\nacquire:\n  li r1, -5\n  work r1\n  ret\nrelease:\n  ret\n", 1);
  CHECK(r.rfind("input: test.lock:4:3: work: negative cycle count -5", 0) == 0);
}

TEST_CASE("an ALU-only loop that never touches memory is a livelock (exit 4), found fast") {
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = outcome("lock t\nacquire:\n  add r1, r1, 1\n  jmp acquire\nrelease:\n  ret\n", 2);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  CHECK(r.rfind("no progress: ", 0) == 0);
  CHECK(r.find("livelock: 16777216 micro-ops machine-wide without an acquire returning") != std::string::npos);
  CHECK(r.find("run.livelock_micro_ops") != std::string::npos);
  CHECK(r.find("core 0: in acquire at test.lock:") != std::string::npos);
  MESSAGE("detected after " << s << " s of host time");
}

TEST_CASE("a tas spin on a lock nobody releases is reported (exit 4) long before run.max_cycles") {
  // The release forgets to store 0: the second thread's tas loop is not a pure-load spin, so
  // fast-forward's deadlock check never sees it; the livelock budget does.
  const char* src = R"(lock t
capacity 1
.shared word
acquire:
  tas   r1, [word]
  beq   r1, 0, got
  pause
  jmp   acquire
got:
  ret
release:
  ret
)";
  const auto r = outcome(src, 2, 3);
  CAPTURE(r);
  CHECK(r.rfind("no progress: no progress: deadlock at cycle ", 0) == 0);
  CHECK(r.find("livelock") != std::string::npos);
  CHECK(r.find("test.lock:") != std::string::npos);
}

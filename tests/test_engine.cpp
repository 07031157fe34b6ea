// The discrete-event engine: ordering by (cycle, class, order), no ticking, the cycle limit.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include "engine/engine.hpp"

using namespace lockstep;

namespace {
struct Recorder : Component {
  std::vector<std::string>* log;
  std::string name;
  Engine* e;
  Recorder(std::vector<std::string>* l, std::string n, Engine* en) : log(l), name(std::move(n)), e(en) {}
  void handle(int kind, uint64_t arg) override {
    log->push_back(name + ":" + std::to_string(kind) + "@" + std::to_string(e->now()) + "/" + std::to_string(arg));
  }
};
}  // namespace

TEST_CASE("events run in cycle order, then class, then order, then insertion") {
  Engine e;
  std::vector<std::string> log;
  Recorder a(&log, "a", &e), b(&log, "b", &e);
  e.schedule(10, kArbiter, 0, &a, 1);
  e.schedule(10, kCore, 5, &b, 2);
  e.schedule(10, kCore, 3, &a, 3);
  e.schedule(10, kMemory, 9, &b, 4);
  e.schedule(5, kArbiter, 0, &a, 5);
  e.schedule(10, kCore, 3, &b, 6);  // same (cycle, class, order) as kind 3: after it
  CHECK(e.pending() == 6);
  CHECK(e.pending_in(kCore) == 3);
  e.run();
  std::vector<std::string> want = {"a:5@5/0", "b:4@10/0", "a:3@10/0", "b:6@10/0", "b:2@10/0", "a:1@10/0"};
  CHECK(log == want);
  CHECK(e.events() == 6);
  CHECK(e.empty());
  CHECK(e.pending_in(kCore) == 0);
}

TEST_CASE("scheduling order does not change the execution order of distinct keys") {
  std::vector<std::string> first, second;
  for (int pass = 0; pass < 2; ++pass) {
    Engine e;
    auto& log = pass ? second : first;
    Recorder r(&log, "r", &e);
    std::vector<std::tuple<Cycle, Priority, uint32_t, int>> evs = {
        std::make_tuple(Cycle(7), kCore, 2u, 1), std::make_tuple(Cycle(7), kCore, 1u, 2),
        std::make_tuple(Cycle(3), kMemory, 0u, 3), std::make_tuple(Cycle(7), kMemory, 4u, 4),
        std::make_tuple(Cycle(9), kArbiter, 0u, 5)};
    if (pass) std::reverse(evs.begin(), evs.end());
    for (auto& [t, p, o, k] : evs) e.schedule(t, p, o, &r, k);
    e.run();
  }
  CHECK(first == second);
  CHECK(first.front() == "r:3@3/0");
  CHECK(first.back() == "r:5@9/0");
}

TEST_CASE("an event may schedule more work at the current cycle; the limit stops the run") {
  Engine e;
  struct Chain : Component {
    Engine* e;
    int n = 0;
    void handle(int, uint64_t) override {
      ++n;
      e->schedule(e->now() + 100, kCore, 0, this, 0);
    }
  } c;
  c.e = &e;
  e.schedule(0, kCore, 0, &c, 0);
  e.set_limit(1000);
  CHECK_FALSE(e.run());
  CHECK(e.hit_limit());
  CHECK(c.n == 11);  // cycles 0, 100, ..., 1000
  CHECK(e.now() == 1000);
}

TEST_CASE("an idle engine does nothing") {
  Engine e;
  CHECK(e.run());
  CHECK(e.events() == 0);
  CHECK(e.now() == 0);
}

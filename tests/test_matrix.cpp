// The foundation's lock-traffic properties on every protocol × fabric: on the bus (snoop) and
// on each network (directory), MCS/CLH traffic per acquisition does not grow with the cores
// while the ticket lock's grows with the number of waiters; mutual exclusion and the
// coherence invariants hold throughout (run.check_invariants).
#include <doctest/doctest.h>

#include "sim_helpers.hpp"

using namespace lockstep;

namespace {
double traffic_per_acq(const std::string& lock, const std::string& protocol, const std::string& topology, int cores) {
  auto p = testing::point(cores, lock, 40, 10);
  p.workload.outside.cycles = 0;  // saturated: every thread always waits
  p.machine.protocol = protocol;
  p.machine.interconnect.topology = topology;
  p.machine.coherence = topology == "bus" ? "snoop" : "directory";
  p.run.check_invariants = true;
  sim::Machine m(p);
  auto s = m.run();
  REQUIRE(s.acquisitions == uint64_t(40 * cores));
  uint64_t traffic = topology == "bus" ? s.coherence.bus_transactions : s.coherence.messages;
  return double(traffic) / double(s.acquisitions);
}
}  // namespace

TEST_CASE("every protocol x fabric: queue locks flat, ticket grows with the waiters") {
  for (std::string proto : {"MSI", "MESI", "MOESI", "MESIF"}) {
    for (std::string topo : {"bus", "crossbar", "ring", "mesh", "numa"}) {
      CAPTURE(proto);
      CAPTURE(topo);
      for (std::string lock : {"mcs", "clh"}) {
        CAPTURE(lock);
        double at4 = traffic_per_acq(lock, proto, topo, 4), at16 = traffic_per_acq(lock, proto, topo, 16);
        CHECK(at16 <= at4 * 1.10);
        CHECK(at16 >= at4 * 0.90);
      }
      double t4 = traffic_per_acq("ticket", proto, topo, 4), t16 = traffic_per_acq("ticket", proto, topo, 16);
      // 12 more waiters: each is invalidated and re-reads at every release, close to one
      // bus transaction (or more than one message) per added waiter.
      CHECK(t16 >= t4 + 0.9 * 12);
      CHECK(t16 >= 2.0 * t4);
    }
  }
}

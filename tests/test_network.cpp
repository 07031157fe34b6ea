// Interconnect networks (sim/interconnect): shapes, routes, hop counts, exact timing,
// contention, statistics and input errors. Defaults unless a test says otherwise:
// link latency 2, bandwidth 16 B/cycle, router 1 cycle; so a 72-byte data message takes
// ceil(72/16) = 5 cycles to serialize and 5 + 2 + 1 = 8 cycles per uncontended hop, and an
// 8-byte control message 1 + 2 + 1 = 4.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "config/loader.hpp"
#include "interconnect/graph_network.hpp"
#include "interconnect/network.hpp"

using lockstep::InputError;
using lockstep::config::EdgeCfg;
using lockstep::config::InterconnectCfg;
using lockstep::net::GraphNetwork;
using lockstep::net::make_network;

namespace {

InterconnectCfg topo(const std::string& t) {
  InterconnectCfg c;
  c.topology = t;
  return c;
}

std::vector<int> route(const lockstep::net::Network& n, int src, int dst) {
  const auto* g = dynamic_cast<const GraphNetwork*>(&n);
  REQUIRE(g != nullptr);
  return g->route(src, dst);
}

// The InputError message make_network throws, or "" if it does not throw one.
std::string input_error(const InterconnectCfg& c, int cores) {
  try {
    make_network(c, cores);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("ring: shortest direction, clockwise on a tie") {
  auto n = make_network(topo("ring"), 16);
  CHECK(n->nodes() == 16);
  CHECK(n->hops(0, 8) == 8);
  CHECK(n->hops(0, 9) == 7);
  CHECK(n->hops(0, 15) == 1);
  CHECK(n->hops(3, 3) == 0);
  CHECK(route(*n, 0, 9) == std::vector<int>{0, 15, 14, 13, 12, 11, 10, 9});
  // Distance 8 either way: clockwise (increasing ids, wrapping) from every node.
  CHECK(route(*n, 5, 13) == std::vector<int>{5, 6, 7, 8, 9, 10, 11, 12, 13});
  CHECK(route(*n, 13, 5) == std::vector<int>{13, 14, 15, 0, 1, 2, 3, 4, 5});
  CHECK(n->describe() == "ring 16, 16 links (32 directed)");
  CHECK(n->link_stats().size() == 32);
}

TEST_CASE("ring: tiny rings") {
  auto two = make_network(topo("ring"), 2);
  CHECK(two->link_stats().size() == 2);
  CHECK(two->hops(0, 1) == 1);
  CHECK(two->hops(1, 0) == 1);
  auto one = make_network(topo("ring"), 1);
  CHECK(one->link_stats().empty());
  CHECK(one->send(0, 0, 72, 5) == 6);
}

TEST_CASE("mesh: shape, XY routes, hop counts") {
  auto n = make_network(topo("mesh"), 16);
  CHECK(n->describe() == "mesh 4x4, 24 links (48 directed)");
  CHECK(n->hops(0, 15) == 6);
  CHECK(n->hops(3, 12) == 6);
  CHECK(n->hops(5, 6) == 1);
  // Dimension order: along X (the row) first, then along Y.
  CHECK(route(*n, 0, 15) == std::vector<int>{0, 1, 2, 3, 7, 11, 15});
  CHECK(route(*n, 15, 0) == std::vector<int>{15, 14, 13, 12, 8, 4, 0});
  CHECK(route(*n, 12, 3) == std::vector<int>{12, 13, 14, 15, 11, 7, 3});
  CHECK(route(*n, 1, 13) == std::vector<int>{1, 5, 9, 13});
  // XY is minimal: hops equal the Manhattan distance for every pair.
  for (int s = 0; s < 16; ++s)
    for (int d = 0; d < 16; ++d) CHECK(n->hops(s, d) == std::abs(s % 4 - d % 4) + std::abs(s / 4 - d / 4));
}

TEST_CASE("mesh: automatic and partial shapes") {
  CHECK(make_network(topo("mesh"), 64)->describe() == "mesh 8x8, 112 links (224 directed)");
  CHECK(make_network(topo("mesh"), 8)->describe() == "mesh 4x2, 10 links (20 directed)");
  CHECK(make_network(topo("mesh"), 7)->describe() == "mesh 7x1, 6 links (12 directed)");
  CHECK(make_network(topo("mesh"), 12)->describe() == "mesh 4x3, 17 links (34 directed)");
  InterconnectCfg c = topo("mesh");
  c.width = 8;
  CHECK(make_network(c, 16)->describe() == "mesh 8x2, 22 links (44 directed)");
  c.width = 0;
  c.height = 8;
  CHECK(make_network(c, 16)->describe() == "mesh 2x8, 22 links (44 directed)");
  c.width = 2;
  c.height = 8;
  auto n = make_network(c, 16);
  CHECK(n->hops(0, 15) == 8);   // (0,0) -> (1,7)
  CHECK(route(*n, 0, 15) == std::vector<int>{0, 1, 3, 5, 7, 9, 11, 13, 15});
}

TEST_CASE("mesh: impossible shapes are input errors") {
  InterconnectCfg c = topo("mesh");
  c.width = 3;
  c.height = 3;
  std::string e = input_error(c, 16);
  CHECK(contains(e, "mesh 3x3 has 9 nodes but the machine has 16 cores"));
  c.width = 5;
  c.height = 0;
  CHECK(contains(input_error(c, 16), "width 5 does not divide 16 cores"));
  c.width = 0;
  c.height = 3;
  CHECK(contains(input_error(c, 16), "height 3 does not divide 16 cores"));
  c.width = -1;
  CHECK(contains(input_error(c, 16), "must be >= 0"));
}

TEST_CASE("crossbar: two links per message through one switch") {
  auto n = make_network(topo("crossbar"), 16);
  CHECK(n->nodes() == 17);
  CHECK(n->describe() == "crossbar 16 cores, 1 switch, 16 links (32 directed)");
  CHECK(n->hops(0, 5) == 2);
  CHECK(n->hops(15, 0) == 2);
  CHECK(route(*n, 3, 9) == std::vector<int>{3, 16, 9});
  CHECK(n->send(3, 9, 72, 100) == 116);   // 2 hops x 8
  CHECK(n->send(4, 10, 8, 100) == 108);   // 2 hops x 4
}

TEST_CASE("numa: switch per socket, inter-socket link") {
  auto n = make_network(topo("numa"), 16);   // 2 sockets x 8
  CHECK(n->nodes() == 18);
  CHECK(n->describe() == "numa 2x8, 2 switches, 17 links (34 directed)");
  CHECK(n->hops(0, 7) == 2);
  CHECK(n->hops(0, 8) == 3);
  CHECK(route(*n, 0, 8) == std::vector<int>{0, 16, 17, 8});
  // Cross-socket, 8 bytes at cycle 100: core link (1 + 2 + 1), inter-socket link
  // (ceil(8/8) = 1 + 40 + 1), core link (1 + 2 + 1) = 100 + 4 + 42 + 4.
  CHECK(n->send(0, 8, 8, 100) == 150);
  CHECK(n->send(1, 2, 8, 100) == 108);
  // 72 bytes: 5+2+1, then ceil(72/8) = 9 + 40 + 1, then 5+2+1.
  CHECK(n->send(9, 1, 72, 0) == 66);

  InterconnectCfg c = topo("numa");
  c.sockets = 4;
  c.inter_socket_latency_cycles = 20;
  c.inter_socket_bandwidth_bytes = 32;
  auto four = make_network(c, 16);   // 4 x 4, switches fully connected: 6 socket cables
  CHECK(four->describe() == "numa 4x4, 4 switches, 22 links (44 directed)");
  for (int d = 4; d < 16; ++d) CHECK(four->hops(0, d) == 3);
  CHECK(route(*four, 1, 14) == std::vector<int>{1, 16, 19, 14});
  CHECK(four->send(1, 14, 72, 0) == 8 + (3 + 20 + 1) + 8);
}

TEST_CASE("numa: shape errors") {
  InterconnectCfg c = topo("numa");
  c.sockets = 5;
  CHECK(contains(input_error(c, 16), "16 cores cannot be split evenly over 5 sockets"));
  c.sockets = 2;
  c.cores_per_socket = 4;
  CHECK(contains(input_error(c, 16), "2 sockets x 4 cores_per_socket = 8 cores, but the machine has 16"));
  c.cores_per_socket = 0;
  c.sockets = 0;
  CHECK(contains(input_error(c, 16), "sockets must be >= 1"));
  c.sockets = 2;
  c.inter_socket_bandwidth_bytes = 0;
  CHECK(contains(input_error(c, 16), "inter_socket_bandwidth_bytes must be >= 1"));
}

TEST_CASE("timing: uncontended arrival is the sum over hops") {
  auto n = make_network(topo("mesh"), 16);
  CHECK(n->send(0, 15, 72, 10) == 10 + 6 * 8);
  CHECK(n->send(15, 0, 8, 10) == 10 + 6 * 4);   // the reverse links are separate
  CHECK(n->send(5, 5, 72, 10) == 11);            // local: through the node's own port
  InterconnectCfg c = topo("ring");
  c.link_latency_cycles = 7;
  c.link_bandwidth_bytes = 32;
  c.router_cycles = 3;
  auto r = make_network(c, 8);
  // 3 hops of ceil(72/32) = 3 + 7 + 3 = 13.
  CHECK(r->send(0, 3, 72, 1000) == 1039);
  // Zero-byte messages take no serialization: 3 x (0 + 7 + 3).
  CHECK(r->send(0, 3, 0, 2000) == 2030);
}

TEST_CASE("timing: contention on a shared link, none on disjoint links") {
  SUBCASE("same first link: the second waits one serialization") {
    auto n = make_network(topo("crossbar"), 4);
    CHECK(n->send(0, 1, 72, 0) == 16);
    CHECK(n->send(0, 2, 72, 0) == 21);   // core 0's uplink busy 0..5
    CHECK(n->send(0, 3, 72, 0) == 26);   // ... and 5..10
  }
  SUBCASE("same last link (two senders, one receiver)") {
    auto n = make_network(topo("crossbar"), 4);
    CHECK(n->send(0, 1, 72, 0) == 16);   // switch->1 busy 8..13
    CHECK(n->send(2, 1, 72, 0) == 21);   // reaches the switch at 8, waits until 13
  }
  SUBCASE("disjoint links do not interfere") {
    auto n = make_network(topo("crossbar"), 4);
    CHECK(n->send(0, 1, 72, 0) == 16);
    CHECK(n->send(2, 3, 72, 0) == 16);
    CHECK(n->send(1, 0, 72, 0) == 16);   // the opposite direction of the same cables
    CHECK(n->send(3, 2, 72, 0) == 16);
  }
  SUBCASE("a link free again by the time the message arrives costs nothing") {
    auto n = make_network(topo("crossbar"), 4);
    CHECK(n->send(0, 1, 72, 0) == 16);
    CHECK(n->send(0, 1, 72, 5) == 21);   // uplink free at 5 exactly
    CHECK(n->send(0, 1, 72, 100) == 116);
  }
  SUBCASE("mesh: links are booked in call order") {
    auto n = make_network(topo("mesh"), 16);
    CHECK(n->send(0, 15, 72, 0) == 48);   // 0->1->2->3->7->11->15; 1->2 booked 8..13
    // A link keeps one next-free cycle, so a later call queues behind the earlier booking
    // even though 1->2 is idle 0..8: 1->2 at 13..18, 2->3 at 21..26, arrival 29.
    CHECK(n->send(1, 3, 72, 0) == 29);
    // 0->1 free at 5 (5..10, at node 1 by 13), 1->2 free at 18 (18..23): arrival 26.
    CHECK(n->send(0, 2, 72, 0) == 26);
    // XY from 0 to 15 did not touch the column 0->4->8, nor 4->8->12.
    CHECK(n->send(0, 8, 72, 0) == 16);
    CHECK(n->send(4, 8, 72, 0) == 21);    // 4->8 booked 8..13 by 0->8: 13..18, + 3
    CHECK(n->send(8, 12, 72, 0) == 8);    // untouched link
  }
}

TEST_CASE("statistics: link counters, mean hops, reset") {
  auto n = make_network(topo("mesh"), 16);
  n->send(0, 15, 72, 0);   // 6 hops
  n->send(0, 1, 8, 0);     // 1 hop
  n->send(4, 4, 72, 0);    // local, 0 hops
  CHECK(n->mean_hops() == doctest::Approx(7.0 / 3.0));
  const auto st = n->link_stats();
  uint64_t msgs = 0, bytes = 0, busy = 0;
  for (const auto& l : st) {
    msgs += l.messages;
    bytes += l.bytes;
    busy += l.busy_cycles;
  }
  CHECK(msgs == 7);
  CHECK(bytes == 6 * 72 + 8);
  CHECK(busy == 6 * 5 + 1);
  int link01 = 0;
  for (const auto& l : st)
    if (l.from == 0 && l.to == 1) {
      CHECK(l.messages == 2);
      CHECK(l.bytes == 80);
      CHECK(l.busy_cycles == 6);
      ++link01;
    }
  CHECK(link01 == 1);

  n->reset_stats();
  CHECK(n->mean_hops() == 0.0);
  for (const auto& l : n->link_stats()) {
    CHECK(l.messages == 0);
    CHECK(l.busy_cycles == 0);
  }
  // Reservations survive a reset: 0->1 is busy until 6 (0..5 then 5..6).
  CHECK(n->send(0, 1, 8, 0) == 6 + 1 + 2 + 1);
}

TEST_CASE("homes sit with the cores") {
  auto x = make_network(topo("crossbar"), 8);
  CHECK(x->home_node(3) == 3);
  CHECK(x->home_node(11) == 3);
  auto u = make_network(topo("numa"), 8);
  CHECK(u->home_node(5) == u->core_node(5));
  InterconnectCfg c = topo("custom");
  c.nodes = 3;
  c.edges = {EdgeCfg{0, 1, -1, -1}, EdgeCfg{1, 2, -1, -1}};
  c.attach = {2, 0};
  auto g = make_network(c, 2);
  CHECK(g->core_node(0) == 2);
  CHECK(g->core_node(1) == 0);
  CHECK(g->home_node(0) == 2);
  CHECK(g->home_node(3) == 0);
}

TEST_CASE("custom: routes by latency, then hops, then edge order") {
  InterconnectCfg c = topo("custom");
  c.nodes = 3;
  // Direct 0-2 costs 10 + 1; via node 1 costs (1 + 1) + (1 + 1).
  c.edges = {EdgeCfg{0, 2, 10, -1}, EdgeCfg{0, 1, 1, -1}, EdgeCfg{1, 2, 1, -1}};
  auto n = make_network(c, 3);
  CHECK(n->describe() == "custom 3 nodes, 3 links (6 directed)");
  CHECK(route(*n, 0, 2) == std::vector<int>{0, 1, 2});
  CHECK(n->send(0, 2, 72, 0) == (5 + 1 + 1) * 2);

  // Equal latency (router 0): 2 either way, so the single hop wins.
  c.router_cycles = 0;
  c.edges = {EdgeCfg{0, 1, 1, -1}, EdgeCfg{1, 2, 1, -1}, EdgeCfg{0, 2, 2, -1}};
  CHECK(route(*make_network(c, 3), 0, 2) == std::vector<int>{0, 2});

  // A square with two equal routes 0->3: the edge listed first decides.
  c.router_cycles = 1;
  c.nodes = 4;
  c.edges = {EdgeCfg{0, 1, -1, -1}, EdgeCfg{1, 3, -1, -1}, EdgeCfg{0, 2, -1, -1}, EdgeCfg{2, 3, -1, -1}};
  CHECK(route(*make_network(c, 4), 0, 3) == std::vector<int>{0, 1, 3});
  c.edges = {EdgeCfg{0, 2, -1, -1}, EdgeCfg{2, 3, -1, -1}, EdgeCfg{0, 1, -1, -1}, EdgeCfg{1, 3, -1, -1}};
  CHECK(route(*make_network(c, 4), 0, 3) == std::vector<int>{0, 2, 3});

  // Per-edge bandwidth: 72 bytes over 4 B/cycle serialize for 18 cycles.
  c.nodes = 2;
  c.edges = {EdgeCfg{0, 1, 3, 4}};
  auto slow = make_network(c, 2);
  CHECK(slow->send(0, 1, 72, 0) == 18 + 3 + 1);
  CHECK(slow->send(0, 1, 72, 0) == 36 + 3 + 1);
  CHECK(slow->send(1, 0, 72, 0) == 22);

  // Extra nodes without cores are routers only.
  c.nodes = 5;
  c.edges = {EdgeCfg{0, 4, -1, -1}, EdgeCfg{1, 4, -1, -1}, EdgeCfg{2, 4, -1, -1}, EdgeCfg{3, 4, -1, -1}};
  c.attach = {};
  auto star = make_network(c, 4);
  CHECK(star->hops(0, 3) == 2);
  CHECK(route(*star, 2, 1) == std::vector<int>{2, 4, 1});
}

TEST_CASE("custom: input errors name the problem") {
  InterconnectCfg c = topo("custom");
  c.nodes = 4;
  c.edges = {EdgeCfg{0, 1, -1, -1}, EdgeCfg{2, 3, -1, -1}};
  const std::string disc = input_error(c, 4);
  CHECK(contains(disc, "custom graph is disconnected"));
  CHECK(contains(disc, "cannot reach node"));

  c.edges = {EdgeCfg{0, 1, -1, -1}, EdgeCfg{1, 9, -1, -1}};
  CHECK(contains(input_error(c, 4), "interconnect.edges[1]: node 9 does not exist (nodes are 0..3)"));
  c.edges = {EdgeCfg{-1, 1, -1, -1}};
  CHECK(contains(input_error(c, 4), "edges[0]: node -1 does not exist"));
  c.edges = {EdgeCfg{2, 2, -1, -1}};
  CHECK(contains(input_error(c, 4), "edges[0]: an edge must join two different nodes"));
  c.edges = {EdgeCfg{0, 1, -5, -1}};
  CHECK(contains(input_error(c, 4), "edges[0].latency_cycles must be >= 0"));
  c.edges = {EdgeCfg{0, 1, -1, 0}};
  CHECK(contains(input_error(c, 4), "edges[0].bandwidth_bytes must be >= 1"));

  c.edges = {EdgeCfg{0, 1, -1, -1}, EdgeCfg{1, 2, -1, -1}, EdgeCfg{2, 3, -1, -1}};
  c.attach = {0, 7};
  CHECK(contains(input_error(c, 2), "interconnect.attach[1] = 7 is not a node (nodes are 0..3)"));
  c.attach = {0, 1, 2};
  CHECK(contains(input_error(c, 2), "attach lists 3 nodes but the machine has 2 cores"));
  c.attach = {};
  CHECK(contains(input_error(c, 6), "6 cores but only 4 nodes"));
  c.nodes = 0;
  CHECK(contains(input_error(c, 2), "nodes must be >= 1"));
}

TEST_CASE("make_network: topology names and common parameters") {
  CHECK(contains(input_error(topo("bus"), 4), "snooping bus"));
  CHECK(contains(input_error(topo("mesj"), 4), "did you mean 'mesh'"));
  InterconnectCfg c = topo("ring");
  c.link_bandwidth_bytes = 0;
  CHECK(contains(input_error(c, 4), "link_bandwidth_bytes must be >= 1"));
  c = topo("ring");
  c.router_cycles = -1;
  CHECK(contains(input_error(c, 4), "router_cycles must be >= 0"));
  CHECK(contains(input_error(topo("ring"), 0), "cores must be >= 1"));
}

TEST_CASE("determinism: the same sends give the same arrivals and stats") {
  for (const char* t : {"crossbar", "ring", "mesh", "numa"}) {
    CAPTURE(t);
    auto a = make_network(topo(t), 16);
    auto b = make_network(topo(t), 16);
    std::mt19937_64 rng(42);
    uint64_t now = 0, sum = 0;
    for (int i = 0; i < 2000; ++i) {
      now += rng() % 4;
      const int s = static_cast<int>(rng() % 16), d = static_cast<int>(rng() % 16);
      const int bytes = rng() % 2 ? 72 : 8;
      const uint64_t ta = a->send(a->core_node(s), a->core_node(d), bytes, now);
      CHECK(ta == b->send(b->core_node(s), b->core_node(d), bytes, now));
      CHECK(ta >= now + 1);
      sum += ta - now;
    }
    CHECK(sum > 0);
    const auto sa = a->link_stats(), sb = b->link_stats();
    REQUIRE(sa.size() == sb.size());
    uint64_t msgs = 0;
    for (size_t i = 0; i < sa.size(); ++i) {
      CHECK(sa[i].busy_cycles == sb[i].busy_cycles);
      CHECK(sa[i].messages == sb[i].messages);
      msgs += sa[i].messages;
    }
    // Every link traversal is one hop.
    CHECK(static_cast<double>(msgs) == doctest::Approx(a->mean_hops() * 2000));
  }
}

// The machine presets load through the experiment loader (so every key is a real schema
// key) and build the network they describe.
TEST_CASE("machine presets: configs/machines/*.yaml build their networks") {
  struct Preset {
    const char* file;
    const char* describe;
    int cores;
  };
  const Preset presets[] = {
      {"crossbar16.yaml", "crossbar 16 cores, 1 switch, 16 links (32 directed)", 16},
      {"ring16.yaml", "ring 16, 16 links (32 directed)", 16},
      {"mesh8x8.yaml", "mesh 8x8, 112 links (224 directed)", 64},
      {"numa2x8.yaml", "numa 2x8, 2 switches, 17 links (34 directed)", 16},
  };
  for (const Preset& p : presets) {
    CAPTURE(p.file);
    const std::string dir = std::string(LOCKSTEP_SOURCE_DIR) + "/configs/machines/";
    const auto e = lockstep::config::load_experiment_text("name: preset\nextends: " + dir + p.file + "\n",
                                                          dir + "preset-test.yaml");
    REQUIRE(e.points.size() == 1);
    const lockstep::config::MachineCfg& m = e.points[0].machine;
    CHECK(m.cores == p.cores);
    CHECK(m.coherence == "directory");
    CHECK(m.protocol == "MESI");
    CHECK(m.directory.occupancy_cycles == 10);
    CHECK(make_network(m.interconnect, m.cores)->describe() == p.describe);
  }
}

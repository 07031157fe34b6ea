// make_network: builds each topology of DESIGN.md §3 as a GraphNetwork (nodes, cables,
// where the cores sit) and checks the shape the configuration asks for. Node numbering,
// stable because tests and traces name nodes:
//   crossbar  cores 0..N-1 on nodes 0..N-1, the switch is node N
//   ring      core i on node i; node i is cabled to i+1 (mod N)
//   mesh      core i on node i = y * width + x
//   numa      core i on node i; socket s's switch is node cores + s
//   custom    the user's nodes; core i on attach[i] (default node i)
// Homes sit with the cores (GraphNetwork::home_node), so they need no nodes of their own.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/error.hpp"
#include "interconnect/graph_network.hpp"

namespace lockstep::net {

namespace {

using config::InterconnectCfg;

std::string str(int v) { return std::to_string(v); }

std::unique_ptr<GraphNetwork> crossbar(const InterconnectCfg& c, int cores) {
  auto g = std::make_unique<GraphNetwork>("crossbar " + str(cores) + " cores, 1 switch", c.router_cycles);
  for (int i = 0; i < cores; ++i) g->add_node();
  const int sw = g->add_node();
  for (int i = 0; i < cores; ++i) g->add_cable(i, sw, c.link_latency_cycles, c.link_bandwidth_bytes);
  std::vector<int> at(cores);
  for (int i = 0; i < cores; ++i) at[i] = i;
  g->set_core_nodes(at);
  g->finalize("crossbar");
  return g;
}

std::unique_ptr<GraphNetwork> ring(const InterconnectCfg& c, int cores) {
  auto g = std::make_unique<GraphNetwork>("ring " + str(cores), c.router_cycles);
  for (int i = 0; i < cores; ++i) g->add_node();
  // Two nodes need one cable, not two parallel ones; one node needs none.
  const int n_cables = cores == 1 ? 0 : cores == 2 ? 1 : cores;
  for (int i = 0; i < n_cables; ++i) g->add_cable(i, (i + 1) % cores, c.link_latency_cycles, c.link_bandwidth_bytes);
  std::vector<int> at(cores);
  for (int i = 0; i < cores; ++i) at[i] = i;
  g->set_core_nodes(at);
  // Shortest direction, clockwise (increasing node id) on a tie. Stated as a rule rather
  // than left to the generic tie-break, which prefers whichever link was added first.
  g->finalize("ring", [cores](int node, int dst) {
    const int cw = (dst - node + cores) % cores;
    return cw <= cores - cw ? (node + 1) % cores : (node - 1 + cores) % cores;
  });
  return g;
}

// Most square factorisation: the largest height <= sqrt(cores) that divides cores.
std::pair<int, int> mesh_shape(const InterconnectCfg& c, int cores) {
  int w = c.width, h = c.height;
  if (w < 0 || h < 0)
    throw InputError("interconnect.width/height must be >= 0 (0 = choose from the core count); got " + str(w) +
                     "x" + str(h));
  if (w == 0 && h == 0) {
    for (int d = 1; d * d <= cores; ++d)
      if (cores % d == 0) h = d;
    w = cores / h;
  } else if (w == 0 || h == 0) {
    const int given = w ? w : h;
    if (cores % given != 0)
      throw InputError("interconnect mesh: " + std::string(w ? "width " : "height ") + str(given) +
                       " does not divide " + str(cores) + " cores (set both width and height, or neither)");
    (w ? h : w) = cores / given;
  }
  if (w * h != cores)
    throw InputError("interconnect mesh " + str(w) + "x" + str(h) + " has " + str(w * h) +
                     " nodes but the machine has " + str(cores) + " cores (width * height must equal cores)");
  return {w, h};
}

std::unique_ptr<GraphNetwork> mesh(const InterconnectCfg& c, int cores) {
  const auto [w, h] = mesh_shape(c, cores);
  auto g = std::make_unique<GraphNetwork>("mesh " + str(w) + "x" + str(h), c.router_cycles);
  for (int i = 0; i < cores; ++i) g->add_node();
  const int lat = c.link_latency_cycles, bw = c.link_bandwidth_bytes;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x + 1 < w; ++x) g->add_cable(y * w + x, y * w + x + 1, lat, bw);
  for (int y = 0; y + 1 < h; ++y)
    for (int x = 0; x < w; ++x) g->add_cable(y * w + x, (y + 1) * w + x, lat, bw);
  std::vector<int> at(cores);
  for (int i = 0; i < cores; ++i) at[i] = i;
  g->set_core_nodes(at);
  // Dimension-order routing: all the way along X, then along Y. Deadlock-free on a real
  // mesh and minimal, which is why routers use it; here it fixes which links a route loads.
  g->finalize("mesh", [w = w](int node, int dst) {  // init-capture: clang < 16 cannot capture a structured binding
    const int x = node % w, y = node / w, dx = dst % w, dy = dst / w;
    if (x != dx) return node + (dx > x ? 1 : -1);
    return node + (dy > y ? w : -w);
  });
  return g;
}

std::unique_ptr<GraphNetwork> numa(const InterconnectCfg& c, int cores) {
  const int s = c.sockets;
  if (s < 1) throw InputError("interconnect.sockets must be >= 1 (got " + str(s) + ")");
  int per = c.cores_per_socket;
  if (per < 0) throw InputError("interconnect.cores_per_socket must be >= 0 (0 = cores / sockets); got " + str(per));
  if (per == 0) {
    if (cores % s != 0)
      throw InputError("interconnect numa: " + str(cores) + " cores cannot be split evenly over " + str(s) +
                       " sockets (sockets must divide machine.cores)");
    per = cores / s;
  }
  if (s * per != cores)
    throw InputError("interconnect numa " + str(s) + " sockets x " + str(per) + " cores_per_socket = " +
                     str(s * per) + " cores, but the machine has " + str(cores));
  if (c.inter_socket_latency_cycles < 0)
    throw InputError("interconnect.inter_socket_latency_cycles must be >= 0 (got " +
                     str(c.inter_socket_latency_cycles) + ")");
  if (c.inter_socket_bandwidth_bytes < 1)
    throw InputError("interconnect.inter_socket_bandwidth_bytes must be >= 1 byte per cycle (got " +
                     str(c.inter_socket_bandwidth_bytes) + ")");
  auto g = std::make_unique<GraphNetwork>("numa " + str(s) + "x" + str(per) + ", " + str(s) + " switches",
                                          c.router_cycles);
  for (int i = 0; i < cores; ++i) g->add_node();
  for (int k = 0; k < s; ++k) g->add_node();   // switch of socket k = node cores + k
  for (int i = 0; i < cores; ++i)
    g->add_cable(i, cores + i / per, c.link_latency_cycles, c.link_bandwidth_bytes);
  // Sockets are fully connected (one hop between any two), as on 2- to 4-socket boards.
  for (int a = 0; a < s; ++a)
    for (int b = a + 1; b < s; ++b)
      g->add_cable(cores + a, cores + b, c.inter_socket_latency_cycles, c.inter_socket_bandwidth_bytes);
  std::vector<int> at(cores);
  for (int i = 0; i < cores; ++i) at[i] = i;
  g->set_core_nodes(at);
  g->finalize("numa");
  return g;
}

std::unique_ptr<GraphNetwork> custom(const InterconnectCfg& c, int cores) {
  if (c.nodes < 1)
    throw InputError("interconnect custom: nodes must be >= 1 (the number of graph nodes); got " + str(c.nodes));
  auto g = std::make_unique<GraphNetwork>("custom " + str(c.nodes) + " nodes", c.router_cycles);
  for (int i = 0; i < c.nodes; ++i) g->add_node();
  const std::string range = "0.." + str(c.nodes - 1);
  for (size_t e = 0; e < c.edges.size(); ++e) {
    const config::EdgeCfg& ed = c.edges[e];
    const std::string where = "interconnect.edges[" + std::to_string(e) + "]";
    if (ed.from < 0 || ed.from >= c.nodes || ed.to < 0 || ed.to >= c.nodes)
      throw InputError(where + ": node " + str(ed.from < 0 || ed.from >= c.nodes ? ed.from : ed.to) +
                       " does not exist (nodes are " + range + ")");
    if (ed.from == ed.to) throw InputError(where + ": an edge must join two different nodes (got " + str(ed.from) + " to itself)");
    const int lat = ed.latency_cycles == -1 ? c.link_latency_cycles : ed.latency_cycles;
    const int bw = ed.bandwidth_bytes == -1 ? c.link_bandwidth_bytes : ed.bandwidth_bytes;
    if (lat < 0) throw InputError(where + ".latency_cycles must be >= 0 (or -1 for the default); got " + str(lat));
    if (bw < 1) throw InputError(where + ".bandwidth_bytes must be >= 1 (or -1 for the default); got " + str(bw));
    g->add_cable(ed.from, ed.to, lat, bw);
  }
  std::vector<int> at = c.attach;
  if (at.empty()) {
    if (cores > c.nodes)
      throw InputError("interconnect custom: " + str(cores) + " cores but only " + str(c.nodes) +
                       " nodes; give attach: (one node per core) or more nodes");
    at.resize(cores);
    for (int i = 0; i < cores; ++i) at[i] = i;
  } else {
    if (static_cast<int>(at.size()) != cores)
      throw InputError("interconnect.attach lists " + std::to_string(at.size()) + " nodes but the machine has " +
                       str(cores) + " cores (one node per core)");
    for (int i = 0; i < cores; ++i)
      if (at[i] < 0 || at[i] >= c.nodes)
        throw InputError("interconnect.attach[" + str(i) + "] = " + str(at[i]) + " is not a node (nodes are " +
                         range + ")");
  }
  g->set_core_nodes(at);
  g->finalize("interconnect custom graph");
  return g;
}

}  // namespace

std::unique_ptr<Network> make_network(const config::InterconnectCfg& cfg, int cores) {
  if (cores < 1) throw InputError("machine.cores must be >= 1 for a network (got " + str(cores) + ")");
  if (cfg.link_latency_cycles < 0)
    throw InputError("interconnect.link_latency_cycles must be >= 0 (got " + str(cfg.link_latency_cycles) + ")");
  if (cfg.link_bandwidth_bytes < 1)
    throw InputError("interconnect.link_bandwidth_bytes must be >= 1 byte per cycle (got " +
                     str(cfg.link_bandwidth_bytes) + ")");
  if (cfg.router_cycles < 0)
    throw InputError("interconnect.router_cycles must be >= 0 (got " + str(cfg.router_cycles) + ")");
  const std::string& t = cfg.topology;
  if (t == "crossbar") return crossbar(cfg, cores);
  if (t == "ring") return ring(cfg, cores);
  if (t == "mesh") return mesh(cfg, cores);
  if (t == "numa") return numa(cfg, cores);
  if (t == "custom") return custom(cfg, cores);
  if (t == "bus")
    throw InputError("interconnect.topology bus is the snooping bus, not a network: use coherence: snoop, or a "
                     "network topology (crossbar | ring | mesh | numa | custom) with coherence: directory");
  const std::string near = nearest(t, {"crossbar", "ring", "mesh", "numa", "custom", "bus"});
  throw InputError("unknown interconnect.topology '" + t + "' (expected crossbar | ring | mesh | numa | custom" +
                   (near.empty() ? std::string(")") : "; did you mean '" + near + "'?)"));
}

}  // namespace lockstep::net

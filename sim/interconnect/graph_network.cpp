// GraphNetwork: routing on Boost.Graph, then message timing by booking links.
//
// Routing (done once, in finalize): for every destination, Dijkstra on the reversed graph
// gives each node's distance to it; the next hop from a node is the lowest-numbered outgoing
// link that lies on a shortest path. The edge weight is (latency + router_cycles) * nodes + 1:
// shortest on latency first, fewer hops on a latency tie (the +1 per hop can never outweigh
// one cycle because a simple path has fewer than `nodes` hops), then the link added first.
// Topologies with a named routing rule (mesh: X then Y) pass it explicitly instead.
//
// Timing (send): one pass over the route's cached links; store-and-forward per link, infinite buffers, no virtual channels and no
// credits. On each link of the route the message starts when it has arrived at the link's
// source and the link is free, occupies the link for ceil(bytes / bandwidth) cycles, and
// reaches the next node latency + router_cycles cycles after its last byte left.
#include "interconnect/graph_network.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <utility>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/dijkstra_shortest_paths.hpp>
#include <boost/graph/reverse_graph.hpp>

#include "common/error.hpp"

namespace lockstep::net {

namespace {

struct EdgeProp {
  int64_t weight = 1;
  int link = 0;   // index into GraphNetwork::links_
};
// bidirectionalS: reverse_graph needs in-edges (distances *to* a destination).
using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS,
                                    boost::no_property, EdgeProp>;

uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

}  // namespace

GraphNetwork::GraphNetwork(std::string name, int router_cycles)
    : name_(std::move(name)), router_cycles_(router_cycles) {
  if (router_cycles < 0)
    throw InputError("interconnect.router_cycles must be >= 0 (got " + std::to_string(router_cycles) + ")");
}

int GraphNetwork::add_node() {
  if (finalized_) throw std::logic_error("GraphNetwork::add_node after finalize");
  return node_count_++;
}

void GraphNetwork::add_link(int from, int to, int latency_cycles, int bandwidth_bytes) {
  links_.push_back(Link{from, to, latency_cycles, bandwidth_bytes, LinkStats{from, to, 0, 0, 0}});
}

void GraphNetwork::add_cable(int a, int b, int latency_cycles, int bandwidth_bytes) {
  if (finalized_) throw std::logic_error("GraphNetwork::add_cable after finalize");
  // Builders validate user input with better context; these are programming errors.
  if (a < 0 || a >= node_count_ || b < 0 || b >= node_count_ || a == b)
    throw std::logic_error("GraphNetwork::add_cable: bad nodes " + std::to_string(a) + ", " + std::to_string(b));
  if (latency_cycles < 0 || bandwidth_bytes < 1)
    throw std::logic_error("GraphNetwork::add_cable: bad latency/bandwidth");
  add_link(a, b, latency_cycles, bandwidth_bytes);
  add_link(b, a, latency_cycles, bandwidth_bytes);
  ++cables_;
}

void GraphNetwork::set_core_nodes(std::vector<int> core_nodes) {
  for (int n : core_nodes)
    if (n < 0 || n >= node_count_) throw std::logic_error("GraphNetwork::set_core_nodes: bad node");
  core_nodes_ = std::move(core_nodes);
}

void GraphNetwork::finalize(const std::string& what, NextNodeFn next_node) {
  if (finalized_) throw std::logic_error("GraphNetwork::finalize twice");
  if (core_nodes_.empty()) throw std::logic_error("GraphNetwork::finalize without cores");
  const int n = node_count_;
  // Outgoing links of each node, in link order (the tie-break order).
  out_.assign(static_cast<size_t>(n), {});
  for (int i = 0; i < links() ; ++i) out_[links_[i].from].push_back(i);
  const auto& out = out_;
  if (next_node && n > table_limit_) {
    // Large and rule-routed: no tables (see set_table_limit); send() walks the rule.
    rule_ = std::move(next_node);
    lazy_ = true;
    name_ += ", " + std::to_string(cables_) + " links (" + std::to_string(links()) + " directed)";
    finalized_ = true;
    return;
  }
  next_link_.assign(static_cast<size_t>(n) * n, -1);
  hops_.assign(static_cast<size_t>(n) * n, 0);

  if (next_node) {
    for (int u = 0; u < n; ++u)
      for (int d = 0; d < n; ++d) {
        if (u == d) continue;
        const int v = next_node(u, d);
        auto it = std::find_if(out[u].begin(), out[u].end(), [&](int l) { return links_[l].to == v; });
        if (it == out[u].end())
          throw std::logic_error("routing rule sends " + std::to_string(u) + " -> " + std::to_string(d) +
                                 " over a missing link to " + std::to_string(v));
        next_link_at(u, d) = *it;
      }
  } else {
    Graph g(n);
    for (int i = 0; i < links(); ++i) {
      const Link& l = links_[i];
      const int64_t w = (static_cast<int64_t>(l.latency) + router_cycles_) * n + 1;
      boost::add_edge(l.from, l.to, EdgeProp{w, i}, g);
    }
    auto rg = boost::make_reverse_graph(g);
    const int64_t inf = std::numeric_limits<int64_t>::max();
    std::vector<int64_t> dist(n);
    for (int d = 0; d < n; ++d) {
      boost::dijkstra_shortest_paths(
          rg, static_cast<Graph::vertex_descriptor>(d),
          boost::weight_map(boost::get(&EdgeProp::weight, rg))
              .distance_map(boost::make_iterator_property_map(dist.begin(), boost::get(boost::vertex_index, rg)))
              .distance_inf(inf));
      for (int u = 0; u < n; ++u) {
        if (u == d) continue;
        if (dist[u] == inf)
          throw InputError(what + " is disconnected: node " + std::to_string(u) + " cannot reach node " +
                           std::to_string(d) + " (every node must be connected to every other)");
        for (int l : out[u]) {
          const int64_t w = (static_cast<int64_t>(links_[l].latency) + router_cycles_) * n + 1;
          if (dist[links_[l].to] != inf && dist[links_[l].to] + w == dist[u]) {
            next_link_at(u, d) = l;
            break;
          }
        }
        if (next_link_at(u, d) < 0) throw std::logic_error("no shortest-path link found");
      }
    }
  }

  // Hop counts by walking the table; a rule that loops is a programming error.
  for (int s = 0; s < n; ++s)
    for (int d = 0; d < n; ++d) {
      int h = 0;
      for (int u = s; u != d; u = links_[next_link_at(u, d)].to)
        if (++h > n) throw std::logic_error("routing loop from " + std::to_string(s) + " to " + std::to_string(d));
      hops_[static_cast<size_t>(s) * n + d] = h;
    }

  name_ += ", " + std::to_string(cables_) + " links (" + std::to_string(links()) + " directed)";
  finalized_ = true;
}

int GraphNetwork::rule_link(int node, int dst) const {
  const int v = rule_(node, dst);
  for (int l : out_[static_cast<size_t>(node)])
    if (links_[static_cast<size_t>(l)].to == v) return l;
  throw std::logic_error("routing rule sends " + std::to_string(node) + " -> " + std::to_string(dst) +
                         " over a missing link to " + std::to_string(v));
}

void GraphNetwork::check_node(int node, const char* role) const {
  if (!finalized_) throw std::logic_error("GraphNetwork used before finalize");
  if (node < 0 || node >= node_count_)
    throw std::out_of_range(std::string("network ") + role + " node " + std::to_string(node) + " is not in 0.." +
                            std::to_string(node_count_ - 1));
}

int GraphNetwork::core_node(int core) const {
  if (core < 0 || core >= static_cast<int>(core_nodes_.size()))
    throw std::out_of_range("core " + std::to_string(core) + " is not on the network");
  return core_nodes_[core];
}

int GraphNetwork::home_node(int home) const {
  // Home slices are interleaved over the cores and sit with them.
  const int c = static_cast<int>(core_nodes_.size());
  return core_nodes_[((home % c) + c) % c];
}

void GraphNetwork::count(uint64_t key, Route& r, int bytes) {
  if (r.bytes0 == bytes || r.bytes0 < 0) { r.bytes0 = bytes; ++r.n0; return; }
  if (r.bytes1 == bytes || r.bytes1 < 0) { r.bytes1 = bytes; ++r.n1; return; }
  for (auto& m : more_sizes_)
    if (m.key == key && m.bytes == bytes) { ++m.n; return; }
  more_sizes_.push_back({key, bytes, 1});
}

GraphNetwork::Route& GraphNetwork::route_for(int src, int dst) {
  Route& r = routes_[static_cast<uint64_t>(src) * static_cast<uint64_t>(node_count_) + static_cast<uint64_t>(dst)];
  if (r.len == 0) {  // src != dst: every route has a link
    if (next_free_.empty()) {  // first message: the booking arrays
      next_free_.assign(links_.size(), 0);
      for (const Link& l : links_) delay_.push_back(static_cast<uint32_t>(l.latency + router_cycles_));
    }
    r.first = static_cast<uint32_t>(route_links_.size());
    int h = 0;
    for (int u = src; u != dst;) {
      if (++h > node_count_) throw std::logic_error("routing loop from " + std::to_string(src) + " to " + std::to_string(dst));
      const int l = next_link(u, dst);
      route_links_.push_back(static_cast<uint32_t>(l));
      const uint32_t bw = static_cast<uint32_t>(links_[static_cast<size_t>(l)].bandwidth);
      r.bandwidth = h == 1 ? bw : (r.bandwidth == bw ? bw : 0);
      u = links_[static_cast<size_t>(l)].to;
    }
    r.len = static_cast<uint32_t>(h);
    route_keys_.push_back(static_cast<uint64_t>(src) * static_cast<uint64_t>(node_count_) + static_cast<uint64_t>(dst));
  }
  return r;
}

uint64_t GraphNetwork::send(int src, int dst, int bytes, uint64_t now) {
  check_node(src, "source");
  check_node(dst, "destination");
  if (bytes < 0) throw std::invalid_argument("network message of negative size");
  ++messages_;
  if (src == dst) return now + 1;   // through the node's own port: no link is used
  Route& r = route_for(src, dst);
  count(static_cast<uint64_t>(src) * static_cast<uint64_t>(node_count_) + static_cast<uint64_t>(dst), r, bytes);
  total_hops_ += r.len;
  const uint32_t* l = route_links_.data() + r.first;
  const uint32_t* end = l + r.len;
  uint64_t t = now;
  if (r.bandwidth != 0) {  // the usual case: one serialization time for the whole route
    const uint64_t ser = ceil_div(static_cast<uint64_t>(bytes), r.bandwidth);
    for (; l != end; ++l) {
      const uint64_t start = std::max(t, next_free_[*l]);
      next_free_[*l] = start + ser;
      t = start + ser + delay_[*l];
    }
    return t;
  }
  for (; l != end; ++l) {
    const uint64_t ser = ceil_div(static_cast<uint64_t>(bytes), static_cast<uint64_t>(links_[*l].bandwidth));
    const uint64_t start = std::max(t, next_free_[*l]);
    next_free_[*l] = start + ser;
    t = start + ser + delay_[*l];
  }
  return t;
}

int GraphNetwork::hops(int src, int dst) const {
  check_node(src, "source");
  check_node(dst, "destination");
  if (lazy_) return int(route(src, dst).size()) - 1;
  return hops_[static_cast<size_t>(src) * node_count_ + dst];
}

std::vector<int> GraphNetwork::route(int src, int dst) const {
  check_node(src, "source");
  check_node(dst, "destination");
  std::vector<int> r{src};
  for (int u = src; u != dst;) {
    r.push_back(u = links_[next_link(u, dst)].to);
    if (int(r.size()) > node_count_ + 1) throw std::logic_error("routing loop from " + std::to_string(src) + " to " + std::to_string(dst));
  }
  return r;
}

std::vector<LinkStats> GraphNetwork::link_stats() const {
  std::vector<LinkStats> v;
  v.reserve(links_.size());
  for (const Link& l : links_) v.push_back(l.stats);
  auto add = [&](const Route& r, int bytes, uint64_t n) {
    for (uint32_t i = r.first; i < r.first + r.len; ++i) {
      LinkStats& s = v[route_links_[i]];
      s.messages += n;
      s.bytes += n * static_cast<uint64_t>(bytes);
      s.busy_cycles += n * ceil_div(static_cast<uint64_t>(bytes), static_cast<uint64_t>(links_[route_links_[i]].bandwidth));
    }
  };
  for (uint64_t key : route_keys_) {
    const Route& r = *routes_.find(key);
    if (r.bytes0 >= 0) add(r, r.bytes0, r.n0);
    if (r.bytes1 >= 0) add(r, r.bytes1, r.n1);
  }
  for (const auto& m : more_sizes_) add(*routes_.find(m.key), m.bytes, m.n);
  return v;
}

double GraphNetwork::mean_hops() const {
  return messages_ == 0 ? 0.0 : static_cast<double>(total_hops_) / static_cast<double>(messages_);
}

void GraphNetwork::reset_stats() {
  // Counters only: the links' reservations (next_free) are machine state, not statistics,
  // so a message in flight across a warm-up boundary still delays the ones behind it.
  for (uint64_t key : route_keys_) {
    Route& r = routes_[key];
    r.bytes0 = r.bytes1 = -1;
    r.n0 = r.n1 = 0;
  }
  more_sizes_.clear();
  messages_ = 0;
  total_hops_ = 0;
}

}  // namespace lockstep::net

// The one Network implementation behind every topology (crossbar, ring, mesh, numa, custom):
// a directed graph of nodes and links, a precomputed next-hop table, and per-link booking.
// Topology builders (topologies.cpp) add nodes and cables, say where cores sit, and call
// finalize(). Boost.Graph is used only inside graph_network.cpp, so this header stays light.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/flat_map.hpp"
#include "interconnect/network.hpp"

namespace lockstep::net {

class GraphNetwork final : public Network {
 public:
  // `name` starts describe() ("mesh 8x8"); finalize() appends the link counts.
  // Every hop also pays `router_cycles` (the router at the far end of the link).
  GraphNetwork(std::string name, int router_cycles);

  // ---- building (before finalize) ----
  int add_node();                       // returns the new node id (0, 1, 2, ...)
  // One physical cable = two directed links, each with its own occupancy and stats.
  // Link order is a -> b, then b -> a. Under shortest-path routing, an earlier link wins a
  // tie among a node's equally short ways out (so cable order in the config decides).
  void add_cable(int a, int b, int latency_cycles, int bandwidth_bytes);
  void set_core_nodes(std::vector<int> core_nodes);
  // Optional routing rule: next node from `node` towards `dst` (must be a neighbour over a
  // link). Without one, routes are shortest paths (see graph_network.cpp).
  using NextNodeFn = std::function<int(int node, int dst)>;
  // Computes the next-hop table. Throws InputError if some node cannot reach another
  // (the message names one such pair and `what` describes the graph, e.g. "custom graph").
  void finalize(const std::string& what, NextNodeFn next_node = nullptr);
  // With a routing rule and more than this many nodes, finalize() builds no nodes x nodes
  // tables (a 64x64 mesh: 16.8 M pairs, 128 MiB and seconds to fill): each hop asks the rule
  // and picks the link among the node's few outgoing ones. Same routes; O(hops) per message
  // either way. Tests lower it to compare both paths.
  void set_table_limit(int nodes) { table_limit_ = nodes; }
  static constexpr int kTableLimit = 256;

  // ---- Network ----
  int core_node(int core) const override;
  int home_node(int home) const override;
  int nodes() const override { return node_count_; }
  uint64_t send(int src, int dst, int bytes, uint64_t now) override;
  int hops(int src, int dst) const override;
  std::vector<LinkStats> link_stats() const override;
  double mean_hops() const override;
  void reset_stats() override;
  std::string describe() const override { return name_; }

  // ---- extras (not in the Network interface; used by tests) ----
  int links() const { return static_cast<int>(links_.size()); }
  // The nodes a message from src to dst visits, src and dst included.
  std::vector<int> route(int src, int dst) const;
  uint64_t messages_sent() const { return messages_; }
  size_t routes_cached() const { return route_keys_.size(); }

 private:
  struct Link {
    int from = 0, to = 0;
    int latency = 0, bandwidth = 1;
    LinkStats stats;          // from/to only: the counters are kept per route
  };
  // A route is computed once, on its first message, and kept as the list of its links: a
  // message then costs one lookup and one pass over those links (no next-hop table or
  // routing rule per hop). Link statistics are kept per route and message size, and added
  // up per link only when asked for (link_stats), so the pass books next_free and nothing else.
  struct Route {
    uint32_t first = 0, len = 0;  // its links: route_links_[first, first + len)
    uint32_t bandwidth = 0;       // the one bandwidth of all its links, 0 if they differ
    // Messages sent on it since reset, by size: a control and a data size fill the two
    // slots in place (48-byte table slots); further sizes (tests, custom users) go to
    // GraphNetwork::more_sizes_.
    int32_t bytes0 = -1, bytes1 = -1;
    uint64_t n0 = 0, n1 = 0;
  };
  void count(uint64_t key, Route& r, int bytes);
  Route& route_for(int src, int dst);
  void add_link(int from, int to, int latency_cycles, int bandwidth_bytes);
  void check_node(int n, const char* role) const;
  int& next_link_at(int node, int dst) { return next_link_[static_cast<size_t>(node) * node_count_ + dst]; }
  int next_link(int node, int dst) const {
    return lazy_ ? rule_link(node, dst) : next_link_[static_cast<size_t>(node) * node_count_ + dst];
  }
  int rule_link(int node, int dst) const;  // lazy routing: the rule's next node, as a link

  std::string name_;
  int router_cycles_ = 0;
  int node_count_ = 0;
  bool finalized_ = false;
  int cables_ = 0;
  std::vector<Link> links_;
  std::vector<int> core_nodes_;
  std::vector<int> next_link_;   // [node * nodes + dst] -> link index, -1 when node == dst
  std::vector<int> hops_;        // [src * nodes + dst]
  int table_limit_ = kTableLimit;
  bool lazy_ = false;            // no tables: route through rule_ hop by hop
  NextNodeFn rule_;
  std::vector<std::vector<int>> out_;  // outgoing links of each node, in link order
  uint64_t messages_ = 0;
  uint64_t total_hops_ = 0;
  // Booking state, one array per field so that a route's pass touches 12 bytes per link.
  std::vector<uint64_t> next_free_;  // per link: first cycle it can start another message
  std::vector<uint32_t> delay_;      // per link: latency + router_cycles
  std::vector<uint32_t> route_links_;
  FlatMap<Route> routes_;            // src * nodes + dst -> its route (len 0: not yet computed)
  std::vector<uint64_t> route_keys_; // the keys of routes_, in first-use order (statistics)
  struct MoreSize { uint64_t key; int bytes; uint64_t n; };
  std::vector<MoreSize> more_sizes_; // a route's third and further message sizes (rare)
};

}  // namespace lockstep::net

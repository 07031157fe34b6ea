// A point-to-point interconnect for directory coherence (DESIGN.md §3): a graph of routers
// and links (Boost.Graph inside network.cpp only; keep it out of this header). Routes are
// shortest paths; each link has a latency and a bandwidth and is reserved message by message,
// so messages queue behind each other on a busy link. A message crossing k links is one
// call, not k events: send() walks the route and books each link's next free cycle.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace lockstep::net {

struct LinkStats {
  int from = 0, to = 0;
  uint64_t busy_cycles = 0;
  uint64_t messages = 0;
  uint64_t bytes = 0;
};

class Network {
 public:
  virtual ~Network() = default;
  // Where core c's cache and home slice h sit.
  virtual int core_node(int core) const = 0;
  virtual int home_node(int home) const = 0;
  virtual int nodes() const = 0;
  // Sends `bytes` from node src to node dst, leaving at cycle `now`; returns the arrival
  // cycle at dst (>= now + 1 even for src == dst). Books every link on the route.
  virtual uint64_t send(int src, int dst, int bytes, uint64_t now) = 0;
  virtual int hops(int src, int dst) const = 0;
  virtual std::vector<LinkStats> link_stats() const = 0;
  virtual double mean_hops() const = 0;      // over the messages sent so far
  virtual void reset_stats() = 0;
  virtual std::string describe() const = 0;  // "mesh 8x8, 112 links"
};

// topology: crossbar | ring | mesh | numa | custom (bus is the snooping bus, not a Network).
// Throws InputError for an impossible shape (e.g. mesh 3x3 for 16 cores).
std::unique_ptr<Network> make_network(const config::InterconnectCfg& cfg, int cores);

}  // namespace lockstep::net

// The `numa_node` operand of the micro-op language: the NUMA node of the core a thread runs
// on. On the `numa` fabric that is the core's socket (core / cores_per_socket); every other
// topology is one node (0). Locks that keep per-node state (cohort locks) index with it.
#pragma once
#include "config/config.hpp"

namespace lockstep::workload {

inline int numa_node_of(const config::MachineCfg& m, int core) {
  const auto& ic = m.interconnect;
  if (ic.topology != "numa" || ic.sockets < 1) return 0;
  const int per = ic.cores_per_socket > 0 ? ic.cores_per_socket : m.cores / ic.sockets;
  return per > 0 ? core / per : 0;
}

}  // namespace lockstep::workload

// Runs one experiment point in the simulator: builds the Machine (cores, L1s, bus or
// directory + network) and the Workload (assembled lock + harness loop), runs the engine
// to completion and returns what it measured.
// Throws InputError (bad lock/protocol), CorrectnessError (mutual exclusion or coherence
// invariant violated: exit 3), NoProgressError (deadlock / max_cycles: exit 4).
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "config/config.hpp"
#include "stats/stats.hpp"

namespace lockstep::sim {

struct SimOptions {
  std::string trace_format;   // "" = no trace; else text|perfetto|vcd or a comma list (docs/trace.md)
  std::string trace_path;     // where the text trace goes; the others beside it (trace.json, trace.vcd)
  bool trace_warmup = false;  // traces include the warm-up
  // Holder snapshots (docs/observe.md): written to snapshot_path when any was taken — every
  // snapshot_every cycles (0: none) and always at exit 3 and 4. "" = no snapshots at all.
  std::string snapshot_path;
  uint64_t snapshot_every = 0;
  // Called every kHeartbeatEvents events with the simulated cycle and the acquisitions so
  // far (warm-up included), for progress reports; empty = never (the run pays nothing).
  std::function<void(uint64_t cycle, int64_t acquisitions)> heartbeat;
  static constexpr uint64_t kHeartbeatEvents = 1 << 16;
};

stats::Point simulate(const config::Point& point, const SimOptions& opt = {});

}  // namespace lockstep::sim

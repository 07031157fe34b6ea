// Directed latency probes (David et al., SOSP'13 §3 style): the latency of one operation by
// one core on a line that another core has prepared in a given coherence state. The machine
// presets are checked against published tables with it, and `lockstep calibrate --simulate`
// runs the same probes the native calibration runs.
#pragma once
#include <cstdint>
#include <string>

#include "config/config.hpp"
#include "stats/stats.hpp"

namespace lockstep::sim {

enum class ProbeOp { Load, Store, Atomic };  // atomic = cas (any RMW costs the same here)

// Where the line is before the probe, as the paper's "prior state":
//   "M"  another core wrote it (M in its L1)        "E"  another core alone read it (E)
//   "O"  MOESI: written by one core, read by another (O at the writer)
//   "S"  two other cores read it (S; MESIF: S + F)  "I"  in no cache and not in the LLC
// Unknown states, or a state the machine's protocol cannot produce, throw InputError.
struct ProbeResult {
  int64_t cycles = 0;             // issue of the op -> its completion (the core may go on)
  stats::Coherence coherence;     // what the probe's own access cost (counters of that one access)
};

ProbeResult probe_latency(const config::MachineCfg& machine, ProbeOp op, const std::string& state);

ProbeOp probe_op(const std::string& name);  // "load" | "store" | "atomic"; InputError otherwise

// The point a directed probe runs in: `machine`, `threads` threads doing one acquisition of a
// hand-written program each, no warm-up, no critical section, no outside work, every cycle
// simulated (fast-forward off).
config::Point probe_point(const config::MachineCfg& machine, int threads);

}  // namespace lockstep::sim

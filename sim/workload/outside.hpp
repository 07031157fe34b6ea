// The length of one stretch of outside work (workload.outside), drawn the same way by the
// simulated cores and the native harness's threads.
#pragma once
#include <cmath>
#include <cstdint>

#include "common/splitmix.hpp"
#include "config/config.hpp"

namespace lockstep::workload {

inline uint64_t outside_cycles(const config::OutsideCfg& o, SplitMix64& rng) {
  if (o.dist == "uniform") return uint64_t(o.min) + rng.below(uint64_t(o.max - o.min) + 1);
  if (o.dist == "exponential") return uint64_t(std::llround(-o.mean * std::log(rng.unit_open0())));
  return uint64_t(o.cycles);
}

}  // namespace lockstep::workload

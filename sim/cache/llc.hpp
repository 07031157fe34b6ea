// The shared last-level cache (docs/model.md): one set-associative, LRU tag array in front of
// memory, split into banks by line address; a bank serves one request at a time. It holds
// tags only: the line's data lives in coherence::Memory (the data home of LLC and memory
// together), so a broken protocol still shows up as a wrong value there.
//
// An inclusive LLC that evicts a line calls `on_evict` so the fabric removes the L1 copies
// (back-invalidation, counted in coherence.llc_back_invalidations by the fabric).
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "config/config.hpp"
#include "engine/engine.hpp"
#include "stats/stats.hpp"

namespace lockstep::cache {

class Llc {
 public:
  Llc(const config::LlcCfg& cfg, int line_bytes, int memory_latency_cycles, stats::Coherence& ctr);

  // A request for the line's data reaching the LLC at `now` waits for the line's bank, then
  // looks the tags up (hit_cycles). With `supply` the LLC is to deliver the data: a hit
  // counts llc_hits; a miss counts llc_misses and memory_reads, adds the memory latency and
  // allocates the line (evicting the set's least recently used line). Without `supply` a
  // cache delivers it: the tag is only refreshed (an inclusive LLC allocates an absent one,
  // uncounted). Returns the cycle the LLC is done.
  Cycle access(uint64_t line, Cycle now, bool supply);
  bool holds(uint64_t line) const;
  bool inclusive() const { return cfg_.inclusive; }
  void on_evict(std::function<void(uint64_t line)> f) { evict_ = std::move(f); }
  // The bank a line lives in (lines interleaved by address).
  int bank_of(uint64_t line) const { return int(line % uint64_t(cfg_.banks)); }

 private:
  struct Way {
    uint64_t line = UINT64_MAX;  // UINT64_MAX = empty
    uint64_t lru = 0;
  };
  Way* find(uint64_t line);
  Way& allocate(uint64_t line);  // the way `line` now occupies (evicting if needed)

  config::LlcCfg cfg_;
  int memory_latency_;
  stats::Coherence& ctr_;
  uint64_t sets_;
  std::vector<Way> ways_;
  std::vector<Cycle> bank_free_;  // per bank: first cycle it can start the next request
  uint64_t clock_ = 0;
  std::function<void(uint64_t)> evict_;
};

}  // namespace lockstep::cache

#include "cache/llc.hpp"

#include <algorithm>

namespace lockstep::cache {

Llc::Llc(const config::LlcCfg& cfg, int line_bytes, int memory_latency_cycles, stats::Coherence& ctr)
    : cfg_(cfg), memory_latency_(memory_latency_cycles), ctr_(ctr) {
  uint64_t lines = uint64_t(cfg.size_kib) * 1024 / uint64_t(line_bytes);
  sets_ = std::max<uint64_t>(1, lines / uint64_t(cfg.assoc));
  ways_.resize(size_t(sets_ * uint64_t(cfg.assoc)));
  bank_free_.assign(size_t(std::max(1, cfg.banks)), 0);
}

Llc::Way* Llc::find(uint64_t line) {
  Way* set = &ways_[size_t((line % sets_) * uint64_t(cfg_.assoc))];
  for (int w = 0; w < cfg_.assoc; ++w)
    if (set[w].line == line) return &set[w];
  return nullptr;
}

bool Llc::holds(uint64_t line) const { return const_cast<Llc*>(this)->find(line) != nullptr; }

Llc::Way& Llc::allocate(uint64_t line) {
  Way* set = &ways_[size_t((line % sets_) * uint64_t(cfg_.assoc))];
  Way* victim = &set[0];
  for (int w = 0; w < cfg_.assoc; ++w) {
    if (set[w].line == UINT64_MAX) { victim = &set[w]; break; }
    if (set[w].lru < victim->lru) victim = &set[w];
  }
  if (victim->line != UINT64_MAX) {
    uint64_t old = victim->line;
    victim->line = UINT64_MAX;
    if (cfg_.inclusive && evict_) evict_(old);
  }
  victim->line = line;
  return *victim;
}

Cycle Llc::access(uint64_t line, Cycle now, bool supply) {
  Cycle& free = bank_free_[size_t(bank_of(line))];
  Cycle start = std::max(now, free);
  free = start + Cycle(cfg_.bank_occupancy_cycles);
  Cycle ready = start + Cycle(cfg_.hit_cycles);
  Way* w = find(line);
  if (supply && w) {
    ++ctr_.llc_hits;
  } else if (supply) {
    ++ctr_.llc_misses;
    ++ctr_.memory_reads;
    ready += Cycle(memory_latency_);
    w = &allocate(line);
  } else if (!w) {
    if (!cfg_.inclusive) return ready;
    w = &allocate(line);
  }
  w->lru = ++clock_;
  return ready;
}

}  // namespace lockstep::cache

// The generic table-driven L1 controller for snooping protocols: it looks up
// (state, event) in the protocol's `snoop` table and runs the actions it lists. Nothing
// here knows MSI from MOESI; the tables in protocols/ do.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "coherence/cache_array.hpp"
#include "coherence/client.hpp"
#include "coherence/memory.hpp"
#include "coherence/protocol.hpp"
#include "config/config.hpp"
#include "engine/engine.hpp"
#include "stats/stats.hpp"

namespace lockstep::coherence {
class SnoopBus;
struct BusTxn;

class SnoopL1 {
 public:
  SnoopL1(int id, const ControllerSpec& spec, const config::L1Cfg& cfg, Engine& e, SnoopBus& bus, Memory& mem,
          stats::Coherence& ctr);
  void set_client(MemClient* c) { client_ = c; }

  // Processor side. Returns true if the access hit (the client's perform() already ran),
  // false if a bus transaction is under way (perform() and miss_done() come later).
  bool access(uint64_t line, bool write);
  // Whether access(line, write) would hit now (no bus request): lets a core's load that hits
  // proceed while its store buffer's miss is out.
  bool would_hit(uint64_t line, bool write);
  // Bus side, called by SnoopBus during this cache's own transaction or another's.
  void grant(BusTxn& t);
  void snoop(BusTxn& t);
  void complete(BusTxn& t);
  int owed_putm() { int n = owed_putm_; owed_putm_ = 0; return n; }
  // Split bus: transactions ordered after ours that this cache promised its data to
  // (deferSupply) and has not supplied yet (supplyDeferred).
  bool owes(uint64_t line) const;
  // How often the cell (state, event) fired (the random tester reports the race cells).
  uint64_t fired(int state, int event) const { return fired_[size_t(state) * spec_.events->size() + size_t(event)]; }
  // The inclusive LLC evicted the line: run the table's Other-GetM cell (the copy goes;
  // dirty data is written back). Returns 1 if a readable copy was removed.
  int back_invalidate(uint64_t line);

  // Inspection (invariant checker, tests, fast-forward).
  const StateInfo* state_of(uint64_t line);          // nullptr = I / not present
  CacheLine* find(uint64_t line) { return array_.find(line); }
  void touch(uint64_t line) { if (auto* c = array_.find(line)) array_.touch(c); }
  const ControllerSpec& spec() const { return spec_; }
  int id() const { return id_; }
  Memory& memory() { return mem_; }

 private:
  void fire(CacheLine& c, int event, BusTxn* t);
  [[noreturn]] void missing(const CacheLine& c, int event);
  std::string hex_address(uint64_t line) const;  // "10040"

  int id_;
  const ControllerSpec& spec_;
  CacheArray array_;
  Engine& engine_;
  SnoopBus& bus_;
  Memory& mem_;
  stats::Coherence& ctr_;
  MemClient* client_ = nullptr;
  int owed_putm_ = 0;
  std::vector<std::pair<uint64_t, BusTxn*>> owed_;  // (line, transaction waiting for our data)
  std::vector<uint64_t> fired_;
  std::vector<uint8_t> stable_;  // per state: 1 if stable (victim choice)
};

}  // namespace lockstep::coherence

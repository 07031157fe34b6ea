// The generic table-driven L1 controller of the directory protocols (controller kind
// `cache`, Primer Table 8.1 style). It turns core accesses and arriving messages into
// events, looks up (state, event) in the protocol's table and runs the listed actions.
// Which messages go where, when to stall and which state follows are the table's business;
// nothing here knows MSI from MOESI.
//
// Stalls: a core access the table stalls waits until its line changes state and is then
// retried; a forwarded message (Fwd-GetS, Fwd-GetM, Inv, Put-Ack) the table stalls waits in
// its line's queue, and later forwarded messages for that line queue behind it (the
// forwarded network is FIFO per pair; replaying out of order would break that).
// Ways: a line being evicted (MI_A, SI_A, ...) keeps its way until Put-Ack; a miss that
// finds no free way waits for one.
#pragma once
#include <cstdint>
#include <deque>
#include <vector>

#include "coherence/cache_array.hpp"
#include "coherence/client.hpp"
#include "coherence/dir_fabric.hpp"
#include "coherence/protocol.hpp"
#include "config/config.hpp"
#include "engine/engine.hpp"
#include "stats/stats.hpp"

namespace lockstep::coherence {

class DirL1 {
 public:
  // Line l's home is l % fab.homes() (interleaved over the cores, or the one pinned home).
  DirL1(int id, const ControllerSpec& spec, const config::L1Cfg& cfg, Engine& e, DirFabric& fab);
  void set_client(MemClient* c) { client_ = c; }

  // Processor side: true = hit (perform() already ran); false = perform() and miss_done()
  // come later, when the table says `hit`.
  bool access(uint64_t line, bool write);
  void touch(uint64_t line) { if (auto* c = array_.find(line)) array_.touch(c); }
  // Network side: message i arrived now. Frees it unless it stalls.
  void receive(uint32_t i);

  // Inspection (invariant checker, tests, peek).
  const StateInfo* state_of(uint64_t line) {
    CacheLine* c = array_.find(line);
    return c ? &spec_.states[size_t(c->state)] : nullptr;
  }
  CacheLine* find(uint64_t line) { return array_.find(line); }
  const ControllerSpec& spec() const { return spec_; }
  int id() const { return id_; }
  bool quiet() const { return !pending_.active && stalled_.empty(); }
  // How often each table cell ran (state * events + event), stalls included: which races a
  // run exercised.
  const std::vector<uint64_t>& fired() const { return fired_; }

 private:
  struct Pending {          // the core's one outstanding access
    bool active = false;
    bool retry = false;     // the table stalled it, or no way was free: retry on a change
    bool in_access = false; // inside access(): a `hit` is answered synchronously
    bool done = false;      // `hit` ran for it
    uint64_t line = 0;
    bool write = false;
  };
  // Returns false when the transition stalled (nothing ran, state unchanged).
  bool fire(CacheLine& c, int event, uint32_t msg);
  [[noreturn]] void missing(const CacheLine& c, int event);
  int classify(const Msg& m) const;
  CacheLine* line_for(uint64_t line);            // its way, or a scratch line in I (not present)
  void try_access();                             // (re)start the pending core access
  bool replay_one(uint64_t line);                // the first stalled message of `line`; true if it ran
  void settle(uint64_t line);                    // after a change: replays, core retry, miss done
  int home_of(uint64_t line) const { return int(line % uint64_t(homes_)); }
  uint32_t make(MsgType t, uint64_t line, bool to_home, int dst, const CacheLine* data_from);

  int id_;
  const ControllerSpec& spec_;
  CacheArray array_;
  int homes_;
  Engine& engine_;
  DirFabric& fab_;
  stats::Coherence& ctr_;
  MemClient* client_ = nullptr;
  Pending pending_;
  // Inv-Ack bookkeeping of the one outstanding GetM (the core blocks on a miss, so there is
  // at most one): acks still expected (may go negative: Inv-Acks can beat the Data), and
  // whether the count is known yet (Data or AckCount arrived).
  int acks_ = 0;
  bool counted_ = false;
  std::deque<std::pair<uint64_t, uint32_t>> stalled_;  // (line, message), arrival order
  bool replaying_ = false;
  std::vector<uint8_t> stable_;
  std::vector<uint64_t> fired_;
  CacheLine scratch_;               // a message for a line this cache does not hold runs on it
  std::vector<uint8_t> scratch_data_;
};

}  // namespace lockstep::coherence

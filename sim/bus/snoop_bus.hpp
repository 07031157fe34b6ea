// A snooping bus. Atomic (Primer §7.2, the default): one transaction owns the bus from grant
// to completion, so no other request can race with it. Split (interconnect.mode: split): the
// request's tenure is the ordering point, the data follows in a tenure of its own, and the
// bus serves others in between (see split_arbitrate). Round-robin or FIFO arbitration;
// occupancy = request phase + data phase (+ memory latency when memory supplies the data,
// + a request and a data phase for a PutM the requester owes from an eviction).
#pragma once
#include <cstdint>
#include <deque>
#include <set>
#include <unordered_set>
#include <unordered_map>
#include <vector>

#include "bus/core_set.hpp"
#include "bus/snoop_filter.hpp"
#include "config/config.hpp"
#include "engine/engine.hpp"
#include "observe/event.hpp"
#include "stats/stats.hpp"

namespace lockstep::cache { class Llc; }

namespace lockstep::coherence {
class SnoopL1;

struct BusTxn {
  enum Type : uint8_t { None, GetS, GetM, Upgrade };
  int requester = -1;
  uint64_t line = 0;
  Type type = None;
  int supplier = -1;          // cache that ran supplyData, -1 = memory
  std::vector<uint8_t> data;  // the line's data on the bus
  int invalidated = 0;
  bool shared = false;        // another cache kept a readable copy (the bus's "shared" wire)
  bool wrote_back = false;    // a snooped cache wrote dirty data back (LLC: one more data phase)
  bool had_sharers = false;   // before the snoop, another cache held the line non-exclusively (S, O, F)
  bool deferred = false;      // split bus: the supplier still owes the data (deferSupply)
};

class SnoopBus : public Component {
 public:
  SnoopBus(Engine& e, const config::MachineCfg& m, stats::Coherence& ctr);
  void attach(std::vector<SnoopL1*> l1s);
  void request(int cache, uint64_t line);
  // A snoop filter: which caches hold a line in any state but I. Broadcasting to every
  // cache and asking each one gives the same result; this just skips the ones that would
  // answer "not present" (they ignore other requests in I in every protocol).
  // Every L1 state change (the snoop filter: see snoop_filter.hpp).
  void state_change(int cache, uint64_t line, int from, int to);
  void handle(int kind, uint64_t arg) override;
  bool idle() const { return !busy_ && waiting_ == 0 && outstanding_ == 0; }
  // Trace writers listen here: BusGrant / BusDone events (nullptr = none, costs one branch).
  void set_stream(const observe::Stream* s) { stream_ = s; }
  void set_check(bool on) { check_ = on; }
  // Split bus with a snoop-split table: a request for a line with a response outstanding is
  // ordered at once and the table's race cells handle it (otherwise it waits at the bus).
  void set_races(bool on) { races_ = on; }
  // Tests: snoop every cache, as a bus without a snoop filter would (the reference the
  // filter must match exactly).
  void set_broadcast(bool on) { broadcast_ = on; }
  // The shared LLC (machine.llc): it supplies what no cache owns; its evictions come back
  // here as back-invalidations of the L1 copies (inclusive).
  void set_llc(cache::Llc* llc);

 private:
  enum Kind { kArbitrate, kComplete, kTenureEnd, kRespond };
  void order(int r, uint64_t line, BusTxn& t);
  void arbitrate();
  Cycle sharer_inv_extra(const BusTxn& t) const;
  // interconnect.mode: split
  void split_arbitrate();
  void tenure_end();
  void respond_done(uint32_t slot);
  bool blocked(uint64_t line) const;
  void complete();
  int pick();
  void check_line(uint64_t line);
  void back_invalidate(uint64_t line);

  Engine& engine_;
  const config::MachineCfg& m_;
  stats::Coherence& ctr_;
  std::vector<SnoopL1*> l1s_;
  SnoopFilter filter_;
  std::vector<int> snoopers_;
  std::vector<int64_t> pending_;   // per cache: line waiting for the bus, -1 = none
  CoreSet waiting_set_;            // caches with a line in pending_
  std::deque<int> fifo_;
  int waiting_ = 0;
  int last_ = -1;                  // round robin: last cache granted
  bool busy_ = false;
  bool arb_scheduled_ = false;
  bool fifo_mode_ = false;
  bool check_ = false;
  bool broadcast_ = false;
  BusTxn txn_;
  // split mode: transactions ordered whose response is still to come
  struct Slot {
    BusTxn txn;
    Cycle tenure = 0;       // data tenure length (0: no data, an Upgrade)
    bool uses_bus = false;
    Cycle ready = 0;        // when the data (or the acks) are in
    int64_t next = -1;      // races: the next transaction ordered on the same line
    bool after_prev = false;  // races: waits for the previous one on its line to complete
  };
  void response_ready(uint32_t slot, Cycle at);
  bool split_ = false;
  bool races_ = false;
  std::deque<Slot> slots_;  // a deque: deferred suppliers keep pointers to the transactions
  std::vector<uint32_t> free_slots_;
  std::set<std::pair<Cycle, uint32_t>> ready_;  // (data ready cycle, slot): responses waiting for the bus
  std::unordered_map<uint64_t, uint32_t> outstanding_lines_;  // line -> its latest transaction's slot
  std::unordered_set<uint64_t> deferred_evictions_;  // LLC victims evicted when their response is in
  int outstanding_ = 0;
  cache::Llc* llc_ = nullptr;
  const observe::Stream* stream_ = nullptr;
  void emit_grant(const BusTxn& t, Cycle dur, int putm) const;
  void emit_done(const BusTxn& t) const;
};

}  // namespace lockstep::coherence

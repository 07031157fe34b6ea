#include "bus/snoop_bus.hpp"

#include <algorithm>
#include <cstring>
#include <sstream>

#include "cache/llc.hpp"
#include "coherence/snoop_l1.hpp"
#include "common/error.hpp"

namespace lockstep::coherence {

SnoopBus::SnoopBus(Engine& e, const config::MachineCfg& m, stats::Coherence& ctr)
    : engine_(e), m_(m), ctr_(ctr), pending_(size_t(m.cores), -1), waiting_set_(m.cores), fifo_mode_(m.interconnect.arbitration == "fifo"),
      split_(m.interconnect.mode == "split") {
  txn_.data.resize(size_t(m.l1.line_bytes));
}

void SnoopBus::request(int cache, uint64_t line) {
  if (pending_[size_t(cache)] >= 0) throw CorrectnessError("core " + std::to_string(cache) + " asked for the bus twice");
  pending_[size_t(cache)] = int64_t(line);
  waiting_set_.insert(cache);
  ++waiting_;
  if (fifo_mode_) fifo_.push_back(cache);
  if (!busy_ && !arb_scheduled_) {
    arb_scheduled_ = true;
    engine_.schedule(engine_.now(), kArbiter, 0, this, kArbitrate);
  }
}

void SnoopBus::set_llc(cache::Llc* llc) {
  llc_ = llc;
  if (llc_) llc_->on_evict([this](uint64_t line) { back_invalidate(line); });
}

// An inclusive LLC evicted `line`: every L1 copy goes, through the table's Other-GetM cell
// (what the cache does when a copy must go); dirty data is written back on the way out.
void SnoopBus::back_invalidate(uint64_t line) {
  // Split bus: a line with a transaction in flight is evicted once its response is in (the
  // LLC holds the victim in its eviction buffer), so no back-invalidation races a response.
  if (split_ && outstanding_lines_.count(line)) {
    deferred_evictions_.insert(line);
    return;
  }
  std::vector<int> victims;
  filter_.holders(line, victims);
  for (int c : victims) ctr_.llc_back_invalidations += uint64_t(l1s_[size_t(c)]->back_invalidate(line));
}

void SnoopBus::attach(std::vector<SnoopL1*> l1s) {
  l1s_ = std::move(l1s);
  if (!l1s_.empty()) filter_.init(int(pending_.size()), l1s_[0]->spec());
}

void SnoopBus::state_change(int cache, uint64_t line, int from, int to) { filter_.change(cache, line, from, to); }

void SnoopBus::handle(int kind, uint64_t arg) {
  if (kind == kArbitrate) arbitrate();
  else if (kind == kComplete) complete();
  else if (kind == kTenureEnd) tenure_end();
  else respond_done(uint32_t(arg));
}

int SnoopBus::pick() {
  if (fifo_mode_) {
    for (auto it = fifo_.begin(); it != fifo_.end(); ++it) {
      int c = *it;
      if (blocked(uint64_t(pending_[size_t(c)]))) continue;
      fifo_.erase(it);
      return c;
    }
    return -1;
  }
  // Round robin: the first waiting cache after the last one granted (from `start` up, then
  // from 0), found through a two-level bitset of waiting caches, not a scan of every cache.
  const int start = (last_ + 1) % int(pending_.size());
  for (int c = waiting_set_.next(start); c >= 0; c = waiting_set_.next(c + 1))
    if (!blocked(uint64_t(pending_[size_t(c)]))) return c;
  for (int c = waiting_set_.next(0); c >= 0 && c < start; c = waiting_set_.next(c + 1))
    if (!blocked(uint64_t(pending_[size_t(c)]))) return c;
  return -1;
}

// The request's tenure: the ordering point. The requester's table sends its request and
// every other cache holding the line snoops it, in core order, within this bus cycle.
void SnoopBus::order(int r, uint64_t line, BusTxn& t) {
  t.requester = r;
  t.line = line;
  t.type = BusTxn::None;
  t.supplier = -1;
  t.invalidated = 0;
  t.shared = false;
  t.wrote_back = false;
  t.had_sharers = false;
  t.deferred = false;
  l1s_[size_t(r)]->grant(t);

  // Every other cache that holds the line snoops the request, in core order, within this
  // bus cycle (the rest hold it in I and ignore it). Holders in a state the request leaves
  // alone are skipped (snooping them changes nothing); a readable one still asserts the
  // shared wire, counted from the per-state tally without visiting it.
  const CacheLine* own = l1s_[size_t(r)]->find(line);
  const auto req = t.type == BusTxn::GetS   ? SnoopFilter::kGetS
                   : t.type == BusTxn::GetM ? SnoopFilter::kGetM
                                            : SnoopFilter::kUpgrade;
  bool shared = filter_.snoopers(line, r, own ? own->state : 0, req, snoopers_);
  if (broadcast_) {
    snoopers_.clear();
    for (int c = 0; c < int(l1s_.size()); ++c)
      if (c != r) snoopers_.push_back(c);
    shared = false;
  }
  if (m_.interconnect.sharer_inv_cycles > 0)
    for (int c : snoopers_) {
      const auto* st = l1s_[size_t(c)]->state_of(line);
      if (st && st->readable && !st->exclusive) t.had_sharers = true;
    }
  for (int c : snoopers_) l1s_[size_t(c)]->snoop(t);
  for (int c : snoopers_) {
    const auto* st = l1s_[size_t(c)]->state_of(line);
    if (st && st->readable) shared = true;
  }
  t.shared = t.shared || shared;  // a race cell may have asserted it already (assertShared)

  ++ctr_.bus_transactions;
  switch (t.type) {
    case BusTxn::GetS: ++ctr_.gets; break;
    case BusTxn::GetM: ++ctr_.getm; break;
    case BusTxn::Upgrade: ++ctr_.upgrades; break;
    case BusTxn::None: break;
  }
}

// A write that removes copies besides the owner's (lines in S or O elsewhere) pays
// sharer_inv_cycles more: on a machine whose directory/probe filter tracks only a line's
// owner, those invalidations are broadcast to every die and the writer waits for all the
// answers (David et al. SOSP'13: an Opteron store to an S/O line costs ~244 cycles on the
// same die against 83 to an M/E one).
Cycle SnoopBus::sharer_inv_extra(const BusTxn& t) const {
  if (t.type == BusTxn::GetS) return 0;
  return t.had_sharers && t.invalidated > 0 ? Cycle(m_.interconnect.sharer_inv_cycles) : 0;
}

void SnoopBus::arbitrate() {
  arb_scheduled_ = false;
  if (split_) {
    split_arbitrate();
    return;
  }
  if (busy_ || waiting_ == 0) return;
  int r = pick();
  last_ = r;
  uint64_t line = uint64_t(pending_[size_t(r)]);
  pending_[size_t(r)] = -1;
  waiting_set_.erase(r);
  --waiting_;

  order(r, line, txn_);

  const auto& ic = m_.interconnect;
  Cycle dur = Cycle(ic.request_cycles);
  // Snooped caches answer after snoop_cycles; copies removed by a write are acknowledged
  // after inv_ack_cycles more (both 0 by default: the bus of the Primer's §7.2).
  Cycle answer = 0;
  if (txn_.supplier >= 0 || txn_.invalidated > 0) answer = Cycle(ic.snoop_cycles);
  if (txn_.invalidated > 0 && txn_.type != BusTxn::GetS) answer += Cycle(ic.inv_ack_cycles);
  answer += sharer_inv_extra(txn_);
  if (txn_.type != BusTxn::Upgrade) {
    dur += Cycle(ic.data_cycles);
    if (llc_) {
      // Every data request goes through the line's LLC bank (it holds the tags of every
      // cached line); the LLC supplies the data when no cache does, from memory on a miss.
      Cycle t0 = engine_.now() + Cycle(ic.request_cycles);
      Cycle ready = llc_->access(line, t0, txn_.supplier < 0);
      if (txn_.supplier >= 0) {
        ++ctr_.cache_to_cache;
        dur += std::max(ready - t0, answer);
      } else {
        l1s_[size_t(r)]->memory().read(line, txn_.data.data());
        dur += std::max(ready - t0, answer);
      }
      // A dirty line the snoop wrote back crosses the bus once more, into the LLC.
      if (txn_.wrote_back) dur += Cycle(ic.data_cycles);
    } else if (txn_.supplier >= 0) {
      ++ctr_.cache_to_cache;
      dur += answer;
    } else {
      ++ctr_.memory_reads;
      // Memory is read after the snoop, so a writeback made by the snoop is seen.
      l1s_[size_t(r)]->memory().read(line, txn_.data.data());
      dur += std::max(Cycle(m_.memory.latency_cycles), answer);
    }
  } else {
    dur += answer;
  }
  // A PutM owed from the eviction that made room for this line rides the same tenure.
  int putm = l1s_[size_t(r)]->owed_putm();
  ctr_.bus_transactions += uint64_t(putm);
  dur += Cycle(putm) * Cycle(ic.request_cycles + ic.data_cycles);

  if (stream_) emit_grant(txn_, dur, putm);
  busy_ = true;
  engine_.schedule(engine_.now() + dur, kMemory, 0, this, kComplete);
}

void SnoopBus::complete() {
  busy_ = false;
  l1s_[size_t(txn_.requester)]->complete(txn_);
  if (stream_) emit_done(txn_);
  if (check_) check_line(txn_.line);
  if (waiting_ > 0 && !arb_scheduled_) {
    arb_scheduled_ = true;
    engine_.schedule(engine_.now(), kArbiter, 0, this, kArbitrate);
  }
}


// What trace writers see of a transaction (observe::Ev::BusGrant / BusDone).
static const char* const kTxnNames[] = {"-", "GetS", "GetM", "Upgrade"};

void SnoopBus::emit_grant(const BusTxn& t, Cycle dur, int putm) const {
  observe::Event e{observe::Ev::BusGrant, engine_.now(), t.requester};
  e.addr = t.line;
  e.what = kTxnNames[t.type];
  e.peer = t.type == BusTxn::Upgrade ? -2 : t.supplier;
  e.count = t.invalidated;
  e.dur = dur;
  e.arg = uint64_t(putm);
  stream_->emit(e);
}

void SnoopBus::emit_done(const BusTxn& t) const {
  observe::Event e{observe::Ev::BusDone, engine_.now(), t.requester};
  e.addr = t.line;
  e.what = kTxnNames[t.type];
  stream_->emit(e);
}

// ---- split-transaction mode ---------------------------------------------------------------
// The request's tenure orders the transaction and runs every snoop (state changes, data
// copied, writebacks), as on the atomic bus; the bus is then free while the LLC, memory or
// the snooped caches work. The data comes back in a tenure of its own once it is ready
// (responses before new requests). A request for a line whose response is still
// outstanding is not granted until that response completes (the bus's pending-request
// table, as in the SGI Challenge; Primer §7.5), so no two transactions on one line overlap.
bool SnoopBus::blocked(uint64_t line) const { return split_ && !races_ && outstanding_lines_.count(line) != 0; }

void SnoopBus::split_arbitrate() {
  if (busy_) return;
  Cycle now = engine_.now();
  if (!ready_.empty() && ready_.begin()->first <= now) {
    uint32_t slot = ready_.begin()->second;
    ready_.erase(ready_.begin());
    busy_ = true;
    engine_.schedule(now + slots_[slot].tenure, kMemory, 0, this, kRespond, slot);
    return;
  }
  if (waiting_ == 0) return;
  int r = pick();
  if (r < 0) return;  // every waiting request is for a line with a response outstanding
  last_ = r;
  uint64_t line = uint64_t(pending_[size_t(r)]);
  pending_[size_t(r)] = -1;
  waiting_set_.erase(r);
  --waiting_;

  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = uint32_t(slots_.size());
    slots_.emplace_back();
    slots_.back().txn.data.resize(size_t(m_.l1.line_bytes));
  }
  Slot& sl = slots_[slot];
  BusTxn& t = sl.txn;
  order(r, line, t);
  // Races: a transaction ordered behind one still outstanding on its line completes after
  // it (responses for one line in request order, as on the Primer's split bus).
  sl.next = -1;
  sl.after_prev = false;
  if (auto it = outstanding_lines_.find(line); it != outstanding_lines_.end()) {
    slots_[it->second].next = int64_t(slot);
    sl.after_prev = true;
    it->second = slot;
  } else {
    outstanding_lines_.emplace(line, slot);
  }
  ++outstanding_;

  const auto& ic = m_.interconnect;
  Cycle answer = 0;
  if (t.supplier >= 0 || t.invalidated > 0) answer = Cycle(ic.snoop_cycles);
  if (t.invalidated > 0 && t.type != BusTxn::GetS) answer += Cycle(ic.inv_ack_cycles);
  answer += sharer_inv_extra(t);
  Cycle req_end = now + Cycle(ic.request_cycles);
  Cycle ready = req_end + answer;
  sl.tenure = 0;
  if (t.type != BusTxn::Upgrade) {
    sl.tenure = Cycle(ic.data_cycles);
    if (llc_) {
      ready = std::max(ready, llc_->access(line, req_end, t.supplier < 0));
      if (t.supplier >= 0) ++ctr_.cache_to_cache;
      if (t.wrote_back) sl.tenure += Cycle(ic.data_cycles);
    } else if (t.supplier >= 0) {
      ++ctr_.cache_to_cache;
    } else {
      ++ctr_.memory_reads;
      ready = std::max(ready, req_end + Cycle(m_.memory.latency_cycles));
    }
  }
  int putm = l1s_[size_t(r)]->owed_putm();
  ctr_.bus_transactions += uint64_t(putm);
  Cycle req_dur = Cycle(ic.request_cycles) + Cycle(putm) * Cycle(ic.request_cycles + ic.data_cycles);
  if (stream_) emit_grant(t, req_dur, putm);
  busy_ = true;
  engine_.schedule(now + req_dur, kMemory, 0, this, kTenureEnd);
  // An Upgrade carries no data: it completes once the acks are in (no second tenure).
  sl.uses_bus = sl.tenure != 0;
  sl.ready = std::max(ready, now + req_dur);
  if (!sl.after_prev) response_ready(slot, sl.ready);
}

void SnoopBus::response_ready(uint32_t slot, Cycle at) {
  if (slots_[slot].uses_bus) {
    ready_.insert({at, slot});
    engine_.schedule(at, kArbiter, 0, this, kArbitrate);
  } else {
    engine_.schedule(at, kMemory, 0, this, kRespond, slot);
  }
}

void SnoopBus::tenure_end() {
  busy_ = false;
  engine_.schedule(engine_.now(), kArbiter, 0, this, kArbitrate);
}

void SnoopBus::respond_done(uint32_t slot) {
  Slot& sl = slots_[slot];
  if (sl.uses_bus) busy_ = false;
  uint64_t line = sl.txn.line;
  // Memory answers with what it holds now, after every earlier transaction on the line has
  // completed (a race's writeback included); the data read at the order would be stale.
  if (sl.txn.type != BusTxn::Upgrade && sl.txn.supplier < 0) l1s_[size_t(sl.txn.requester)]->memory().read(line, sl.txn.data.data());
  bool last = false;
  if (auto it = outstanding_lines_.find(line); it != outstanding_lines_.end() && it->second == slot) {
    outstanding_lines_.erase(it);
    last = true;
  }
  --outstanding_;
  l1s_[size_t(sl.txn.requester)]->complete(sl.txn);
  if (stream_) emit_done(sl.txn);
  if (sl.next >= 0) {
    Slot& n = slots_[size_t(sl.next)];
    n.after_prev = false;
    response_ready(uint32_t(sl.next), std::max(n.ready, engine_.now()));
  }
  if (last && deferred_evictions_.erase(line)) back_invalidate(line);
  if (check_) check_line(line);
  free_slots_.push_back(slot);
  engine_.schedule(engine_.now(), kArbiter, 0, this, kArbitrate);
}

// Single-writer/multiple-reader and the data-value invariant for one line, checked at the
// end of every transaction that touched it (run.check_invariants). Also: at most one copy
// in an owner state (the one that answers requests: M, E, O, MESIF's F), since two owners
// would both drive the data bus.
void SnoopBus::check_line(uint64_t line) {
  int exclusive = -1, readable = 0, owner = -1;
  const uint8_t* ref = nullptr;
  bool dirty = false;
  std::ostringstream at;
  at << " (line 0x" << std::hex << line * uint64_t(m_.l1.line_bytes) << std::dec << ", cycle " << engine_.now() << ")";
  for (auto* l1 : l1s_) {
    CacheLine* c = l1->find(line);
    if (!c) continue;
    const auto& st = l1->spec().states[size_t(c->state)];
    if (!st.readable) continue;
    ++readable;
    if (st.exclusive) {
      if (exclusive >= 0) throw CorrectnessError("coherence invariant violated: cores " + std::to_string(exclusive) + " and " + std::to_string(l1->id()) + " both hold line exclusively" + at.str());
      exclusive = l1->id();
    }
    if (st.owner) {
      if (owner >= 0) throw CorrectnessError("coherence invariant violated (single owner): cores " + std::to_string(owner) + " and " + std::to_string(l1->id()) + " both hold the line in an owner state" + at.str());
      owner = l1->id();
    }
    dirty |= st.dirty;
    if (ref && std::memcmp(ref, c->data, size_t(m_.l1.line_bytes)) != 0)
      throw CorrectnessError("data-value invariant violated: two readable copies of a line differ" + at.str());
    ref = c->data;
  }
  if (exclusive >= 0 && readable > 1)
    throw CorrectnessError("coherence invariant violated (single writer): core " + std::to_string(exclusive) + " holds a line exclusively while " + std::to_string(readable - 1) + " other copies exist" + at.str());
  if (ref && !dirty) {
    std::vector<uint8_t> mem(size_t(m_.l1.line_bytes));
    l1s_[0]->memory().read(line, mem.data());
    if (std::memcmp(ref, mem.data(), mem.size()) != 0)
      throw CorrectnessError("data-value invariant violated: clean copies differ from memory" + at.str());
  }
}

}  // namespace lockstep::coherence

#include "coherence/snoop_l1.hpp"

#include <cstring>
#include <sstream>

#include "bus/snoop_bus.hpp"
#include "common/error.hpp"

namespace lockstep::coherence {

using namespace snoop;

SnoopL1::SnoopL1(int id, const ControllerSpec& spec, const config::L1Cfg& cfg, Engine& e, SnoopBus& bus, Memory& mem,
                 stats::Coherence& ctr)
    : id_(id), spec_(spec), array_(cfg.size_kib, cfg.assoc, cfg.line_bytes), engine_(e), bus_(bus), mem_(mem), ctr_(ctr) {
  for (auto& s : spec.states) stable_.push_back(s.stable ? 1 : 0);
  fired_.assign(spec.states.size() * spec.events->size(), 0);
}

bool SnoopL1::owes(uint64_t line) const {
  for (const auto& o : owed_)
    if (o.first == line) return true;
  return false;
}

const StateInfo* SnoopL1::state_of(uint64_t line) {
  CacheLine* c = array_.find(line);
  return c ? &spec_.states[size_t(c->state)] : nullptr;
}

void SnoopL1::missing(const CacheLine& c, int event) {
  std::ostringstream m;
  m << "coherence protocol " << spec_.states.size() << "-state table has no transition " << spec_.describe(c.state, event)
    << " (core " << id_ << "'s L1, line 0x" << std::hex << c.line * uint64_t(array_.line_bytes()) << std::dec
    << ", cycle " << engine_.now() << ")";
  throw CorrectnessError(m.str());
}

std::string SnoopL1::hex_address(uint64_t line) const {
  std::ostringstream o;
  o << std::hex << line * uint64_t(array_.line_bytes());
  return o.str();
}

void SnoopL1::fire(CacheLine& c, int event, BusTxn* t) {
  const Transition& tr = spec_.at(c.state, event);
  if (!tr.defined) missing(c, event);
  ++fired_[size_t(c.state) * spec_.events->size() + size_t(event)];
  for (uint8_t a : tr.actions) {
    switch (Action(a)) {
      case requestBus: bus_.request(id_, c.line); break;
      case sendGetS: t->type = BusTxn::GetS; break;
      case sendGetM: t->type = BusTxn::GetM; break;
      case sendUpgrade: t->type = BusTxn::Upgrade; break;
      case sendPutM:
        // The data goes to memory now (so no later reader can see stale memory); the PutM's
        // bus tenure is charged to this cache's next transaction, the one that needed the way.
        mem_.write(c.line, c.data);
        ++ctr_.writebacks;
        ++owed_putm_;
        break;
      case hit:
        array_.touch(&c);
        client_->perform(c.data);
        break;
      case supplyData:
      case deferSupply:
        // Two caches driving the data bus in one transaction is a protocol error (e.g. a
        // MESIF table whose S copies answer too), even when they happen to agree.
        if (t->supplier >= 0 && t->supplier != id_)
          throw CorrectnessError("coherence protocol error: cores " + std::to_string(t->supplier) + " and " +
                                 std::to_string(id_) + " both supplied data for one bus transaction, the second in " +
                                 spec_.describe(c.state, event) + " (line 0x" + hex_address(c.line) + ", cycle " +
                                 std::to_string(engine_.now()) + ")");
        t->supplier = id_;
        if (a == supplyData) {
          std::memcpy(t->data.data(), c.data, t->data.size());
        } else {
          // Split bus: our own data is still on its way; the requester gets the line once
          // it has arrived and our access has performed (supplyDeferred).
          t->deferred = true;
          owed_.push_back({c.line, t});
        }
        break;
      case supplyDeferred:
        for (size_t i = 0; i < owed_.size();) {
          if (owed_[i].first != c.line) { ++i; continue; }
          std::memcpy(owed_[i].second->data.data(), c.data, owed_[i].second->data.size());
          owed_[i].second->deferred = false;
          owed_.erase(owed_.begin() + long(i));
        }
        break;
      case assertShared:
        t->shared = true;  // the bus's shared wire: we will keep a copy
        break;
      case writeback:
        mem_.write(c.line, c.data);
        ++ctr_.writebacks;
        if (t) t->wrote_back = true;
        break;
      case kActions: break;
    }
  }
  if (tr.next >= 0 && tr.next != c.state) {
    bool was = spec_.states[size_t(c.state)].readable;
    bus_.state_change(id_, c.line, c.state, tr.next);
    c.state = tr.next;
    bool now = spec_.states[size_t(c.state)].readable;
    bool remote = event >= OtherGetS;
    if (remote && was && !now) {
      ++ctr_.invalidations;
      if (t) ++t->invalidated;
    }
    if (remote || event == Replacement) client_->line_changed(c.line, was && !now);
    // Split bus: a race cell that ends our own transaction in I (IS_D_I, IM_D_I, ...): the
    // copy is gone as soon as its access performed, taken by a request ordered after ours.
    if (!remote && event >= OwnGetS && tr.next == 0) {
      ++ctr_.invalidations;
      client_->line_changed(c.line, true);
    }
  }
}

bool SnoopL1::access(uint64_t line, bool write) {
  CacheLine* c = array_.find(line);
  if (!c) {
    c = array_.victim(line, [&](int s) { return stable_[size_t(s)] != 0; });
    if (!c) throw CorrectnessError("core " + std::to_string(id_) + "'s L1 has no way to evict (all transient)");
    if (c->state != 0) {
      int before = c->state;
      fire(*c, Replacement, nullptr);
      // On an atomic bus an eviction completes at once; a table that parks the victim in
      // another state would lose it when the way is reused.
      if (c->state != 0)
        throw CorrectnessError("coherence protocol: Replacement must end in " + spec_.states[0].name + ", but " +
                               spec_.describe(before, Replacement) + " leaves the victim line in state " +
                               spec_.states[size_t(c->state)].name);
    }
    c->line = line;
    c->state = 0;
  }
  int ev = write ? Store : Load;
  const Transition& tr = spec_.at(c->state, ev);
  if (!tr.defined) missing(*c, ev);
  bool is_hit = false;
  for (uint8_t a : tr.actions) if (a == hit) is_hit = true;
  fire(*c, ev, nullptr);
  return is_hit;
}

bool SnoopL1::would_hit(uint64_t line, bool write) {
  CacheLine* c = array_.find(line);
  if (!c) return false;
  const Transition& tr = spec_.at(c->state, write ? Store : Load);
  if (!tr.defined) return false;
  for (uint8_t a : tr.actions)
    if (a == hit) return true;
  return false;
}

void SnoopL1::grant(BusTxn& t) {
  CacheLine* c = array_.find(t.line);
  if (!c) throw CorrectnessError("bus granted core " + std::to_string(id_) + " for a line it does not track");
  fire(*c, Grant, &t);
  if (t.type == BusTxn::None)
    throw CorrectnessError("protocol: transition " + spec_.describe(c->state, Grant) + " sent no request on the bus");
}

void SnoopL1::snoop(BusTxn& t) {
  CacheLine* c = array_.find(t.line);
  if (!c) return;  // not present: every protocol ignores other requests in I
  int ev = t.type == BusTxn::GetS ? OtherGetS : t.type == BusTxn::GetM ? OtherGetM : OtherUpgrade;
  fire(*c, ev, &t);
}

int SnoopL1::back_invalidate(uint64_t line) {
  CacheLine* c = array_.find(line);
  if (!c) return 0;
  BusTxn t;
  t.type = BusTxn::GetM;
  t.line = line;
  t.data.resize(size_t(array_.line_bytes()));
  bool dirty = spec_.states[size_t(c->state)].dirty;
  uint64_t before = ctr_.invalidations;
  std::vector<uint8_t> copy(c->data, c->data + array_.line_bytes());
  fire(*c, OtherGetM, &t);
  if (dirty) {
    mem_.write(line, copy.data());
    ++ctr_.writebacks;
  }
  int removed = int(ctr_.invalidations - before);
  ctr_.invalidations = before;  // not another core's request: counted as a back-invalidation
  return removed;
}

void SnoopL1::complete(BusTxn& t) {
  CacheLine* c = array_.find(t.line);
  if (!c) throw CorrectnessError("bus completed a transaction for a line core " + std::to_string(id_) + " lost");
  int ev = OwnUpgrade;
  if (t.type != BusTxn::Upgrade) std::memcpy(c->data, t.data.data(), t.data.size());
  if (t.type == BusTxn::GetM) ev = OwnGetM;
  if (t.type == BusTxn::GetS) ev = t.shared ? OwnGetS : OwnGetSExcl;
  const int before = c->state;
  fire(*c, ev, &t);
  if (owes(t.line))
    throw CorrectnessError("coherence protocol error: core " + std::to_string(id_) + " completed its request in " +
                           spec_.describe(before, ev) + " without supplyDeferred, but promised its data (deferSupply) to a "
                           "request ordered after it, which would never get it (line 0x" + hex_address(t.line) + ", cycle " +
                           std::to_string(engine_.now()) + ")");
  client_->miss_done();
}

}  // namespace lockstep::coherence

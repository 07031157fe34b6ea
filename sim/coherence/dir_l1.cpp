#include "coherence/dir_l1.hpp"

#include <algorithm>
#include <cstring>
#include <sstream>

#include "common/error.hpp"

namespace lockstep::coherence {

using namespace dircache;

DirL1::DirL1(int id, const ControllerSpec& spec, const config::L1Cfg& cfg, Engine& e, DirFabric& fab)
    : id_(id), spec_(spec), array_(cfg.size_kib, cfg.assoc, cfg.line_bytes), homes_(fab.homes()), engine_(e),
      fab_(fab), ctr_(fab.counters()), scratch_data_(size_t(cfg.line_bytes), 0) {
  for (auto& s : spec.states) stable_.push_back(s.stable ? 1 : 0);
  fired_.assign(spec.table.size(), 0);
  scratch_.data = scratch_data_.data();
}

void DirL1::missing(const CacheLine& c, int event) {
  std::ostringstream m;
  m << "coherence protocol has no transition " << spec_.describe(c.state, event) << " in the cache table (core " << id_
    << "'s L1, line 0x" << std::hex << c.line * uint64_t(array_.line_bytes()) << std::dec << ", cycle " << engine_.now()
    << ")";
  throw CorrectnessError(m.str());
}

uint32_t DirL1::make(MsgType t, uint64_t line, bool to_home, int dst, const CacheLine* data_from) {
  uint32_t i = fab_.alloc(t, line);
  Msg& m = fab_.msg(i);
  m.src = id_;
  m.to_home = to_home;
  m.dst = dst;
  m.req = id_;
  if (data_from) {
    std::memcpy(fab_.data(i), data_from->data, size_t(array_.line_bytes()));
    m.dirty = spec_.states[size_t(data_from->state)].dirty;
  }
  return i;
}

// Inv-Ack accounting decides between the Primer's "Inv-Ack" and "Last-Inv-Ack", and between
// Data with and without acks outstanding; the table's setAcks/decAcks keep the count.
int DirL1::classify(const Msg& m) const {
  switch (m.type) {
    case MsgType::FwdGetS: return FwdGetS;
    case MsgType::FwdGetM: return FwdGetM;
    case MsgType::Inv: return Inv;
    case MsgType::PutAck: return PutAck;
    case MsgType::Data:
      if (m.excl) return DataExcl;
      return acks_ + m.acks == 0 ? Data : DataAcks;
    case MsgType::AckCount: return acks_ + m.acks == 0 ? AckCount : AckCountAcks;
    case MsgType::InvAck: return counted_ && acks_ - 1 == 0 ? LastInvAck : InvAck;
    default: break;
  }
  throw CorrectnessError(std::string("core ") + std::to_string(id_) + "'s L1 received a " + msg_name(m.type) +
                         ", which only a directory handles");
}

bool DirL1::fire(CacheLine& c, int event, uint32_t mi) {
  const Transition& tr = spec_.at(c.state, event);
  if (!tr.defined) missing(c, event);
  ++fired_[size_t(c.state) * spec_.events->size() + size_t(event)];
  for (uint8_t a : tr.actions)
    if (a == stall) return false;  // nothing runs; the caller parks the access or the message
  Msg copy;  // sending below may grow the pool: keep the message by value
  if (mi != UINT32_MAX) copy = fab_.msg(mi);
  const Msg* m = mi == UINT32_MAX ? nullptr : &copy;
  auto need_msg = [&](const char* what) {
    if (!m) throw CorrectnessError("protocol: " + spec_.describe(c.state, event) + " runs " + what + " with no message to answer");
  };
  if (m && msg_has_data(m->type)) std::memcpy(c.data, fab_.data(mi), size_t(array_.line_bytes()));
  const StateInfo& before = spec_.states[size_t(c.state)];
  for (uint8_t a : tr.actions) {
    switch (Action(a)) {
      case sendGetS:
        ++ctr_.gets;
        acks_ = 0;
        counted_ = false;
        fab_.send(make(MsgType::GetS, c.line, true, home_of(c.line), nullptr), engine_.now());
        break;
      case sendGetM:
        // GetM from a state that already holds the data is an upgrade (the Primer's SM_AD, OM_AC).
        if (before.readable) ++ctr_.upgrades;
        else ++ctr_.getm;
        acks_ = 0;
        counted_ = false;
        fab_.send(make(MsgType::GetM, c.line, true, home_of(c.line), nullptr), engine_.now());
        break;
      case sendPutS: fab_.send(make(MsgType::PutS, c.line, true, home_of(c.line), nullptr), engine_.now()); break;
      case sendPutE: fab_.send(make(MsgType::PutE, c.line, true, home_of(c.line), nullptr), engine_.now()); break;
      case sendPutF: fab_.send(make(MsgType::PutF, c.line, true, home_of(c.line), nullptr), engine_.now()); break;
      case sendPutM: fab_.send(make(MsgType::PutM, c.line, true, home_of(c.line), &c), engine_.now()); break;
      case sendPutO: fab_.send(make(MsgType::PutO, c.line, true, home_of(c.line), &c), engine_.now()); break;
      case sendDataToReq: {
        need_msg("sendDataToReq");
        uint32_t d = make(MsgType::Data, c.line, false, m->req, &c);
        // A Fwd-GetM carries the requester's ack count; the owner passes it on with the data.
        fab_.msg(d).acks = m->type == MsgType::FwdGetM ? m->acks : 0;
        ++ctr_.cache_to_cache;
        fab_.send(d, engine_.now());
        break;
      }
      case sendDataToDir: fab_.send(make(MsgType::Data, c.line, true, home_of(c.line), &c), engine_.now()); break;
      case sendInvAck:
        need_msg("sendInvAck");
        fab_.send(make(MsgType::InvAck, c.line, false, m->req, nullptr), engine_.now());
        break;
      case setAcks:
        need_msg("setAcks");
        acks_ += m->acks;
        counted_ = true;
        break;
      case decAcks: --acks_; break;
      case hit:
        if (!pending_.active || pending_.line != c.line)
          throw CorrectnessError("protocol: " + spec_.describe(c.state, event) + " runs hit on core " + std::to_string(id_) +
                                 "'s L1 with no access pending on that line (cycle " + std::to_string(engine_.now()) + ")");
        array_.touch(&c);
        client_->perform(c.data);
        if (pending_.write && fab_.checking()) fab_.note_write(c.line, c.data);
        pending_.done = true;
        break;
      case stall: case kActions: break;
    }
  }
  if (tr.next >= 0 && tr.next != c.state) {
    bool was = before.readable;
    c.state = tr.next;
    bool now = spec_.states[size_t(c.state)].readable;
    if (event != Load && event != Store) {
      if (was && !now && (event == FwdGetS || event == FwdGetM || event == Inv)) ++ctr_.invalidations;
      // Another cache's request (or an eviction) changed this line: wake a spin on it.
      client_->line_changed(c.line, was && !now);
    }
  }
  return true;
}

CacheLine* DirL1::line_for(uint64_t line) {
  if (CacheLine* c = array_.find(line)) return c;
  scratch_.line = line;
  scratch_.state = 0;
  return &scratch_;
}

void DirL1::receive(uint32_t i) {
  const Msg m = fab_.msg(i);
  uint64_t line = m.line;
  bool queued = false;
  if (msg_is_forwarded(m.type))
    for (auto& [l, j] : stalled_) queued |= (l == line);
  if (queued) {
    stalled_.emplace_back(line, i);  // FIFO behind the stalled one
    return;
  }
  CacheLine* c = line_for(line);
  if (!fire(*c, classify(m), i)) {
    stalled_.emplace_back(line, i);
    return;
  }
  if (c == &scratch_ && scratch_.state != 0)
    throw CorrectnessError("protocol: core " + std::to_string(id_) + "'s L1 moved a line it does not hold out of I (" +
                           std::string(msg_name(m.type)) + ")");
  fab_.free(i);
  settle(line);
  if (fab_.checking()) fab_.check_line(line);
}

bool DirL1::replay_one(uint64_t line) {
  for (auto it = stalled_.begin(); it != stalled_.end(); ++it) {
    if (it->first != line) continue;
    uint32_t i = it->second;
    CacheLine* c = line_for(line);
    if (!fire(*c, classify(fab_.msg(i)), i)) return false;
    stalled_.erase(it);
    fab_.free(i);
    return true;
  }
  return false;
}

void DirL1::settle(uint64_t line) {
  if (replaying_) return;
  replaying_ = true;
  for (;;) {
    if (replay_one(line)) continue;
    if (pending_.active && pending_.retry && !pending_.in_access) {
      try_access();
    }
    break;
  }
  replaying_ = false;
  if (pending_.active && pending_.done && !pending_.in_access) {
    pending_.active = false;
    client_->miss_done();
  }
}

void DirL1::try_access() {
  CacheLine* c = array_.find(pending_.line);
  if (!c) {
    c = array_.victim(pending_.line, [&](int s) { return stable_[size_t(s)] != 0; });
    if (c && c->state != 0) {
      fire(*c, Replacement, UINT32_MAX);
      if (c->state != 0) c = nullptr;  // the victim keeps its way until its Put-Ack
    }
    if (!c) {
      pending_.retry = true;
      return;
    }
    c->line = pending_.line;
    c->state = 0;
  }
  pending_.retry = !fire(*c, pending_.write ? Store : Load, UINT32_MAX);
}

bool DirL1::access(uint64_t line, bool write) {
  if (pending_.active) throw CorrectnessError("core " + std::to_string(id_) + " issued an access while one is outstanding");
  pending_ = Pending{true, false, true, false, line, write};
  try_access();
  pending_.in_access = false;
  if (fab_.checking()) fab_.check_line(line);
  if (pending_.done) {
    pending_.active = false;
    return true;
  }
  return false;
}

}  // namespace lockstep::coherence

#include "coherence/directory.hpp"

#include "cache/llc.hpp"

#include <cstring>
#include <sstream>

#include "common/error.hpp"

namespace lockstep::coherence {

using namespace dir;

Directory::Directory(const ControllerSpec& spec, const config::MachineCfg& m, Engine& e, DirFabric& fab)
    : spec_(spec), engine_(e), fab_(fab), ctr_(fab.counters()), cores_(m.cores), occupancy_(m.directory.occupancy_cycles),
      memory_latency_(m.memory.latency_cycles), homes_(size_t(fab.homes())),
      fired_(spec.table.size(), 0) {}

const Directory::Entry* Directory::entry(uint64_t line) const {
  const Home& h = homes_[size_t(line % homes_.size())];
  auto it = h.lines.find(line);
  return it == h.lines.end() ? nullptr : &it->second;
}

std::string Directory::state_name(uint64_t line) const {
  const Entry* e = entry(line);
  return spec_.states[size_t(e ? e->state : 0)].name;
}

void Directory::schedule(int h) {
  Home& home = homes_[size_t(h)];
  if (home.scheduled || home.queue.empty()) return;
  home.scheduled = true;
  engine_.schedule(engine_.now() + Cycle(occupancy_), kMemory, uint32_t(h), this, 0, uint64_t(h));
}

void Directory::receive(uint32_t i) {
  const Msg& m = fab_.msg(i);
  if (!msg_is_request(m.type)) {
    process(i);
    return;
  }
  homes_[size_t(m.dst)].queue.push_back(i);
  schedule(m.dst);
}

void Directory::handle(int, uint64_t arg) { serve(int(arg)); }

// One request's turn at home h ends now: its effects happen.
void Directory::serve(int h) {
  Home& home = homes_[size_t(h)];
  home.scheduled = false;
  uint32_t i = home.queue.front();
  home.queue.pop_front();
  process(i);
  schedule(h);
}

int Directory::classify(const Entry& e, const Msg& m) const {
  bool others = e.count_except(m.req) > 0;  // sharers left once the requester is gone
  bool owner = m.req == e.owner;
  auto put = [&](int base) { return base + (owner ? 0 : 2) + (others ? 1 : 0); };
  switch (m.type) {
    case MsgType::GetS: return GetS;
    case MsgType::GetM: return owner ? GetMOwner : GetM;
    case MsgType::PutS: return others ? PutSNotLast : PutSLast;
    case MsgType::PutM: return put(PutMOwner);
    case MsgType::PutE: return put(PutEOwner);
    case MsgType::PutO: return put(PutOOwner);
    case MsgType::PutF: return put(PutFOwner);
    case MsgType::Data: return Data;
    default: break;
  }
  throw CorrectnessError(std::string("a directory received a ") + msg_name(m.type) + ", which only an L1 handles");
}

uint32_t Directory::make(MsgType t, const Msg& about, int dst) {
  uint32_t i = fab_.alloc(t, about.line);
  Msg& m = fab_.msg(i);
  m.from_home = true;
  m.src = int(about.line % homes_.size());
  m.dst = dst;
  m.req = about.req;
  return i;
}

void Directory::process(uint32_t i) {
  const Msg m = fab_.msg(i);  // a copy: sending below may grow the pool
  uint64_t line = m.line;
  int h = int(line % homes_.size());
  Home& home = homes_[size_t(h)];
  auto [it, fresh] = home.lines.try_emplace(line);
  Entry& e = it->second;
  if (fresh) e.sharers.resize(cores_);
  int ev = classify(e, m);
  const Transition& tr = spec_.at(e.state, ev);
  if (!tr.defined) {
    std::ostringstream o;
    o << "coherence protocol has no transition " << spec_.describe(e.state, ev) << " in the directory table (home " << h
      << ", line 0x" << std::hex << line * uint64_t(fab_.line_bytes()) << std::dec << ", from core " << m.req << ", cycle "
      << engine_.now() << ")";
    throw CorrectnessError(o.str());
  }
  ++fired_[size_t(e.state) * spec_.events->size() + size_t(ev)];
  for (uint8_t a : tr.actions)
    if (a == stall) {
      e.stalled.push_back(i);
      return;
    }
  auto need_owner = [&](const char* what) {
    if (e.owner < 0)
      throw CorrectnessError("protocol: " + spec_.describe(e.state, ev) + " runs " + what + " but the directory has no owner");
  };
  Cycle now = engine_.now();
  for (uint8_t a : tr.actions) {
    switch (Action(a)) {
      case sendDataToReq:
      case sendExclDataToReq: {
        uint32_t d = make(MsgType::Data, m, m.req);
        Msg& dm = fab_.msg(d);
        fab_.memory().read(line, fab_.data(d));
        dm.excl = a == sendExclDataToReq;
        // Only a GetM's requester collects Inv-Acks; a GetS's data needs none.
        dm.acks = m.type == MsgType::GetM ? e.count_except(m.req) : 0;
        if (cache::Llc* llc = fab_.llc()) {
          fab_.send(d, llc->access(line, now, true));  // the home's LLC bank, memory only on a miss
        } else {
          ++ctr_.memory_reads;
          fab_.send(d, now + Cycle(memory_latency_));  // memory answers after its latency
        }
        break;
      }
      case sendAckCountToReq: {
        uint32_t d = make(MsgType::AckCount, m, m.req);
        fab_.msg(d).acks = e.count_except(m.req);
        fab_.send(d, now);
        break;
      }
      case sendInvToSharers:
        for (int c = e.sharers.next(0); c >= 0; c = e.sharers.next(c + 1))
          if (c != m.req) fab_.send(make(MsgType::Inv, m, c), now);
        break;
      case fwdGetSToOwner:
        need_owner("fwdGetSToOwner");
        fab_.send(make(MsgType::FwdGetS, m, e.owner), now);
        break;
      case fwdGetMToOwner: {
        need_owner("fwdGetMToOwner");
        uint32_t f = make(MsgType::FwdGetM, m, e.owner);
        fab_.msg(f).acks = e.count_except(m.req);
        fab_.send(f, now);
        break;
      }
      case sendPutAck: fab_.send(make(MsgType::PutAck, m, m.req), now); break;
      case addReqToSharers: e.sharers.insert(m.req); break;
      case removeReqFromSharers: e.sharers.erase(m.req); break;
      case addOwnerToSharers:
        need_owner("addOwnerToSharers");
        e.sharers.insert(e.owner);
        break;
      case clearSharers: e.sharers.clear(); break;
      case setOwnerToReq: e.owner = m.req; break;
      case clearOwner: e.owner = -1; break;
      case writeMemory:
        if (!msg_has_data(m.type))
          throw CorrectnessError("protocol: " + spec_.describe(e.state, ev) + " runs writeMemory on a " + msg_name(m.type) +
                                 ", which carries no data");
        fab_.memory().write(line, fab_.data(i));
        if (m.dirty) ++ctr_.writebacks;  // dirty data reached memory (DESIGN.md §5)
        break;
      case stall: case kActions: break;
    }
  }
  fab_.free(i);
  if (tr.next >= 0 && tr.next != e.state) {
    e.state = tr.next;
    // The line moved on: its stalled requests go back to the head of the queue, in order
    // (behind the request whose turn is already running, if any).
    if (!e.stalled.empty()) {
      auto at = home.queue.begin() + (home.scheduled ? 1 : 0);
      home.queue.insert(at, e.stalled.begin(), e.stalled.end());
      e.stalled.clear();
      schedule(h);
    }
  }
  if (fab_.checking()) fab_.check_line(line);
}

}  // namespace lockstep::coherence

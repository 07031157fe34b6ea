#include "coherence/dir_fabric.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "coherence/dir_l1.hpp"
#include "coherence/directory.hpp"
#include "common/error.hpp"

namespace lockstep::coherence {

DirFabric::DirFabric(Engine& e, const config::MachineCfg& m, net::Network& net, std::vector<int> home_nodes, Memory& mem,
                     stats::Coherence& ctr)
    : engine_(e), net_(net), home_nodes_(std::move(home_nodes)), mem_(mem), ctr_(ctr), line_bytes_(m.l1.line_bytes),
      cores_(m.cores), control_bytes_(m.interconnect.control_bytes), data_bytes_(m.interconnect.data_bytes) {
  endpoints_ = size_t(cores_) + home_nodes_.size();
  // A dense table for a small machine; a large one keeps only the pairs that talk (a 4,096-core
  // mesh has 67 M endpoint pairs: 512 MiB dense, while a run uses a few per core).
  if (endpoints_ <= kDensePairs) last_arrival_.assign(endpoints_ * endpoints_, 0);
}

uint32_t DirFabric::alloc(MsgType t, uint64_t line) {
  uint32_t i;
  if (!free_msgs_.empty()) {
    i = free_msgs_.back();
    free_msgs_.pop_back();
    pool_[i] = Msg{};
  } else {
    i = uint32_t(pool_.size());
    pool_.emplace_back();
  }
  Msg& m = pool_[i];
  m.type = t;
  m.line = line;
  if (msg_has_data(t)) {
    if (!free_slots_.empty()) {
      m.data = free_slots_.back();
      free_slots_.pop_back();
    } else {
      m.data = slots_++;
      slab_.resize(size_t(slots_) * size_t(line_bytes_));
    }
  }
  ++alive_;
  return i;
}

void DirFabric::free(uint32_t i) {
  Msg& m = pool_[i];
  if (m.data != UINT32_MAX) free_slots_.push_back(m.data);
  m.data = UINT32_MAX;
  free_msgs_.push_back(i);
  --alive_;
}

int DirFabric::node_of(const Msg& m, bool dst) const {
  bool home = dst ? m.to_home : m.from_home;
  int id = dst ? m.dst : m.src;
  return home ? home_nodes_[size_t(id)] : net_.core_node(id);
}

void DirFabric::send(uint32_t i, Cycle depart) {
  if (depart > engine_.now()) {
    // Leaves later (memory latency): book the links when it actually leaves, so that
    // messages that leave earlier are not queued behind it.
    engine_.schedule(depart, kMemory, 0, this, kDepart, i);
    return;
  }
  this->depart(i);
}

void DirFabric::depart(uint32_t i) {
  const Msg& m = pool_[i];
  ++ctr_.messages;
  ++by_type_[size_t(m.type)];
  int bytes = msg_has_data(m.type) ? data_bytes_ : control_bytes_;
  Cycle arrive = net_.send(node_of(m, false), node_of(m, true), bytes, engine_.now());
  size_t from = m.from_home ? size_t(cores_) + size_t(m.src) : size_t(m.src);
  size_t to = m.to_home ? size_t(cores_) + size_t(m.dst) : size_t(m.dst);
  Cycle& last = endpoints_ <= kDensePairs ? last_arrival_[from * endpoints_ + to] : last_arrival_sparse_[from * endpoints_ + to];
  // Point-to-point order: never overtake an earlier message of the same pair (same-cycle
  // arrivals are delivered in send order by the engine's insertion sequence).
  arrive = std::max(arrive, last);
  last = arrive;
  if (stream_) {
    observe::Event e = msg_event(observe::Ev::NetSend, m);
    e.dur = arrive - engine_.now();
    stream_->emit(e);
  }
  engine_.schedule(arrive, kMemory, 0, this, kDeliver, i);
}

void DirFabric::handle(int kind, uint64_t arg) {
  uint32_t i = uint32_t(arg);
  if (kind == kDepart) {
    depart(i);
    return;
  }
  const Msg& m = pool_[i];
  if (!stream_) {
    if (m.to_home) dir_->receive(i);
    else l1s_[size_t(m.dst)]->receive(i);
    return;
  }
  const observe::Event e = msg_event(observe::Ev::NetDeliver, m);  // before the receiver frees it
  if (m.to_home) dir_->receive(i);
  else l1s_[size_t(m.dst)]->receive(i);
  stream_->emit(e);
}

observe::Event DirFabric::msg_event(observe::Ev kind, const Msg& m) const {
  observe::Event e{kind, engine_.now(), m.from_home ? -1 : m.src};
  e.addr = m.line;
  e.what = msg_name(m.type);
  e.peer = m.to_home ? -1 : m.dst;
  e.home = m.from_home ? m.src : m.to_home ? m.dst : -1;
  e.count = m.acks;
  e.arg = m.excl ? 1 : 0;
  return e;
}

void DirFabric::reset_stats() {
  by_type_.fill(0);
  net_.reset_stats();
}

void DirFabric::fill_stats(stats::Coherence& c) const {
  c.messages_by_type.clear();
  for (size_t t = 0; t < by_type_.size(); ++t)
    if (by_type_[t]) c.messages_by_type[msg_name(MsgType(t))] = by_type_[t];
}

void DirFabric::note_write(uint64_t line, const uint8_t* bytes) {
  auto& g = golden_[line];
  g.assign(bytes, bytes + line_bytes_);
}

// Single writer / multiple readers over every L1, and the data-value invariant: every
// readable copy holds the value of the last store to the line (memory's value if none yet).
void DirFabric::check_line(uint64_t line) {
  int excl = -1, readable = 0;
  std::vector<uint8_t> ref(static_cast<size_t>(line_bytes_));
  if (auto it = golden_.find(line); it != golden_.end()) std::memcpy(ref.data(), it->second.data(), ref.size());
  else mem_.read(line, ref.data());
  auto where = [&] {
    char b[64];
    std::snprintf(b, sizeof b, " (line 0x%llx, cycle %llu)", static_cast<unsigned long long>(line * uint64_t(line_bytes_)),
                  static_cast<unsigned long long>(engine_.now()));
    return std::string(b);
  };
  // Single writer first (the more precise report), then every readable copy's value.
  for (auto* l1 : l1s_) {
    CacheLine* c = l1->find(line);
    if (!c) continue;
    const StateInfo& st = l1->spec().states[size_t(c->state)];
    if (!st.readable) continue;
    ++readable;
    if (st.exclusive || st.writable) {
      if (excl >= 0)
        throw CorrectnessError("coherence invariant violated (single writer): cores " + std::to_string(excl) + " and " +
                               std::to_string(l1->id()) + " both hold the line exclusively" + where());
      excl = l1->id();
    }
  }
  if (excl >= 0 && readable > 1)
    throw CorrectnessError("coherence invariant violated (single writer): core " + std::to_string(excl) +
                           " holds the line exclusively while " + std::to_string(readable - 1) + " other copies exist" + where());
  for (auto* l1 : l1s_) {
    CacheLine* c = l1->find(line);
    if (!c || !l1->spec().states[size_t(c->state)].readable) continue;
    if (std::memcmp(ref.data(), c->data, ref.size()) != 0)
      throw CorrectnessError("data-value invariant violated: core " + std::to_string(l1->id()) + " reads a value (state " +
                             l1->spec().states[size_t(c->state)].name + ") that is not the last one written" + where());
  }
}

}  // namespace lockstep::coherence

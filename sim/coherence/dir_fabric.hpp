// The transport of directory coherence: a pool of messages and line-sized data slots, the
// Network that times them (contention included), and delivery at the arrival cycle as a
// kMemory event (a core op at cycle t sees a message that arrives at t). Messages between
// one sender and one receiver arrive in the order they left (the Primer's forwarded network
// must be point-to-point ordered; here every pair is), so a message may wait for an earlier
// one on the same pair even if its own route was faster.
//
// It also keeps what the run's statistics and checkers need about messages: counts by type,
// how many are alive (deadlock detection: memory is idle only when none is), and the
// single-writer / data-value invariant of a line over every L1 (run.check_invariants).
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "coherence/dir_msg.hpp"
#include "coherence/memory.hpp"
#include "common/flat_map.hpp"
#include "config/config.hpp"
#include "engine/engine.hpp"
#include "observe/event.hpp"
#include "interconnect/network.hpp"
#include "stats/stats.hpp"

namespace lockstep::cache { class Llc; }

namespace lockstep::coherence {
class DirL1;
class Directory;

class DirFabric : public Component {
 public:
  // `home_nodes[h]`: the network node of home controller h.
  DirFabric(Engine& e, const config::MachineCfg& m, net::Network& net, std::vector<int> home_nodes, Memory& mem,
            stats::Coherence& ctr);
  void attach(std::vector<DirL1*> l1s, Directory* dir) { l1s_ = std::move(l1s); dir_ = dir; }

  // ---- messages ----
  uint32_t alloc(MsgType t, uint64_t line);  // a message with a data slot if the type carries data
  Msg& msg(uint32_t i) { return pool_[i]; }
  uint8_t* data(uint32_t i) { return &slab_[size_t(pool_[i].data) * size_t(line_bytes_)]; }
  void free(uint32_t i);
  // Puts message i on the network, leaving at `depart` (>= now; later = after memory latency).
  void send(uint32_t i, Cycle depart);
  void handle(int kind, uint64_t arg) override;

  bool idle() const { return alive_ == 0; }
  // Trace writers listen here: NetSend / NetDeliver events (nullptr = none, costs one branch).
  void set_stream(const observe::Stream* s) { stream_ = s; }
  int homes() const { return int(home_nodes_.size()); }
  int line_bytes() const { return line_bytes_; }
  Memory& memory() { return mem_; }
  // The shared LLC the directory lives in (machine.llc), or nullptr: memory answers.
  void set_llc(cache::Llc* llc) { llc_ = llc; }
  cache::Llc* llc() { return llc_; }
  stats::Coherence& counters() { return ctr_; }
  net::Network& network() { return net_; }
  // Counters kept as an array (no string map on the hot path); folded into
  // Coherence::messages_by_type by fill_stats().
  void reset_stats();
  void fill_stats(stats::Coherence& c) const;

  // ---- invariants (run.check_invariants) ----
  void set_check(bool on) { check_ = on; }
  bool checking() const { return check_; }
  // A store performed on `line`: its bytes are now the value every later copy must have.
  void note_write(uint64_t line, const uint8_t* bytes);
  void check_line(uint64_t line);

 private:
  enum Kind { kDeliver, kDepart };
  void depart(uint32_t i);
  int node_of(const Msg& m, bool dst) const;

  Engine& engine_;
  net::Network& net_;
  std::vector<int> home_nodes_;
  Memory& mem_;
  cache::Llc* llc_ = nullptr;
  stats::Coherence& ctr_;
  int line_bytes_;
  int cores_;
  int control_bytes_, data_bytes_;
  std::vector<DirL1*> l1s_;
  Directory* dir_ = nullptr;

  std::vector<Msg> pool_;
  std::vector<uint32_t> free_msgs_;
  std::vector<uint8_t> slab_;
  std::vector<uint32_t> free_slots_;
  uint32_t slots_ = 0;
  int64_t alive_ = 0;
  // Last arrival per (sender endpoint, receiver endpoint); endpoints: L1 c = c, home h = cores + h.
  std::vector<Cycle> last_arrival_;
  FlatMap<Cycle> last_arrival_sparse_;    // more than kDensePairs endpoints
  static constexpr size_t kDensePairs = 512;
  size_t endpoints_;
  std::array<uint64_t, size_t(MsgType::kCount)> by_type_{};

  const observe::Stream* stream_ = nullptr;
  observe::Event msg_event(observe::Ev kind, const Msg& m) const;
  bool check_ = false;
  std::unordered_map<uint64_t, std::vector<uint8_t>> golden_;  // line -> last written value
};

}  // namespace lockstep::coherence

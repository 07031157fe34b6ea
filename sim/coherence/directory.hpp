// The home controllers of directory coherence (controller kind `directory`, Primer Table 8.2
// style): per line a state, a sharer set and an owner, driven by the protocol's table.
// Homes: interleaved (line l's home is l % cores, sitting with core l % cores) or one home
// pinned at a node. Each home serves one request per `directory.occupancy_cycles` (the "c"
// of Boyd-Wickizer et al.'s ticket-lock model): a request's effects happen when its turn
// ends. A request the table stalls (a line in S_D...) waits in its line's queue and goes
// back to the head of the home's queue when the line changes state. Responses to a home
// (an owner's Data) sink on arrival: they are on their own network and never wait behind
// requests (which is what keeps the Primer's protocols deadlock-free).
#pragma once
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include "coherence/dir_fabric.hpp"
#include "coherence/protocol.hpp"
#include "config/config.hpp"
#include "bus/core_set.hpp"
#include "engine/engine.hpp"

namespace lockstep::coherence {

class Directory : public Component {
 public:
  struct Entry {
    int state = 0;                  // index into the directory table's states; 0 = I
    int owner = -1;                 // the owning (or, MESIF, forwarding) L1; -1 = none
    CoreSet sharers;                // the L1s with a copy (two-level bitset, counted)
    std::deque<uint32_t> stalled;   // requests waiting for this line to change state
    bool sharer(int c) const { return sharers.contains(c); }
    int count_except(int c) const { return sharers.size() - (c >= 0 && sharers.contains(c) ? 1 : 0); }
  };

  Directory(const ControllerSpec& spec, const config::MachineCfg& m, Engine& e, DirFabric& fab);
  void receive(uint32_t i);  // message i arrived at its home (msg.dst)
  void handle(int kind, uint64_t arg) override;

  // Inspection for tests: nullptr if the line was never seen.
  const Entry* entry(uint64_t line) const;
  std::string state_name(uint64_t line) const;
  const ControllerSpec& spec() const { return spec_; }
  const std::vector<uint64_t>& fired() const { return fired_; }  // per table cell, as DirL1

 private:
  struct Home {
    std::deque<uint32_t> queue;     // requests waiting for the home's occupancy
    bool scheduled = false;
    std::unordered_map<uint64_t, Entry> lines;
  };
  void serve(int h);
  void process(uint32_t i);
  int classify(const Entry& e, const Msg& m) const;
  void schedule(int h);
  uint32_t make(MsgType t, const Msg& about, int dst);

  const ControllerSpec& spec_;
  Engine& engine_;
  DirFabric& fab_;
  stats::Coherence& ctr_;
  int cores_;
  int occupancy_;
  int memory_latency_;
  std::vector<Home> homes_;
  std::vector<uint64_t> fired_;
};

}  // namespace lockstep::coherence

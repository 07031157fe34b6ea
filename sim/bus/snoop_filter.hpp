// The snooping bus's snoop filter: for every line, which caches hold it and in what state
// (every L1 state change is reported). A request then snoops only the holders whose table
// cell for it does something: a GetS skips the S copies ("no action, no change"), so the
// N-1 re-reads after a ticket release cost O(1) host work each instead of O(sharers), while
// a GetM still visits every copy it invalidates. Broadcasting to every cache gives the same
// result (a cache in I, or in a state the request leaves alone, changes nothing); the
// shared wire is still raised by a readable copy that was not visited.
//
// A line with few holders (a queue node, a flag) keeps them in a short inline list; one
// with more (a ticket's counter read by every waiter) switches to bitsets over the cores.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "bus/core_set.hpp"
#include "coherence/protocol.hpp"

namespace lockstep::coherence {

class SnoopFilter {
 public:
  // Remote request types, in the order of their bits in a state's mask.
  enum Request { kGetS = 0, kGetM = 1, kUpgrade = 2 };
  void init(int caches, const ControllerSpec& spec);
  // Cache `cache` moved `line` from state `from` to `to` (0 = I: not held).
  void change(int cache, uint64_t line, int from, int to);
  // A request of type `req` by cache `r` (its copy in `own_state`) on `line`: the other holders whose state reacts to
  // it, in core order, into `out`. Returns whether another holder that is not visited holds
  // a readable copy (it keeps it: the shared wire).
  bool snoopers(uint64_t line, int r, int own_state, Request req, std::vector<int>& out) const;
  // Every holder of `line`, in core order.
  void holders(uint64_t line, std::vector<int>& out) const;

 private:
  static constexpr int kFew = 8;
  struct Many {  // bitsets: every holder, then the holders each request type must visit
    CoreSet all;
    std::array<CoreSet, 3> loud;
    std::vector<int> per_state;
  };
  struct Line {
    int n = 0;  // holders in `few` (when many is null)
    std::array<std::pair<uint16_t, uint16_t>, kFew> few{};  // (cache, state)
    std::unique_ptr<Many> many;
  };
  bool loud(int state, Request req) const { return loud_[size_t(state)] >> req & 1; }
  void to_many(Line& l);
  void add_many(Many& m, int cache, int state, int delta);
  int caches_ = 0;
  std::vector<uint8_t> loud_;      // per state: bit r = a request of type r changes something
  std::vector<uint8_t> readable_;  // per state
  std::unordered_map<uint64_t, Line> lines_;
};

}  // namespace lockstep::coherence

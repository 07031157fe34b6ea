#include "bus/snoop_filter.hpp"

#include <algorithm>

namespace lockstep::coherence {

void SnoopFilter::init(int caches, const ControllerSpec& spec) {
  caches_ = caches;
  // A stable state is quiet for a request when its table cell is defined, does nothing and stays:
  // snooping it changes nothing. Every other cell (one that acts, moves, or is missing and
  // must report the hole) is visited.
  static constexpr int kEvent[3] = {snoop::OtherGetS, snoop::OtherGetM, snoop::OtherUpgrade};
  loud_.assign(spec.states.size(), 0);
  readable_.assign(spec.states.size(), 0);
  for (size_t s = 0; s < spec.states.size(); ++s) {
    readable_[s] = spec.states[s].readable ? 1 : 0;
    for (int r = 0; r < 3; ++r) {
      const Transition& tr = spec.at(int(s), kEvent[r]);
      // Transient states are always visited: few caches are in one at a time (those with a
      // request outstanding), and the split bus's race cells are counted when they fire.
      const bool quiet = spec.states[s].stable && tr.defined && tr.actions.empty() && (tr.next < 0 || tr.next == int(s));
      if (!quiet) loud_[s] |= uint8_t(1u << r);
    }
  }
}

void SnoopFilter::add_many(Many& m, int cache, int state, int delta) {
  m.per_state[size_t(state)] += delta;
  for (int r = 0; r < 3; ++r)
    if (loud(state, Request(r))) {
      if (delta > 0) m.loud[size_t(r)].insert(cache);
      else m.loud[size_t(r)].erase(cache);
    }
  if (delta > 0) m.all.insert(cache);
  else m.all.erase(cache);
}

void SnoopFilter::to_many(Line& l) {
  l.many = std::make_unique<Many>();
  Many& m = *l.many;
  m.all.resize(caches_);
  for (auto& s : m.loud) s.resize(caches_);
  m.per_state.assign(loud_.size(), 0);
  for (int i = 0; i < l.n; ++i) add_many(m, l.few[size_t(i)].first, l.few[size_t(i)].second, +1);
  l.n = 0;
}

void SnoopFilter::change(int cache, uint64_t line, int from, int to) {
  if (from == to) return;
  Line& l = lines_[line];
  if (l.many) {
    if (from != 0) add_many(*l.many, cache, from, -1);
    if (to != 0) add_many(*l.many, cache, to, +1);
    return;
  }
  if (from != 0) {
    for (int i = 0; i < l.n; ++i)
      if (l.few[size_t(i)].first == cache) {
        if (to != 0) l.few[size_t(i)].second = uint16_t(to);
        else l.few[size_t(i)] = l.few[size_t(--l.n)];
        return;
      }
  }
  if (to == 0) return;
  if (l.n == kFew) {
    to_many(l);
    add_many(*l.many, cache, to, +1);
    return;
  }
  l.few[size_t(l.n++)] = {uint16_t(cache), uint16_t(to)};
}

bool SnoopFilter::snoopers(uint64_t line, int r, int own_state, Request req, std::vector<int>& out) const {
  out.clear();
  auto it = lines_.find(line);
  if (it == lines_.end()) return false;
  const Line& l = it->second;
  bool shared = false;
  if (!l.many) {
    for (int i = 0; i < l.n; ++i) {
      const auto [c, s] = l.few[size_t(i)];
      if (c == r) continue;
      if (loud(s, req)) out.push_back(c);
      else shared |= readable_[s] != 0;
    }
    std::sort(out.begin(), out.end());
    return shared;
  }
  const Many& m = *l.many;
  m.loud[size_t(req)].for_each([&](int c) {
    if (c != r) out.push_back(c);
  });
  int quiet_readable = 0;
  for (size_t s = 1; s < loud_.size(); ++s)
    if (readable_[s] && !loud(int(s), req)) quiet_readable += m.per_state[s];
  // The requester is counted in its own state; it is no other copy.
  if (own_state > 0 && readable_[size_t(own_state)] && !loud(own_state, req)) --quiet_readable;
  return quiet_readable > 0;
}

void SnoopFilter::holders(uint64_t line, std::vector<int>& out) const {
  out.clear();
  auto it = lines_.find(line);
  if (it == lines_.end()) return;
  const Line& l = it->second;
  if (l.many) {
    l.many->all.for_each([&](int c) { out.push_back(c); });
    return;
  }
  for (int i = 0; i < l.n; ++i) out.push_back(l.few[size_t(i)].first);
  std::sort(out.begin(), out.end());
}

}  // namespace lockstep::coherence

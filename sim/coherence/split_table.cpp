#include "coherence/split_table.hpp"

#include <algorithm>
#include <deque>

#include "common/error.hpp"

namespace lockstep::coherence {

using namespace snoop;

namespace {
bool has(const Transition& t, Action a) { return std::find(t.actions.begin(), t.actions.end(), uint8_t(a)) != t.actions.end(); }
const char* request_name(int own) { return own == OwnGetS ? "GetS" : own == OwnGetM ? "GetM" : "Upgrade"; }
}  // namespace

SplitTable check_split_table(const ControllerSpec& c, const std::string& file) {
  const int n = int(c.states.size());
  SplitTable out;
  out.waits_for.assign(size_t(n), -1);
  std::vector<int> entered(size_t(n), 0);     // table line of a transition into the state
  std::vector<char> owes(size_t(n), 0);       // some path into it ran deferSupply
  std::vector<char> by_race(size_t(n), 0);    // reached through another cache's request
  std::vector<char> sharers(size_t(n), 0);    // other S copies may still exist (and upgrade)
  auto fail = [&](int line, const std::string& msg) { throw InputError(located(file, line, 1, "split bus: " + msg)); };
  auto name = [&](int s) { return c.states[size_t(s)].name; };

  std::deque<int> work;
  auto enter = [&](int s, int own, int line, bool owing, bool race, bool share) {
    if (c.states[size_t(s)].stable)
      fail(line, "this transition makes " + name(s) + " (a stable state) wait for its " + request_name(own) +
                     "'s data; on a split bus the line stays in a transient state until the data arrives");
    int& w = out.waits_for[size_t(s)];
    if (w >= 0 && w != own)
      fail(line, "state " + name(s) + " waits for the data of a " + request_name(w) + " (line " +
                     std::to_string(entered[size_t(s)]) + ") and of a " + request_name(own) + " here; use two states");
    bool changed = w < 0 || (owing && !owes[size_t(s)]) || (race && !by_race[size_t(s)]) || (share && !sharers[size_t(s)]);
    if (w < 0) entered[size_t(s)] = line;
    w = own;
    owes[size_t(s)] |= char(owing);
    by_race[size_t(s)] |= char(race);
    sharers[size_t(s)] |= char(share);
    if (changed) work.push_back(s);
  };

  for (int s = 0; s < n; ++s) {
    const Transition& g = c.at(s, Grant);
    if (!g.defined) continue;
    int own = has(g, sendGetS) ? OwnGetS : has(g, sendGetM) ? OwnGetM : has(g, sendUpgrade) ? OwnUpgrade : -1;
    if (own < 0) fail(g.line, c.describe(s, Grant) + " sends no request (sendGetS, sendGetM or sendUpgrade)");
    if (g.next < 0 || g.next == s)
      fail(g.line, c.describe(s, Grant) + " stays in " + name(s) +
                       ": the grant orders the request before its data arrives, so it must move to a state that "
                       "waits for the data (e.g. " + name(s).substr(0, name(s).find('_')) + "_D); before the grant "
                       "another request is ordered first, after it ours is");
    enter(g.next, own, g.line, false, false, own == OwnGetS);
  }

  while (!work.empty()) {
    int s = work.front();
    work.pop_front();
    int own = out.waits_for[size_t(s)];
    std::vector<int> others = {OtherGetS, OtherGetM};
    // A GetS leaves other copies in place, so one of them may still upgrade; once a GetM or
    // an Upgrade is ordered every other copy is gone until our data has arrived.
    if (sharers[size_t(s)]) others.push_back(OtherUpgrade);
    for (int e : others) {  // a deferral that keeps the state: its completion owes data too
      const Transition& t = c.at(s, e);
      if (t.defined && (t.next < 0 || t.next == s) && has(t, deferSupply)) owes[size_t(s)] = 1;
    }
    for (int e : others) {
      const Transition& t = c.at(s, e);
      if (!t.defined)
        fail(entered[size_t(s)], "state " + name(s) + " (entered here) has no transition for " + (*c.events)[size_t(e)] +
                                     ": another cache's request can be ordered while this cache waits for its " +
                                     request_name(own) + "'s data (a race cell)");
      if (t.next >= 0 && t.next != s)
        enter(t.next, own, t.line, owes[size_t(s)] || has(t, deferSupply), true, sharers[size_t(s)] && e == OtherGetS);
    }
    std::vector<int> done = own == OwnGetS ? std::vector<int>{OwnGetS, OwnGetSExcl} : std::vector<int>{own};
    for (int e : done) {
      const Transition& t = c.at(s, e);
      if (!t.defined)
        fail(entered[size_t(s)], "state " + name(s) + " (entered here) has no transition for " + (*c.events)[size_t(e)] +
                                     ": its data arrives in this state");
      if (!has(t, hit)) fail(t.line, c.describe(s, e) + " must perform the waiting access (hit)");
      int next = t.next < 0 ? s : t.next;
      if (!c.states[size_t(next)].stable) fail(t.line, c.describe(s, e) + " must end in a stable state: the transaction is over");
      if (owes[size_t(s)] && !has(t, supplyDeferred))
        fail(t.line, c.describe(s, e) + " must run supplyDeferred: a request ordered after ours was promised this cache's "
                                        "data (deferSupply on the way to " + name(s) + ")");
    }
  }
  for (int s = 0; s < n; ++s) {
    int own = out.waits_for[size_t(s)];
    if (own < 0) continue;
    for (int e = OtherGetS; e <= OtherUpgrade; ++e)
      if (c.at(s, e).defined && (e != OtherUpgrade || sharers[size_t(s)])) out.race_cells.push_back({s, e});
    if (by_race[size_t(s)])
      for (int e = OwnGetS; e <= OwnUpgrade; ++e)
        if (c.at(s, e).defined) out.race_cells.push_back({s, e});
  }
  return out;
}

}  // namespace lockstep::coherence

#include "coherence/protocol.hpp"

#include <filesystem>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "common/embedded.hpp"
#include "common/error.hpp"
#include "common/input_file.hpp"

namespace lockstep::coherence {

namespace {

// Order must match the enums in protocol.hpp.
const std::vector<std::string> kSnoopEvents = {
    "Load", "Store", "Replacement", "Grant",
    "Own-GetS", "Own-GetS-Excl", "Own-GetM", "Own-Upgrade",
    "Other-GetS", "Other-GetM", "Other-Upgrade"};
const std::vector<std::string> kSnoopActions = {
    "requestBus", "sendGetS", "sendGetM", "sendUpgrade", "sendPutM", "hit", "supplyData", "writeback",
    "deferSupply", "supplyDeferred", "assertShared"};
const std::vector<std::string> kDirCacheEvents = {
    "Load", "Store", "Replacement",
    "Fwd-GetS", "Fwd-GetM", "Inv", "Put-Ack",
    "Data", "Data-Acks", "Data-Excl", "AckCount", "AckCount-Acks",
    "Inv-Ack", "Last-Inv-Ack"};
const std::vector<std::string> kDirCacheActions = {
    "sendGetS", "sendGetM", "sendPutS", "sendPutM", "sendPutE", "sendPutO", "sendPutF",
    "sendDataToReq", "sendDataToDir", "sendInvAck", "setAcks", "decAcks", "hit", "stall"};
const std::vector<std::string> kDirEvents = {
    "GetS", "GetM", "GetM-Owner",
    "PutS-NotLast", "PutS-Last",
    "PutM-Owner", "PutM-Owner-NotLast", "PutM-NonOwner", "PutM-NonOwner-NotLast",
    "PutE-Owner", "PutE-Owner-NotLast", "PutE-NonOwner", "PutE-NonOwner-NotLast",
    "PutO-Owner", "PutO-Owner-NotLast", "PutO-NonOwner", "PutO-NonOwner-NotLast",
    "PutF-Owner", "PutF-Owner-NotLast", "PutF-NonOwner", "PutF-NonOwner-NotLast",
    "Data"};
const std::vector<std::string> kDirActions = {
    "sendDataToReq", "sendExclDataToReq", "sendAckCountToReq", "sendInvToSharers",
    "fwdGetSToOwner", "fwdGetMToOwner", "sendPutAck",
    "addReqToSharers", "removeReqFromSharers", "addOwnerToSharers", "clearSharers",
    "setOwnerToReq", "clearOwner", "writeMemory", "stall"};
const std::vector<std::string> kNone;

std::map<std::string, std::pair<const std::vector<std::string>*, const std::vector<std::string>*>>& kinds() {
  static std::map<std::string, std::pair<const std::vector<std::string>*, const std::vector<std::string>*>> k = {
      {"snoop", {&kSnoopEvents, &kSnoopActions}},
      {"snoop-split", {&kSnoopEvents, &kSnoopActions}},
      {"cache", {&kDirCacheEvents, &kDirCacheActions}},
      {"directory", {&kDirEvents, &kDirActions}}};
  return k;
}

// The same white space as words() splits on (istream's: also \v and \f), so a line trim()
// leaves non-empty always has a first word.
constexpr const char* kSpace = " \t\r\n\v\f";

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(kSpace);
  if (a == std::string::npos) return "";
  size_t b = s.find_last_not_of(kSpace);
  return s.substr(a, b - a + 1);
}

std::vector<std::string> words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> w;
  std::string x;
  while (in >> x) w.push_back(x);
  return w;
}

int index_of(const std::vector<std::string>& v, const std::string& n) {
  auto it = std::find(v.begin(), v.end(), n);
  return it == v.end() ? -1 : int(it - v.begin());
}

struct Parser {
  std::string file;
  int line = 0;
  [[noreturn]] void fail(int col, const std::string& msg) { throw InputError(located(file, line, col, msg)); }

  // "{A, B}" or "A" -> names
  std::vector<std::string> set(std::string s, int col) {
    s = trim(s);
    if (s.empty()) fail(col, "expected a name or {set}");
    if (s.front() == '{') {
      if (s.back() != '}') fail(col, "unterminated set: expected '}'");
      s = s.substr(1, s.size() - 2);
    }
    std::vector<std::string> out;
    std::string cur;
    std::istringstream in(s);
    while (std::getline(in, cur, ',')) {
      cur = trim(cur);
      if (cur.empty()) fail(col, "empty name in set");
      out.push_back(cur);
    }
    return out;
  }
};

}  // namespace

const std::vector<std::string>& kind_events(const std::string& kind) {
  auto it = kinds().find(kind);
  return it == kinds().end() ? kNone : *it->second.first;
}
const std::vector<std::string>& kind_actions(const std::string& kind) {
  auto it = kinds().find(kind);
  return it == kinds().end() ? kNone : *it->second.second;
}

int ControllerSpec::state(const std::string& n) const {
  for (size_t i = 0; i < states.size(); ++i)
    if (states[i].name == n) return int(i);
  return -1;
}
int ControllerSpec::event(const std::string& n) const { return index_of(*events, n); }
std::string ControllerSpec::describe(int s, int e) const {
  return "(" + states[size_t(s)].name + ", " + (*events)[size_t(e)] + ")";
}

const ControllerSpec& Protocol::controller(const std::string& kind) const {
  auto it = controllers.find(kind);
  if (it == controllers.end())
    throw InputError(file + ": protocol " + name + " has no '" + kind + "' controller (coherence mode not supported by this table)");
  return it->second;
}

Protocol parse_protocol(const std::string& text, const std::string& file) {
  Protocol p;
  p.file = file;
  Parser ps{file};
  ControllerSpec* cur = nullptr;
  // Transitions are collected first so that states may be declared in any order.
  struct Pending { ControllerSpec* c; int line; int col; std::string st, ev, next, acts; };
  std::vector<Pending> pending;

  std::istringstream in(text);
  std::string raw;
  while (std::getline(in, raw)) {
    ++ps.line;
    std::string s = raw.substr(0, raw.find('#'));
    if (trim(s).empty()) continue;
    int col = int(s.find_first_not_of(kSpace)) + 1;
    s = trim(s);
    auto w = words(s);
    if (w.empty()) continue;
    if (w[0] == "protocol") {
      if (w.size() != 2) ps.fail(col, "expected 'protocol NAME'");
      p.name = w[1];
    } else if (w[0] == "controller") {
      if (w.size() != 2) ps.fail(col, "expected 'controller KIND'");
      if (!kinds().count(w[1])) {
        std::vector<std::string> ks;
        for (auto& [k, v] : kinds()) ks.push_back(k);
        std::string near = nearest(w[1], ks);
        ps.fail(col + 11, "unknown controller kind '" + w[1] + "'" + (near.empty() ? "" : " (did you mean '" + near + "'?)"));
      }
      if (p.controllers.count(w[1])) ps.fail(col, "controller '" + w[1] + "' defined twice");
      cur = &p.controllers[w[1]];
      cur->kind = w[1];
      cur->events = &kind_events(w[1]);
      cur->actions = &kind_actions(w[1]);
    } else if (w[0] == "state") {
      if (!cur) ps.fail(col, "'state' before any 'controller'");
      if (w.size() < 2) ps.fail(col, "expected 'state NAME [attributes]'");
      if (cur->state(w[1]) >= 0) ps.fail(col, "state '" + w[1] + "' declared twice");
      StateInfo st;
      st.name = w[1];
      static const std::vector<std::string> attrs = {"stable", "transient", "readable", "writable", "exclusive", "dirty", "owner"};
      for (size_t i = 2; i < w.size(); ++i) {
        const auto& a = w[i];
        if (a == "stable") st.stable = true;
        else if (a == "transient") st.stable = false;
        else if (a == "readable") st.readable = true;
        else if (a == "writable") st.writable = true;
        else if (a == "exclusive") st.exclusive = true;
        else if (a == "dirty") st.dirty = true;
        else if (a == "owner") st.owner = true;
        else {
          std::string near = nearest(a, attrs);
          ps.fail(int(raw.find(a)) + 1, "unknown state attribute '" + a + "'" + (near.empty() ? "" : " (did you mean '" + near + "'?)"));
        }
      }
      cur->states.push_back(st);
    } else if (s.rfind("transition", 0) == 0) {
      if (!cur) ps.fail(col, "'transition' before any 'controller'");
      size_t lp = s.find('('), rp = s.find(')', lp == std::string::npos ? 0 : lp);
      // A set inside the parentheses has braces; find the ')' after the last '}' before '{ actions'.
      size_t body = s.find('{', rp == std::string::npos ? 0 : rp);
      if (lp == std::string::npos || rp == std::string::npos) ps.fail(col, "expected 'transition(STATE, EVENT[, NEXT]) { actions; }'");
      // Split the argument list on top-level commas.
      size_t close = lp;
      int depth = 0;
      for (size_t i = lp; i < s.size(); ++i) {
        if (s[i] == '{') ++depth;
        else if (s[i] == '}') --depth;
        else if (s[i] == ')' && depth == 0) { close = i; break; }
      }
      if (close == lp) ps.fail(col, "missing ')' in transition");
      std::string args = s.substr(lp + 1, close - lp - 1);
      std::vector<std::string> parts;
      std::string part;
      depth = 0;
      for (char ch : args) {
        if (ch == '{') ++depth;
        if (ch == '}') --depth;
        if (ch == ',' && depth == 0) { parts.push_back(trim(part)); part.clear(); }
        else part += ch;
      }
      parts.push_back(trim(part));
      if (parts.size() < 2 || parts.size() > 3) ps.fail(col, "transition takes (STATE, EVENT) or (STATE, EVENT, NEXT)");
      body = s.find('{', close);
      size_t end = s.rfind('}');
      if (body == std::string::npos || end == std::string::npos || end < body)
        ps.fail(int(close) + col + 1, "expected '{ actions; }' after the transition");
      pending.push_back({cur, ps.line, col, parts[0], parts[1], parts.size() == 3 ? parts[2] : "", s.substr(body + 1, end - body - 1)});
    } else {
      static const std::vector<std::string> kw = {"protocol", "controller", "state", "transition"};
      std::string near = nearest(w[0], kw);
      ps.fail(col, "unexpected '" + w[0] + "'" + (near.empty() ? "" : " (did you mean '" + near + "'?)"));
    }
  }
  if (p.name.empty()) { ps.line = 1; ps.fail(1, "missing 'protocol NAME'"); }
  if (p.controllers.empty()) { ps.line = 1; ps.fail(1, "no 'controller' section"); }

  for (auto& [k, c] : p.controllers) {
    if (c.states.empty()) throw InputError(located(file, 0, 0, "controller '" + k + "' declares no states"));
    c.table.assign(c.states.size() * c.events->size(), Transition{});
  }
  for (auto& t : pending) {
    ps.line = t.line;
    ControllerSpec& c = *t.c;
    auto lookup_state = [&](const std::string& n) {
      int i = c.state(n);
      if (i < 0) {
        std::vector<std::string> names;
        for (auto& st : c.states) names.push_back(st.name);
        std::string near = nearest(n, names);
        ps.fail(t.col, "unknown state '" + n + "'" + (near.empty() ? "" : " (did you mean '" + near + "'?)"));
      }
      return i;
    };
    std::vector<uint8_t> acts;
    std::istringstream ain(t.acts);
    std::string a;
    while (std::getline(ain, a, ';')) {
      a = trim(a);
      if (a.empty()) continue;
      int id = index_of(*c.actions, a);
      if (id < 0) {
        std::string near = nearest(a, *c.actions);
        ps.fail(t.col, "unknown action '" + a + "' for a " + c.kind + " controller" + (near.empty() ? "" : " (did you mean '" + near + "'?)"));
      }
      acts.push_back(uint8_t(id));
    }
    int next = t.next.empty() ? -1 : lookup_state(t.next);
    for (auto& sn : ps.set(t.st, t.col)) {
      int si = lookup_state(sn);
      for (auto& en : ps.set(t.ev, t.col)) {
        int ei = c.event(en);
        if (ei < 0) {
          std::string near = nearest(en, *c.events);
          ps.fail(t.col, "unknown event '" + en + "' for a " + c.kind + " controller" + (near.empty() ? "" : " (did you mean '" + near + "'?)"));
        }
        Transition& tr = c.table[size_t(si) * c.events->size() + size_t(ei)];
        if (tr.defined)
          ps.fail(t.col, "transition " + c.describe(si, ei) + " already defined at line " + std::to_string(tr.line));
        tr.defined = true;
        tr.next = next;
        tr.actions = acts;
        tr.line = t.line;
      }
    }
  }
  return p;
}

std::vector<std::string> builtin_protocols() {
  std::vector<std::string> out;
  for (auto& [k, v] : embedded::protocols()) {
    std::string up = k;
    for (auto& ch : up) ch = char(std::toupper(static_cast<unsigned char>(ch)));
    out.push_back(up);
  }
  return out;
}

Protocol load_protocol(const std::string& name_or_path) {
  std::string low = name_or_path;
  for (auto& ch : low) ch = char(std::tolower(static_cast<unsigned char>(ch)));
  auto& emb = embedded::protocols();
  if (auto it = emb.find(low); it != emb.end()) return parse_protocol(it->second, "protocols/" + low + ".table");
  std::error_code ec;
  if (!std::filesystem::exists(name_or_path, ec)) {
    std::string near = nearest(name_or_path, builtin_protocols());
    throw InputError("unknown protocol '" + name_or_path + "': not a built-in and no such file" +
                     (near.empty() ? "" : " (did you mean '" + near + "'?)"));
  }
  std::string text;
  if (std::string why = read_input_file(name_or_path, text); !why.empty())
    throw InputError("protocol '" + name_or_path + "' " + why);
  return parse_protocol(text, name_or_path);
}

}  // namespace lockstep::coherence

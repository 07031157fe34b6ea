#include "coherence/render.hpp"

#include <map>
#include <sstream>
#include <vector>

namespace lockstep::coherence {

namespace {

std::string attributes(const StateInfo& s) {
  std::string out;
  auto add = [&](bool on, const char* name) {
    if (!on) return;
    if (!out.empty()) out += " ";
    out += name;
  };
  add(s.readable, "readable");
  add(s.writable, "writable");
  add(s.exclusive, "exclusive");
  add(s.dirty, "dirty");
  add(s.owner, "owner");
  return out;
}

std::string actions(const ControllerSpec& c, const Transition& t) {
  std::string out;
  for (uint8_t a : t.actions) {
    if (!out.empty()) out += "; ";
    out += (*c.actions)[a];
  }
  return out;
}

// Inside a Graphviz double-quoted string only '"' and '\' need escaping.
std::string escaped(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out;
}
std::string quoted(const std::string& s) {
  std::string out(1, '"');  // appended, not `"\"" + ...`: GCC 12 warns falsely (-Wrestrict) on that
  out += escaped(s);
  out += '"';
  return out;
}

}  // namespace

std::string render_cell(const ControllerSpec& c, int state, int event) {
  const Transition& t = c.at(state, event);
  if (!t.defined) return "";
  std::string a = actions(c, t);
  bool moves = t.next >= 0 && t.next != state;
  if (!moves) return a.empty() ? "-" : a;
  return (a.empty() ? "-" : a) + " / " + c.states[size_t(t.next)].name;
}

std::string render_markdown(const Protocol& p, const ControllerSpec& c) {
  std::ostringstream o;
  o << "# " << p.name << ": controller " << c.kind << "\n\n";
  o << "Source: `" << p.file << "`. " << c.states.size() << " states, " << c.events->size() << " events.\n\n";
  o << "## States\n\n| state | kind | attributes |\n| --- | --- | --- |\n";
  for (size_t i = 0; i < c.states.size(); ++i) {
    const auto& s = c.states[i];
    o << "| " << s.name << " | " << (s.stable ? "stable" : "transient") << (i == 0 ? " (initial)" : "") << " | "
      << attributes(s) << " |\n";
  }
  o << "\n## Transitions\n\nCell: `actions / next state` (no next state: unchanged; `-`: defined, "
       "does nothing; blank: undefined, an error if it happens).\n\n";
  o << "| state \\ event |";
  for (const auto& e : *c.events) o << " " << e << " |";
  o << "\n| --- |";
  for (size_t e = 0; e < c.events->size(); ++e) o << " --- |";
  o << "\n";
  for (size_t s = 0; s < c.states.size(); ++s) {
    o << "| **" << c.states[s].name << "** |";
    for (size_t e = 0; e < c.events->size(); ++e) {
      std::string cell = render_cell(c, int(s), int(e));
      o << " " << cell << (cell.empty() ? "" : " ") << "|";
    }
    o << "\n";
  }
  return o.str();
}

namespace {
// The states and edges of one controller. Node ids get `prefix` (so two controllers' "I"
// stay apart in one graph) and then show the bare state name as their label.
void dot_body(std::ostringstream& o, const ControllerSpec& c, const std::string& prefix, const std::string& in) {
  for (size_t i = 0; i < c.states.size(); ++i) {
    const auto& s = c.states[i];
    o << in << quoted(prefix + s.name) << " [";
    if (!prefix.empty()) o << "label=" << quoted(s.name) << ", ";
    if (i == 0) o << "shape=doublecircle, ";
    o << "style=" << (s.stable ? "solid" : "dashed");
    std::string a = attributes(s);
    if (!a.empty()) o << ", tooltip=" << quoted(a);
    o << "];\n";
  }
  // One edge per (from, to): many events share a destination, and a graph with one edge
  // per event is unreadable. Order: states, then destinations, in declaration order.
  for (size_t s = 0; s < c.states.size(); ++s) {
    std::map<int, std::vector<std::string>> by_next;
    for (size_t e = 0; e < c.events->size(); ++e) {
      const Transition& t = c.at(int(s), int(e));
      if (!t.defined) continue;
      int next = t.next >= 0 ? t.next : int(s);
      std::string a = actions(c, t);
      by_next[next].push_back((*c.events)[e] + (a.empty() ? "" : " / " + a));
    }
    for (auto& [next, labels] : by_next) {
      // "\l" ends a left-justified line in a Graphviz label.
      std::string label;
      for (auto& l : labels) label += escaped(l) + "\\l";
      o << in << quoted(prefix + c.states[s].name) << " -> " << quoted(prefix + c.states[size_t(next)].name)
        << " [label=\"" << label << "\"];\n";
    }
  }
}

const char* kDotStyle =
    "  labelloc=t;\n  rankdir=LR;\n  node [shape=circle, fontname=\"Helvetica\"];\n"
    "  edge [fontname=\"Helvetica\", fontsize=10];\n";
}  // namespace

std::string render_dot(const Protocol& p, const ControllerSpec& c) {
  std::ostringstream o;
  o << "digraph " << quoted(p.name + " " + c.kind) << " {\n";
  o << "  label=" << quoted(p.name + ", controller " + c.kind + " (dashed: transient)") << ";\n" << kDotStyle;
  dot_body(o, c, "", "  ");
  o << "}\n";
  return o.str();
}

std::string render_dot(const Protocol& p, const std::vector<const ControllerSpec*>& cs) {
  if (cs.size() == 1) return render_dot(p, *cs[0]);
  std::ostringstream o;
  std::string kinds;
  for (size_t i = 0; i < cs.size(); ++i) kinds += (i ? " + " : "") + cs[i]->kind;
  o << "digraph " << quoted(p.name + " " + kinds) << " {\n";
  o << "  label=" << quoted(p.name + ", controllers " + kinds + " (dashed: transient)") << ";\n" << kDotStyle;
  for (const ControllerSpec* c : cs) {
    o << "  subgraph " << quoted("cluster_" + c->kind) << " {\n";
    o << "    label=" << quoted("controller " + c->kind) << ";\n";
    dot_body(o, *c, c->kind + ":", "    ");
    o << "  }\n";
  }
  o << "}\n";
  return o.str();
}

}  // namespace lockstep::coherence

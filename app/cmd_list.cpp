// lockstep list [locks|protocols|topologies|machines|keys]: what is built in, one line each; `keys`
// prints the experiment keys as the markdown table docs/config.md holds.
#include <algorithm>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "app/commands.hpp"
#include "common/embedded.hpp"
#include "common/error.hpp"
#include "config/loader.hpp"

namespace lockstep::app {

namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

// The first sentence of a string, ending at a '.' followed by a space or the end, outside
// parentheses (so "Primer ch. 7" inside "(...)" does not end it).
std::string first_sentence(const std::string& s) {
  int depth = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '(') ++depth;
    if (s[i] == ')' && depth > 0) --depth;
    if (s[i] == '.' && depth == 0 && (i + 1 == s.size() || s[i + 1] == ' ')) return s.substr(0, i + 1);
  }
  return s;
}

// A data file (lock or protocol table) opens with a comment that describes it; its first
// sentence, which often runs over two comment lines, is the one-line description. Failing
// that, the first trailing comment (e.g. `lock ticket   # FIFO by taking a number`).
std::string description(const std::string& text) {
  std::istringstream in(text);
  std::string line, block, trailing;
  while (std::getline(in, line)) {
    const std::string t = trim(line);
    const bool comment = !t.empty() && t[0] == '#';
    const auto text_start = comment ? t.find_first_not_of('#') : std::string::npos;
    const std::string words = text_start == std::string::npos ? "" : trim(t.substr(text_start));
    if (!words.empty()) {
      block += (block.empty() ? "" : " ") + words;
      continue;
    }
    if (!block.empty()) break;  // the end of the first comment block
    const auto hash = t.find('#');
    if (!comment && trailing.empty() && hash != std::string::npos) trailing = trim(t.substr(hash + 1));
  }
  std::string d = first_sentence(block.empty() ? trailing : block);
  // One line in a terminal: a long sentence is cut at a word and marked.
  constexpr size_t kMax = 100;
  if (d.size() > kMax) {
    const auto space = d.rfind(' ', kMax - 4);
    d = d.substr(0, space == std::string::npos ? kMax - 4 : space) + " ...";
  }
  return d;
}

void section(const std::string& title, const std::vector<std::pair<std::string, std::string>>& items) {
  std::cout << title << ":\n";
  if (items.empty()) std::cout << "  (none built in)\n";
  size_t w = 0;
  for (const auto& [name, d] : items) w = std::max(w, name.size());
  for (const auto& [name, d] : items) {
    std::cout << "  " << name;
    if (!d.empty()) std::cout << std::string(w - name.size() + 2, ' ') << d;
    std::cout << "\n";
  }
}

std::vector<std::pair<std::string, std::string>> described(const std::map<std::string, std::string>& files) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, text] : files) out.emplace_back(name, description(text));
  return out;
}

const std::vector<std::pair<std::string, std::string>> kTopologies = {
    {"bus", "snooping bus: atomic, one transaction at a time, round-robin or FIFO arbitration"},
    {"crossbar", "every node one link from every other (directory coherence)"},
    {"ring", "bidirectional ring, shortest way round"},
    {"mesh", "2-D mesh (width x height), dimension-order shortest paths"},
    {"numa", "sockets of cores joined by slower inter-socket links"},
    {"custom", "any graph: interconnect.nodes, edges [{from, to, latency_cycles, bandwidth_bytes}], attach"},
};

}  // namespace

int cmd_list(int argc, char** argv) {
  const std::vector<std::string> kinds = {"locks", "protocols", "topologies", "machines", "keys"};
  std::string which;
  if (argc > 2) throw InputError("list: expected at most one of locks, protocols, topologies, machines, keys");
  if (argc == 2) {
    which = argv[1];
    if (which == "--help" || which == "-h") {
      std::cout << "usage: lockstep list [locks|protocols|topologies|machines|keys]\n";
      return kExitOk;
    }
    bool known = false;
    for (const auto& k : kinds) known = known || k == which;
    if (!known) {
      std::string msg = "list: unknown section '" + which + "'";
      const std::string near = nearest(which, kinds);
      msg += near.empty() ? "; expected locks, protocols, topologies, machines or keys" : "; did you mean '" + near + "'?";
      throw InputError(msg);
    }
  }
  if (which == "keys") {
    std::cout << config::schema_markdown();
    return kExitOk;
  }
  bool first = true;
  auto gap = [&] {
    if (!first) std::cout << "\n";
    first = false;
  };
  if (which.empty() || which == "locks") {
    gap();
    section("locks", described(embedded::locks()));
  }
  if (which.empty() || which == "protocols") {
    gap();
    section("protocols", described(embedded::protocols()));
  }
  if (which.empty() || which == "topologies") {
    gap();
    section("topologies", kTopologies);
  }
  if (which.empty() || which == "machines") {
    gap();
    section("machines (presets: extends: NAME)", described(embedded::machines()));
  }
  return kExitOk;
}

}  // namespace lockstep::app

#include "output/resolved_yaml.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "config/schema.hpp"

namespace lockstep::output {

namespace {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;
namespace schema = config::schema;

// Walks `comps` from `j` as far as objects go: the node reached and how many parts it took
// (fewer than comps.size() when a value that is no map stands in for a section: llc: none).
std::pair<const json*, size_t> walk(const json* j, const std::vector<std::string>& comps) {
  size_t i = 0;
  for (; j && i < comps.size() && j->is_object(); ++i) {
    const auto it = j->find(comps[i]);
    j = it == j->end() ? nullptr : &*it;
  }
  return {j, i};
}

bool looks_numeric(const std::string& s) {
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

// A string YAML reads back as the same string without quotes.
bool plain_ok(const std::string& s) {
  if (s.empty() || looks_numeric(s)) return false;
  std::string low = s;
  std::transform(low.begin(), low.end(), low.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  for (const char* r : {"true", "false", "null", "yes", "no", "on", "off", "y", "n"})
    if (low == r) return false;
  const unsigned char first = static_cast<unsigned char>(s[0]);
  if (!std::isalpha(first) && first != '_' && first != '/' && first != '.') return false;
  return std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '.' || c == '/' || c == '-' || c == '+';
  });
}

// Double-quoted YAML is a superset of JSON's string syntax.
std::string quoted(const std::string& s) { return json(s).dump(); }

template <class J>
std::string flow(const J& v) {
  if (v.is_string()) {
    const std::string s = v.template get<std::string>();
    return plain_ok(s) ? s : quoted(s);
  }
  if (v.is_array()) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + flow(v[i]);
    return s + "]";
  }
  if (v.is_object()) {
    std::string s = "{";
    bool first = true;
    for (auto it = v.begin(); it != v.end(); ++it, first = false)
      s += (first ? "" : ", ") + (plain_ok(it.key()) ? it.key() : quoted(it.key())) + ": " + flow(it.value());
    return s + "}";
  }
  return v.dump();  // numbers, booleans, null
}

void block(const ojson& j, int indent, std::string& out) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    out += std::string(size_t(indent), ' ') + it.key() + ":";
    if (it->is_object() && !it->empty()) {
      out += "\n";
      block(*it, indent + 2, out);
    } else {
      out.append(" ").append(flow(*it)).append("\n");  // appended: " " + ... trips GCC 12's -Wrestrict
    }
  }
}

// A swept value as it goes into the sweep list: as written, quoted when YAML would read a
// lone scalar otherwise, and absolute when it is a file the point resolved elsewhere.
std::string sweep_item(const std::string& written, const json* resolved) {
  if (resolved && resolved->is_string()) {
    const std::string r = resolved->get<std::string>();
    if (r != written && !r.empty() && r[0] == '/') return plain_ok(r) ? r : quoted(r);
  }
  if (written.empty()) return "\"\"";
  if (written[0] == '[' || written[0] == '{') return written;
  const bool unsafe = written.find_first_of(",[]{}#&*!|>'\"%@`") != std::string::npos ||
                      written.find(": ") != std::string::npos || written.front() == ' ' || written.back() == ' ' ||
                      written.front() == '-' || written.front() == '?' || written.front() == ':';
  return unsafe && !looks_numeric(written) ? quoted(written) : written;
}

}  // namespace

std::string resolved_yaml(const config::Experiment& exp, int seeds) {
  std::vector<const json*> trees;
  for (const auto& p : exp.points)
    if (p.resolved) trees.push_back(p.resolved);
  config::Point defaults_point;
  const json defaults = schema::to_json(defaults_point);
  auto swept = [&](const std::string& path) {
    for (const auto& s : exp.swept_paths)
      if (path == s || path.rfind(s + ".", 0) == 0 || s.rfind(path + ".", 0) == 0) return true;
    return false;
  };
  // Swept entries inside a map-valued key (workload.lock_params.k): the map's other entries
  // are still written, without the swept ones (the sweep list sets those).
  auto swept_inside = [&](const std::string& path) {
    std::vector<std::vector<std::string>> below;
    for (const auto& s : exp.swept_paths)
      if (s.rfind(path + ".", 0) == 0) below.push_back(config::split_path(s.substr(path.size() + 1)));
    return below;
  };

  // Every key in schema order, at point 0's value (or the default where points differ).
  ojson base = ojson::object();
  std::vector<std::string> derived;
  if (!trees.empty()) {
    for (const auto& k : schema::keys()) {
      if (!k.field) continue;
      if (const auto below = swept_inside(k.path); !below.empty() && k.type == schema::Type::IntMap) {
        const auto at0 = walk(trees[0], config::split_path(k.path));
        if (!at0.first || at0.second != config::split_path(k.path).size()) continue;
        json rest = *at0.first;
        for (const auto& sub : below) {  // drop each swept entry (and a map left empty by it)
          json* node = &rest;
          for (size_t i = 0; node && i + 1 < sub.size(); ++i)
            node = node->is_object() && node->contains(sub[i]) ? &(*node)[sub[i]] : nullptr;
          if (node && node->is_object()) node->erase(sub.back());
        }
        if (rest.is_object() && rest.empty()) continue;
        const std::vector<std::string> comps = config::split_path(k.path);
        ojson* node = &base;
        for (size_t i = 0; i + 1 < comps.size(); ++i) node = &(*node)[comps[i]];
        (*node)[comps.back()] = ojson::parse(rest.dump());
        continue;
      }
      if (swept(k.path)) continue;
      const std::vector<std::string> comps = config::split_path(k.path);
      // Not a structured binding: clang (the sanitizer build) cannot capture one in a lambda.
      const auto first = walk(trees[0], comps);
      const json* value = first.first;
      const size_t depth = first.second;
      if (!value || depth == 0) continue;
      const std::vector<std::string> at(comps.begin(), comps.begin() + long(depth));
      std::string at_path;
      for (const auto& c : at) at_path += (at_path.empty() ? "" : ".") + c;
      if (swept(at_path)) continue;
      const bool varies = std::any_of(trees.begin() + 1, trees.end(), [&](const json* t) {
        const auto [v, d] = walk(t, at);
        return !v || d != depth || *v != *value;
      });
      if (varies) {
        const auto [dv, dd] = walk(&defaults, at);
        if (!dv || dd != depth) continue;
        value = dv;
        derived.push_back(at_path);
      }
      ojson* node = &base;
      for (size_t i = 0; i + 1 < at.size(); ++i) node = &(*node)[at[i]];
      if (!node->contains(at.back())) (*node)[at.back()] = ojson::parse(value->dump());
    }
  }

  std::string out;
  out += "# lockstep: the resolved experiment '" + exp.name + "', " + std::to_string(exp.points.size()) +
         " point(s).\n# Every key with the value it was run with (extends:, --set, --seed and defaults applied);\n"
         "# `lockstep run THIS_FILE -o DIR` runs the same points again.\n";
  if (seeds > 1)
    out += "# It was run with --seeds " + std::to_string(seeds) + ": add that option to get the same seed runs.\n";
  if (!derived.empty()) {
    std::string names;
    for (const auto& d : derived) names += (names.empty() ? "" : ", ") + d;
    out += "# Derived per point, so left at the default here: " + names + ".\n";
  }
  block(base, 0, out);

  if (!exp.swept_paths.empty()) {
    out += "sweep:\n";
    // The grid's strides (the last path varies fastest), to find a value's first point.
    const size_t dims = exp.swept_paths.size();
    std::vector<std::vector<std::string>> lists = exp.sweep_values;
    if (lists.size() != dims) {  // an Experiment built by hand: the values in order of appearance
      lists.assign(dims, {});
      for (const auto& p : exp.points)
        for (size_t d = 0; d < dims; ++d) {
          const std::string v = [&] {
            for (const auto& [k, val] : p.swept)
              if (k == exp.swept_paths[d]) return val;
            return std::string();
          }();
          if (std::find(lists[d].begin(), lists[d].end(), v) == lists[d].end()) lists[d].push_back(v);
        }
    }
    std::vector<size_t> stride(dims, 1);
    for (size_t d = dims - 1; d-- > 0;) stride[d] = stride[d + 1] * std::max<size_t>(1, lists[d + 1].size());
    for (size_t d = 0; d < dims; ++d) {
      const std::vector<std::string> comps = config::split_path(exp.swept_paths[d]);
      const schema::Key* key = schema::find(exp.swept_paths[d]);
      const bool is_file = key && (key->type == schema::Type::Lock || key->type == schema::Type::Protocol);
      out += "  " + exp.swept_paths[d] + ": [";
      for (size_t j = 0; j < lists[d].size(); ++j) {
        const size_t index = j * stride[d];
        const json* resolved = nullptr;
        if (is_file && index < exp.points.size() && exp.points[index].resolved) {
          const auto [v, depth] = walk(exp.points[index].resolved, comps);
          if (depth == comps.size()) resolved = v;
        }
        out += (j ? ", " : "") + sweep_item(lists[d][j], resolved);
      }
      out += "]\n";
    }
  }
  return out;
}

}  // namespace lockstep::output

#include "config/loader.hpp"

#include <cctype>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "common/embedded.hpp"
#include "common/error.hpp"
#include "common/input_file.hpp"
#include "common/limits.hpp"
#include "config/schema.hpp"
#include "config/tree.hpp"

namespace lockstep::config {

namespace fs = std::filesystem;
using tree::Entry;
using tree::Loc;
using tree::Val;
using tree::fail;

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t dot; (dot = path.find('.', start)) != std::string::npos; start = dot + 1)
    out.push_back(path.substr(start, dot - start));
  out.push_back(path.substr(start));
  return out;
}

namespace {

std::string join_path(const std::string& prefix, const std::string& key) {
  return prefix.empty() ? key : prefix + "." + key;
}

std::string unknown_key(const std::string& prefix, const std::string& key, const std::vector<std::string>& candidates,
                        const std::string& where = "") {
  std::vector<std::string> near = nearest_all(key, candidates);
  std::string msg = "unknown key '" + join_path(prefix, key) + "'" + where;
  if (!near.empty()) {
    // Every equally close key is named: "corse" is one edit from both "cores" and "core".
    std::string all;
    for (size_t i = 0; i < near.size(); ++i)
      all += std::string(i == 0 ? "" : i + 1 == near.size() ? " or " : ", ") + "'" + join_path(prefix, near[i]) + "'";
    return msg + " (did you mean " + all + "?)";
  }
  // A short list helps; the whole schema does not fit in a message.
  if (candidates.size() > 12) return msg + " (see docs/config.md for the keys)";
  std::string all;
  for (size_t i = 0; i < candidates.size(); ++i) all += (i ? ", " : "") + candidates[i];
  return msg + " (valid keys: " + all + ")";
}


struct ChainLink {
  std::string canonical;  // to recognise a file reached twice
  std::string shown;      // as the messages name it
};

fs::path canonical_of(const std::string& file) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(file), ec);
  return ec ? fs::absolute(file).lexically_normal() : p;
}

// extends: NAME is a built-in machine preset (configs/machines/NAME.yaml, compiled in), so
// it works from any folder; anything else is a path relative to the extending file. Inside a
// built-in preset, extends names another preset (bus32's `extends: bus16.yaml`).
void resolve_extends(const std::string& file, const Val& target, std::string& base_file, std::string& base_text) {
  const auto& presets = embedded::machines();
  const std::string& t = target.text;
  const std::string stem = fs::path(t).stem().string();
  const bool bare = t.find('/') == std::string::npos && fs::path(t).extension().empty();
  const bool from_builtin = file.rfind("builtin:", 0) == 0;
  if (bare || from_builtin) {
    if (auto it = presets.find(from_builtin ? stem : t); it != presets.end()) {
      base_file = "builtin:" + it->first;
      base_text = it->second;
      return;
    }
  }
  base_file = (fs::path(from_builtin ? "" : file).parent_path() / t).lexically_normal().string();
  if (!from_builtin) {
    const std::string why = read_input_file(base_file, base_text);
    if (why.empty()) return;
    std::error_code ec;
    if (fs::exists(base_file, ec)) fail(target.loc, "extends: '" + base_file + "' " + why);  // a folder, too large...
  }
  std::vector<std::string> names;
  for (const auto& [name, text] : presets) names.push_back(name);
  std::string msg = "extends: '" + base_file + "' cannot be opened (no such file, or no permission)";
  if (presets.count(stem)) {
    msg += " (for the built-in preset write `extends: " + stem + "`)";
  } else if (bare) {
    msg = "extends: '" + t + "' is neither a built-in machine preset nor a file next to this one";
    if (const std::string near = nearest(t, names); !near.empty()) msg += " (did you mean '" + near + "'?)";
    msg += "; lockstep list machines shows the presets";
  }
  fail(target.loc, msg);
}

// One file with its extends: chain merged underneath, top level checked to be a map.
Val load_tree(const std::string& text, const std::string& file, std::vector<ChainLink>& chain) {
  Val v = tree::parse(text, file);
  if (v.kind == Val::Kind::Null) {
    v.kind = Val::Kind::Map;   // an empty file is an empty experiment
    v.loc = Loc{file, 1, 1};
  }
  if (!v.is_map()) fail(v.loc, "expected a map of settings (key: value) at the top level, got " + tree::describe(v));
  Entry* ext = v.find("extends");
  if (!ext) return v;
  const Val& target = ext->val;
  if (target.kind != Val::Kind::Scalar || target.text.empty())
    fail(target.loc, "extends: expected a path to a YAML file, got " + tree::describe(target));
  std::string base_file, base_text;
  resolve_extends(file, target, base_file, base_text);
  std::string canon = canonical_of(base_file).string();
  for (const auto& link : chain) {
    if (link.canonical != canon) continue;
    std::string cycle;
    for (const auto& l : chain) cycle += l.shown + " -> ";
    fail(target.loc, "extends cycle: " + cycle + base_file);
  }
  chain.push_back({canon, base_file});
  Val base = load_tree(base_text, base_file, chain);
  chain.pop_back();
  v.erase("extends");
  tree::merge(base, v);
  return base;
}

// Puts `value` at the dotted `path` of the tree (merging, as a file higher in the extends:
// chain would), creating the sections on the way.
void place(Val& root, const std::vector<std::string>& path, const Val& value, const Loc& key_loc) {
  Val* at = &root;
  for (size_t i = 0; i < path.size(); ++i) {
    if (!at->is_map()) {
      *at = Val{};
      at->kind = Val::Kind::Map;
      at->loc = key_loc;
    }
    Entry* e = at->find(path[i]);
    if (!e) {
      Val fresh;
      if (i + 1 < path.size()) {
        fresh.kind = Val::Kind::Map;
        fresh.loc = key_loc;
      }
      at->entries.push_back(Entry{path[i], key_loc, fresh});
      e = &at->entries.back();
    }
    if (i + 1 == path.size()) {
      if (e->val.kind == Val::Kind::Null) e->val = value;
      else tree::merge(e->val, value);
      e->key_loc = key_loc;
      return;
    }
    at = &e->val;
  }
}

Val* sweep_of(Val& root) {
  Entry* e = root.find("sweep");
  return e ? &e->val : nullptr;
}

void apply_sets(Val& root, const std::vector<std::string>& sets) {
  const Loc here{"--set", 0, 0};
  for (const auto& s : sets) {
    size_t eq = s.find('=');
    if (eq == std::string::npos || eq == 0) fail(here, "expected path=value, got '" + s + "'");
    std::string path = s.substr(0, eq);
    Val value = tree::parse(s.substr(eq + 1), "--set", &here);
    if (path == "sweep" || path.compare(0, 6, "sweep.") == 0) {
      std::string swept = path == "sweep" ? "" : path.substr(6);
      if (!swept.empty() && !schema::settable(swept, false)) {
        std::vector<std::string> cands;
        for (const auto& p : schema::settable_paths(false)) cands.push_back("sweep." + p);
        fail(here, unknown_key("", path, cands));
      }
      // A sweep key is itself a dotted path, so it is one map key under sweep:.
      std::vector<std::string> at{"sweep"};
      if (!swept.empty()) at.push_back(swept);
      place(root, at, value, here);
      continue;
    }
    if (!schema::settable(path, true)) {
      if (path == "extends") fail(here, "extends cannot be set from the command line");
      fail(here, unknown_key("", path, schema::settable_paths(true)));
    }
    place(root, split_path(path), value, here);
    // The command line wins over the file: a path set here is no longer swept.
    if (Val* sw = sweep_of(root); sw && sw->is_map()) sw->erase(path);
  }
}

struct Dimension {
  std::string path;
  std::vector<std::string> comps;
  const Val* values;
};

std::vector<Dimension> check_sweep(const Val* sweep) {
  std::vector<Dimension> dims;
  if (!sweep || sweep->kind == Val::Kind::Null) return dims;
  if (!sweep->is_map()) fail(sweep->loc, "sweep: expected a map of dotted path: [values], got " + tree::describe(*sweep));
  for (const auto& e : sweep->entries) {
    if (const schema::Key* k = schema::find(e.key); k && !schema::settable(e.key, false))
      fail(e.key_loc, "sweep: '" + e.key + "' cannot be swept");
    if (e.key == "name" || e.key == "output.dir") fail(e.key_loc, "sweep: '" + e.key + "' cannot be swept");
    if (!e.key.empty() && schema::is_section(e.key)) {
      std::string first = e.key + "." + schema::children(e.key).front();
      while (!schema::find(first)) first += "." + schema::children(first).front();
      fail(e.key_loc, "sweep: '" + e.key + "' is a section; sweep one of its keys, e.g. '" + first + "'");
    }
    if (!schema::settable(e.key, false)) fail(e.key_loc, unknown_key("", e.key, schema::settable_paths(false), " in sweep"));
    if (e.val.kind != Val::Kind::Seq)
      fail(e.val.loc, "sweep '" + e.key + "': expected a list of values, e.g. [2, 4, 8], got " + tree::describe(e.val));
    if (e.val.items.empty()) fail(e.val.loc, "sweep '" + e.key + "' is an empty list");
    dims.push_back({e.key, split_path(e.key), &e.val});
  }
  return dims;
}

std::string sanitise(const std::string& s) {
  std::string out = s;
  for (auto& c : out) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
    if (!ok) c = '-';
  }
  return out;
}

using Locs = std::map<std::string, Loc>;

void walk(const Val& m, const std::string& prefix, Point& p, Locs& locs, const std::string& exp_dir) {
  for (const auto& e : m.entries) {
    std::string full = join_path(prefix, e.key);
    if (const schema::Key* k = schema::find(full)) {
      schema::apply(*k, e.val, p, exp_dir);
      locs[full] = e.val.loc;
      if (full == "workload.lock_params" && e.val.is_map())  // the lock's parameters are checked when it is assembled
        for (const auto& pe : e.val.entries) {
          std::string at = located(pe.key_loc.file, pe.key_loc.line, pe.key_loc.col, "");
          p.lock_param_locs[pe.key] = at.substr(0, at.size() - 2);  // without the ": "
        }
    } else if (full == "machine.llc" && e.val.kind == Val::Kind::Scalar) {
      // `llc: none` leaves the shared LLC out (the model before it existed).
      if (e.val.text != "none")
        fail(e.val.loc, "machine.llc: expected none or a map of settings (size_kib, assoc, hit_cycles, banks, "
                        "bank_occupancy_cycles, inclusive), got '" + e.val.text + "'");
      p.machine.llc.enabled = false;
      locs[full] = e.val.loc;
    } else if (schema::is_section(full)) {
      if (e.val.kind == Val::Kind::Null) continue;
      if (full == "machine.llc") p.machine.llc.enabled = true;
      if (!e.val.is_map()) fail(e.val.loc, full + ": expected a map of settings, got " + tree::describe(e.val));
      walk(e.val, full, p, locs, exp_dir);
    } else {
      fail(e.key_loc, unknown_key(prefix, e.key, schema::children(prefix)));
    }
  }
}

bool power_of_two(int64_t x) { return x > 0 && (x & (x - 1)) == 0; }

// Checks that tie several keys together. Each error points at the key most likely to be the
// one to change, or at the experiment file when every key involved has its default.
void cross_check(Point& p, const Locs& locs, const std::string& file, const std::string& in_point) {
  auto at = [&](std::initializer_list<const char*> paths) {
    // A key given on the command line is the one the user just changed: blame --set first.
    for (const char* path : paths)
      if (auto it = locs.find(path); it != locs.end() && it->second.file == "--set") return it->second;
    for (const char* path : paths)
      if (auto it = locs.find(path); it != locs.end()) return it->second;
    return Loc{file, 0, 0};
  };
  auto& l1 = p.machine.l1;
  if (!power_of_two(l1.line_bytes))
    fail(at({"machine.l1.line_bytes"}),
         "machine.l1.line_bytes: " + std::to_string(l1.line_bytes) + " is not a power of two (8..4096)" + in_point);
  int64_t bytes = int64_t{l1.size_kib} * 1024, set_bytes = int64_t{l1.line_bytes} * l1.assoc;
  if (bytes % set_bytes != 0 || !power_of_two(bytes / set_bytes)) {
    char sets[32];
    std::snprintf(sets, sizeof sets, "%.4g", static_cast<double>(bytes) / static_cast<double>(set_bytes));
    fail(at({"machine.l1.assoc", "machine.l1.size_kib", "machine.l1.line_bytes"}),
         "machine.l1: size_kib " + std::to_string(l1.size_kib) + " with line_bytes " + std::to_string(l1.line_bytes) +
             " and assoc " + std::to_string(l1.assoc) + " gives " + sets +
             " sets; size_kib*1024 / (line_bytes*assoc) must be a power of two" + in_point);
  }
  if (const auto& llc = p.machine.llc; llc.enabled) {
    int64_t lbytes = int64_t{llc.size_kib} * 1024, lset = int64_t{l1.line_bytes} * llc.assoc;
    if (lbytes % lset != 0)
      fail(at({"machine.llc.assoc", "machine.llc.size_kib", "machine.llc"}),
           "machine.llc: size_kib " + std::to_string(llc.size_kib) + " with line_bytes " + std::to_string(l1.line_bytes) +
               " and assoc " + std::to_string(llc.assoc) + " is not a whole number of sets" + in_point);
  }
  const auto& out = p.workload.outside;
  if (out.dist == "uniform" && out.min > out.max)
    fail(at({"workload.outside.min", "workload.outside.max"}),
         "workload.outside: min (" + std::to_string(out.min) + ") is greater than max (" + std::to_string(out.max) + ")" +
             in_point);
  const auto& m = p.machine;
  if (m.coherence == "snoop" && m.interconnect.topology != "bus")
    fail(at({"machine.interconnect.topology", "machine.coherence"}),
         "machine.coherence snoop needs machine.interconnect.topology bus (got " + m.interconnect.topology +
             "); a network needs coherence: directory" + in_point);
  if (m.coherence == "directory" && m.interconnect.topology == "bus")
    fail(at({"machine.coherence", "machine.interconnect.topology"}),
         "machine.coherence directory needs a network topology (crossbar, ring, mesh, numa or custom), not bus" +
             in_point);
  // Derived values written into the point, so the resolved config (stats.json) shows them:
  // a mesh with width and height 0 (or one of them) gets the shape the network builds, the
  // most square one (interconnect/topologies.cpp, mesh_shape, which checks the rest).
  if (auto& ic = p.machine.interconnect; ic.topology == "mesh" && m.cores > 0 && ic.width >= 0 && ic.height >= 0) {
    if (ic.width == 0 && ic.height == 0) {
      for (int d = 1; d * d <= m.cores; ++d)
        if (m.cores % d == 0) ic.height = d;
      ic.width = m.cores / ic.height;
    } else if (ic.width == 0 && m.cores % ic.height == 0) {
      ic.width = m.cores / ic.height;
    } else if (ic.height == 0 && m.cores % ic.width == 0) {
      ic.height = m.cores / ic.width;
    }
  }
  // Likewise numa's cores_per_socket 0: cores / sockets when they divide (the network checks the rest).
  if (auto& ic = p.machine.interconnect; ic.topology == "numa" && ic.cores_per_socket == 0 && ic.sockets > 0 &&
                                         m.cores > 0 && m.cores % ic.sockets == 0)
    ic.cores_per_socket = m.cores / ic.sockets;
  // os.threads and workload.threads name one number; more threads than cores are scheduled by
  // the OS model (sim/os).
  if (p.os.threads > 0) {
    if (p.workload.threads > 0 && p.workload.threads != p.os.threads)
      fail(at({"os.threads", "workload.threads"}),
           "os.threads (" + std::to_string(p.os.threads) + ") and workload.threads (" + std::to_string(p.workload.threads) +
               ") differ: they are the same number, set one of them" + in_point);
    p.workload.threads = p.os.threads;
  }
  if (p.workload.threads == 0) p.workload.threads = m.cores;
  if (p.os.preemption.mean_interval_cycles > 0 && p.os.preemption.mean_duration_cycles == 0)
    fail(at({"os.preemption.mean_duration_cycles", "os.preemption.mean_interval_cycles"}),
         "os.preemption: mean_interval_cycles is set but mean_duration_cycles is 0 (a preemption must last)" + in_point);
}

}  // namespace

Experiment load_experiment_text(const std::string& yaml, const std::string& file, const LoadOptions& opt) {
  std::vector<ChainLink> chain{{canonical_of(file).string(), file}};
  Val root = load_tree(yaml, file, chain);
  apply_sets(root, opt.sets);
  if (opt.seed_given) {
    Val seed;
    seed.kind = Val::Kind::Scalar;
    seed.text = std::to_string(opt.seed);
    seed.loc = Loc{"--seed", 0, 0};
    place(root, {"seed"}, seed, seed.loc);
    if (Val* sw = sweep_of(root); sw && sw->is_map()) sw->erase("seed");
  }

  Val sweep;
  if (Entry* e = root.find("sweep")) {
    sweep = e->val;
    root.erase("sweep");
  }
  std::vector<Dimension> dims = check_sweep(&sweep);

  Experiment ex;
  ex.file = file;
  for (const auto& d : dims) {
    ex.swept_paths.push_back(d.path);
    auto& written = ex.sweep_values.emplace_back();
    for (const auto& v : d.values->items) written.push_back(tree::flow(v));
  }
  const std::string exp_dir = fs::absolute(fs::path(file)).parent_path().lexically_normal().string();

  // The product of the list lengths, refused before it overflows or fills the memory.
  const uint64_t max_points = limits::get(limits::Id::Points);
  size_t count = 1;
  for (const auto& d : dims) {
    uint64_t n = d.values->items.size();
    if (count > max_points / n) {
      uint64_t shown = count * n;   // no overflow: count <= max_points and n <= the YAML value limit
      fail(sweep.loc, "sweep: " + limits::exceeded(limits::Id::Points, "the grid (up to '" + d.path + "')", shown));
    }
    count *= n;
  }
  for (size_t index = 0; index < count; ++index) {
    // Mixed-radix digits of the index, the last sweep key varying fastest.
    std::vector<size_t> pick(dims.size());
    for (size_t i = dims.size(), rest = index; i-- > 0;) {
      pick[i] = rest % dims[i].values->items.size();
      rest /= dims[i].values->items.size();
    }
    Point p;
    p.index = static_cast<int>(index);
    p.base_dir = exp_dir;
    Val t = root;
    char prefix[24];
    std::snprintf(prefix, sizeof prefix, "%03zu", index);
    p.name = dims.empty() ? "default" : prefix;
    for (size_t i = 0; i < dims.size(); ++i) {
      const Val& v = dims[i].values->items[pick[i]];
      place(t, dims[i].comps, v, v.loc);
      std::string written = tree::flow(v);
      p.swept.emplace_back(dims[i].path, written);
      // Appended piece by piece: "_" + std::string(...) trips a GCC 12 -Wrestrict false positive.
      p.name.append("_").append(sanitise(dims[i].comps.back())).append("-").append(sanitise(written));
    }
    Locs locs;
    walk(t, "", p, locs, exp_dir);
    cross_check(p, locs, file, dims.empty() ? "" : " (point " + p.name + ")");
    ex.points.push_back(std::move(p));
    auto& kl = ex.key_locs.emplace_back();
    for (const auto& [path, l] : locs) kl[path] = KeyLoc{l.file, l.line, l.col};
  }

  // name and output.dir cannot be swept, so every point agrees on them.
  const Point& first = ex.points.front();
  ex.name = first.experiment_name.empty() ? fs::path(file).stem().string() : first.experiment_name;
  if (!opt.output_dir.empty()) ex.output_dir = opt.output_dir;
  else if (!first.output_dir.empty()) ex.output_dir = first.output_dir;
  else ex.output_dir = "results/local/" + ex.name;
  for (auto& p : ex.points) {
    p.experiment_name = ex.name;
    p.output_dir = ex.output_dir;
    ex.resolved.push_back(std::make_unique<nlohmann::json>(schema::to_json(p)));
    p.resolved = ex.resolved.back().get();
  }
  return ex;
}

Experiment load_experiment(const std::string& path, const LoadOptions& opt) {
  std::string text;
  if (std::string why = read_input_file(path, text); !why.empty())
    throw InputError(located(path, 0, 0, "the experiment file " + why));
  return load_experiment_text(text, path, opt);
}

std::string locate_error(const Experiment& ex, size_t point, const std::string& msg) {
  if (point >= ex.key_locs.size()) return msg;
  const auto& locs = ex.key_locs[point];
  // Already located ("file:12:3: ...", "builtin:ticket:3:1: ..."): leave it.
  if (size_t c = msg.find(": "); c != std::string::npos) {
    const std::string head = msg.substr(0, c);
    size_t a = head.rfind(':');
    if (a != std::string::npos && a + 1 < head.size() &&
        head.find_first_not_of("0123456789", a + 1) == std::string::npos)
      return msg;
  }
  auto is_word = [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '.'; };
  auto mentioned_at = [&](const std::string& word) {
    for (size_t at = msg.find(word); at != std::string::npos; at = msg.find(word, at + 1)) {
      bool left = at == 0 || !is_word(msg[at - 1]);
      bool right = at + word.size() >= msg.size() || !is_word(msg[at + word.size()]) ||
                   (msg[at + word.size()] == '.' && (at + word.size() + 1 >= msg.size() || msg[at + word.size() + 1] == ' '));
      if (left && right) return at;
    }
    return std::string::npos;
  };
  const KeyLoc* best = nullptr;
  size_t best_at = std::string::npos, best_len = 0;
  for (const auto& [path, l] : locs) {
    std::vector<std::string> forms{path};
    if (size_t dot = path.find('.'); dot != std::string::npos) forms.push_back(path.substr(dot + 1));
    for (const auto& f : forms) {
      // Only dotted names: a bare "cores" or "lock" in a sentence is not a key reference.
      if (f.find('.') == std::string::npos) continue;
      size_t at = mentioned_at(f);
      if (at == std::string::npos) continue;
      if (at < best_at || (at == best_at && f.size() > best_len)) {
        best = &l;
        best_at = at;
        best_len = f.size();
      }
    }
  }
  // No key named: the section the message is about ("interconnect mesh ...", "unknown lock").
  if (!best) {
    static const std::pair<const char*, const char*> kSections[] = {
        {"interconnect", "machine.interconnect."}, {"lock", "workload.lock"},  {"protocol", "machine.protocol"},
        {"directory", "machine.directory."},       {"l1", "machine.l1."},      {"cores", "machine.cores"},
    };
    for (const auto& [word, prefix] : kSections) {
      if (mentioned_at(word) == std::string::npos) continue;
      // A key given with --set is the latest change, so it is the likeliest cause.
      for (const auto& [path, l] : locs)
        if (path.compare(0, std::strlen(prefix), prefix) == 0 && (!best || l.file == "--set")) best = &l;
      if (best) break;
    }
  }
  if (!best) return located(ex.file, 0, 0, msg);
  return located(best->file, best->line, best->col, msg);
}

std::vector<std::string> schema_keys() { return schema::documented_paths(); }

std::string schema_markdown() { return schema::markdown(); }

}  // namespace lockstep::config

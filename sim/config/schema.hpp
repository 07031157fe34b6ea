// The one table of every experiment key (DESIGN.md §5 "Experiment YAML"): dotted path, type,
// range or allowed values, one-line doc, and where the value lands in a Point. Validation,
// defaults (read from the structs of config.hpp, so they cannot drift), --set paths, sweep
// paths, the resolved JSON and docs/config.md's key table all come from here.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "config/tree.hpp"

namespace lockstep::config::schema {

enum class Type {
  Int, Float, Bool, String,
  Enum,       // one of `choices` (case-insensitive; stored as spelled in `choices`)
  Protocol,   // MSI | MESI | MOESI | MESIF, or a path to a protocol table
  Lock,       // a built-in lock name, or a path to a .lock file
  Home,       // interleaved | node:N
  IntMap,     // name: integer
  IntList,    // [integer, ...]
  Edges,      // [{from, to, latency_cycles, bandwidth_bytes}, ...]
  Extends,    // handled by the loader before validation
  Sweep,      // handled by the loader before validation
};

using FieldRef = std::variant<std::monostate, int*, int64_t*, uint64_t*, double*, bool*, std::string*,
                              std::map<std::string, int64_t>*, std::vector<int>*, std::vector<EdgeCfg>*>;

struct Key {
  std::string path;                    // dotted: "machine.l1.size_kib"
  Type type;
  FieldRef (*field)(Point&);           // where the value lands; nullptr for extends/sweep
  double lo, hi;                       // inclusive range (Int, Float, IntList elements)
  std::vector<std::string> choices;    // Enum
  std::string doc;
  std::string default_text;            // shown instead of the struct default when not ""
};

const std::vector<Key>& keys();
const Key* find(const std::string& path);
bool is_section(const std::string& path);                    // "machine", "machine.l1", ...
std::vector<std::string> children(const std::string& section);  // names directly under it

// A path --set may name: a key, a section (when allow_sections), or NAME under an IntMap key
// ("workload.lock_params.backoff"). Sweeps use the same rule without sections.
bool settable(const std::string& path, bool allow_sections);
// All such paths (for suggesting the nearest one).
std::vector<std::string> settable_paths(bool allow_sections);

// Checks `v` against `key` and stores it in `p`. Errors are "file:line:col: path: ..." at
// v's location. Paths (protocol tables, .lock files) are resolved against the folder of the
// file the value was written in, or `exp_dir` for values from the command line.
void apply(const Key& key, const tree::Val& v, Point& p, const std::string& exp_dir);

// Every key of the schema with its value in `p` (sweep and extends left out).
nlohmann::json to_json(Point& p);

std::string markdown();
// Every documented path: the keys, plus the fields of one edge as "...edges[].from".
std::vector<std::string> documented_paths();

}  // namespace lockstep::config::schema

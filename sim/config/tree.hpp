// The loader's own copy of a YAML document: a small tree in which every value and every map
// key remembers the file, line and column it was written at. yaml-cpp nodes share storage
// and cannot be merged across files without losing where a value came from, so the loader
// converts each file once and then merges, overrides and sweeps on this tree; any error found
// later can still name the file (an extended one, or "--set") where the bad value is.
#pragma once
#include <string>
#include <vector>

namespace lockstep::config::tree {

struct Loc {
  std::string file;
  int line = 0, col = 0;   // 1-based; 0 = no position (e.g. values given with --set)
};

struct Entry;

struct Val {
  enum class Kind { Null, Scalar, Seq, Map };
  Kind kind = Kind::Null;
  std::string text;              // Scalar: the text as written
  std::vector<Val> items;        // Seq
  std::vector<Entry> entries;    // Map, in file order
  Loc loc;

  bool is_map() const { return kind == Kind::Map; }
  Entry* find(const std::string& key);
  const Entry* find(const std::string& key) const;
  // Removes the entry `key` of a map; returns whether it was there.
  bool erase(const std::string& key);
};

struct Entry {
  std::string key;
  Loc key_loc;
  Val val;
};

// Parses YAML text; `file` is used in the locations. Malformed YAML, a duplicate key or a
// non-scalar key throws InputError "file:line:col: ...". Marks given here are 1-based.
// When `fixed` is set, every location is `fixed` instead (values parsed from --set).
Val parse(const std::string& text, const std::string& file, const Loc* fixed = nullptr);

// Lays `over` on top of `base`: maps merge key by key (recursively), anything else replaces.
// A null over a map leaves the map alone, so an empty section ("machine:") changes nothing.
void merge(Val& base, const Val& over);

// The value written back as one line of flow YAML ("8", "[2, 4]", "{backoff: 8}").
std::string flow(const Val& v);

// Throws InputError "file:line:col: msg" at `at`.
[[noreturn]] void fail(const Loc& at, const std::string& msg);

// How a value is described in a type error: "'abc'", "a list", "a map", "nothing".
std::string describe(const Val& v);

}  // namespace lockstep::config::tree

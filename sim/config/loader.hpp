// Loads an experiment: YAML file -> extends: merged underneath -> --set applied -> sweep
// expanded -> each point validated against the schema (unknown keys are errors naming the
// nearest valid key; every error is "file:line:col: message", thrown as InputError).
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.hpp"

namespace lockstep::config {

struct LoadOptions {
  std::vector<std::string> sets;   // "path=value" from --set (value parsed as YAML scalar/flow)
  bool seed_given = false;         // --seed overrides seed:
  uint64_t seed = 1;
  std::string output_dir;          // -o overrides output.dir ("" = keep)
};

// Where a key's value was written (file "--set" for the command line, line 0 there).
struct KeyLoc {
  std::string file;
  int line = 0, col = 0;
};

struct Experiment {
  std::string name;
  std::string file;
  std::vector<std::string> swept_paths;   // sweep keys in file order (summary.csv columns)
  std::vector<std::vector<std::string>> sweep_values;  // per swept path, its list as written (flow YAML)
  std::vector<Point> points;
  std::vector<std::unique_ptr<nlohmann::json>> resolved;  // one per point, Point::resolved points here
  std::string output_dir;                 // output.dir after -o (default results/local/<name>)
  std::vector<std::map<std::string, KeyLoc>> key_locs;  // per point: dotted key -> where it was set
};

// An error found after loading (building a point's machine, assembling its lock) located at
// the key that caused it: the first key of the point named in `msg` ("interconnect.width",
// "machine.directory.home", ...; "machine."/"workload." may be left out), else a key of the
// section the message is about, else the experiment file. A message that already starts
// with a location is returned as it is.
std::string locate_error(const Experiment& ex, size_t point, const std::string& msg);

// "machine.l1.size_kib" -> {"machine", "l1", "size_kib"}: the one splitter of dotted key paths.
std::vector<std::string> split_path(const std::string& path);

Experiment load_experiment(const std::string& path, const LoadOptions& opt = {});
// Same from text (tests); `file` is used in messages and to resolve extends:.
Experiment load_experiment_text(const std::string& yaml, const std::string& file, const LoadOptions& opt = {});

// The key table of docs/config.md (markdown: key, type, default, allowed values, description).
std::string schema_markdown();
// Every documented dotted key, in schema order ("machine.cores", ...; edge fields as
// "machine.interconnect.edges[].from").
std::vector<std::string> schema_keys();

}  // namespace lockstep::config

// Loads an experiment: YAML file -> extends: merged underneath -> --set applied -> sweep
// expanded -> each point validated against the schema (unknown keys are errors naming the
// nearest valid key; every error is "file:line:col: message", thrown as InputError).
#pragma once
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

struct Experiment {
  std::string name;
  std::string file;
  std::vector<std::string> swept_paths;   // sweep keys in file order (summary.csv columns)
  std::vector<Point> points;
  std::vector<std::unique_ptr<nlohmann::json>> resolved;  // one per point, Point::resolved points here
  std::string output_dir;                 // output.dir after -o (default results/local/<name>)
};

Experiment load_experiment(const std::string& path, const LoadOptions& opt = {});
// Same from text (tests); `file` is used in messages and to resolve extends:.
Experiment load_experiment_text(const std::string& yaml, const std::string& file, const LoadOptions& opt = {});

// The key table of docs/config.md (markdown: key, type, default, allowed values, description).
std::string schema_markdown();
// Every documented dotted key, in schema order ("machine.cores", ...; edge fields as
// "machine.interconnect.edges[].from").
std::vector<std::string> schema_keys();

}  // namespace lockstep::config

// Limits that protect the host from inputs that are legal in form but would take more memory
// or time than any study needs (a YAML alias bomb, a sweep of 10^12 points, `run /dev/zero`).
// Each has a default, a name, and an environment variable that raises it; an input over a
// limit is an InputError (exit 2) whose message names the limit and how to raise it.
#pragma once
#include <cstdint>
#include <string>

namespace lockstep::limits {

enum class Id {
  InputBytes,     // size of one input file (experiment, extends:, .lock, .table)
  YamlValues,     // values in one YAML document after aliases are expanded
  Points,         // points of one experiment (the product of the sweep lists)
  SimMemoryMiB,   // simulated memory one point may address: the lock's arena and the CS lines
  Cores,          // machine.cores, check protocol --cores
};

struct Info {
  const char* what;     // "input file size", ...
  const char* unit;     // "bytes", "values", ...
  const char* env;      // LOCKSTEP_MAX_...
  uint64_t fallback;    // the default
};

const Info& info(Id id);
// The limit in force: the environment variable when set (a positive integer), else the default.
uint64_t get(Id id);
// "<subject> is N <unit>, over the limit of M (<what>; raise it with ENV=N)".
std::string exceeded(Id id, const std::string& subject, uint64_t value);

}  // namespace lockstep::limits

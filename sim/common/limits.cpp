#include "common/limits.hpp"

#include <cstdlib>

#include "common/error.hpp"

namespace lockstep::limits {

namespace {
const Info kInfo[] = {
    {"input file size", "bytes", "LOCKSTEP_MAX_INPUT_BYTES", uint64_t{16} << 20},
    {"YAML values after alias expansion", "values", "LOCKSTEP_MAX_YAML_VALUES", 200'000},
    {"points per experiment", "points", "LOCKSTEP_MAX_POINTS", 100'000},
    {"simulated memory per point", "MiB", "LOCKSTEP_MAX_SIM_MEMORY_MIB", 1024},
    {"simulated cores", "cores", "LOCKSTEP_MAX_CORES", 4096},
};
}  // namespace

const Info& info(Id id) { return kInfo[static_cast<int>(id)]; }

uint64_t get(Id id) {
  const Info& i = info(id);
  const char* env = std::getenv(i.env);
  if (!env || !*env) return i.fallback;
  char* end = nullptr;
  unsigned long long v = std::strtoull(env, &end, 10);
  if (*end || v == 0 || env[0] == '-')
    throw InputError(std::string(i.env) + ": expected a positive integer, got '" + env + "'");
  return v;
}

std::string exceeded(Id id, const std::string& subject, uint64_t value) {
  const Info& i = info(id);
  return subject + (subject.empty() ? "is " : " is ") + std::to_string(value) + " " + i.unit + ", over the limit of " + std::to_string(get(id)) +
         " (" + i.what + "; raise it with " + i.env + "=N)";
}

}  // namespace lockstep::limits

// libFuzzer target: the experiment loader (YAML -> tree -> schema -> sweep -> points). Any
// input either loads or is refused with InputError; nothing else may escape, and a loaded
// experiment's resolved config must serialise (valid UTF-8, no exception from the JSON).
#include <cstdint>
#include <string>

#include "common/error.hpp"
#include "config/loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    // extends: paths resolve next to a file that does not exist: they are refused, not read.
    lockstep::config::Experiment ex = lockstep::config::load_experiment_text(text, "/nonexistent/fuzz.yaml");
    for (const auto& r : ex.resolved) (void)r->dump();
  } catch (const lockstep::InputError&) {
  }
  return 0;
}

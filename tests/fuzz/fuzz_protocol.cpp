// libFuzzer target: the protocol table parser (protocols/*.table). Any input either parses
// or is refused with InputError; a table that parses has controllers whose transitions
// name only states, events and actions it declared.
#include <cstdint>
#include <string>

#include "coherence/protocol.hpp"
#include "common/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const auto proto = lockstep::coherence::parse_protocol(text, "fuzz.table");
    for (const auto& [kind, c] : proto.controllers) {
      if (c.states.empty() || !c.events || !c.actions || c.table.size() != c.states.size() * c.events->size())
        __builtin_trap();
      for (const auto& t : c.table) {
        if (t.next < -1 || t.next >= int(c.states.size())) __builtin_trap();
        for (uint8_t a : t.actions)
          if (a >= c.actions->size()) __builtin_trap();
      }
    }
  } catch (const lockstep::InputError&) {
  }
  return 0;
}

// What an L1 controller needs from the core it serves. The controller never decides what
// an access does to the data: the table's `hit` action hands the line to the core.
#pragma once
#include <cstdint>

namespace lockstep::coherence {

class MemClient {
 public:
  virtual ~MemClient() = default;
  // The table said `hit`: perform the pending access on this line's bytes, now.
  virtual void perform(uint8_t* line_data) = 0;
  // The pending access finished after a miss; the core may continue at the current cycle.
  virtual void miss_done() = 0;
  // A line of this L1 changed state because of another cache (snoop, invalidation) or an
  // eviction: wakes a spin that fast-forward put to sleep, clears an LL/SC monitor.
  virtual void line_changed(uint64_t line, bool lost_copy) = 0;
};

}  // namespace lockstep::coherence

// A core's interrupt state (DESIGN.md §3: the interrupt state — enabled, pending — belongs to
// the core; a handler runs as a context pushed on the core). docs/model.md "Interrupts".
//
// Sources (machine.interrupts): a periodic timer per core, its phase staggered by core, and a
// device interrupt per core arriving as a seeded Poisson process. Their raise cycles are known
// in advance, so a core that runs ahead of the engine inline still sees each raise at the
// first micro-op boundary at or after it. A raise while interrupts are off (or while a
// handler runs) stays pending until the boundary after they come back on.
#pragma once
#include <cstdint>
#include <deque>

#include "common/splitmix.hpp"
#include "config/config.hpp"
#include "engine/engine.hpp"
#include "isa/program.hpp"
#include "stats/stats.hpp"

namespace lockstep::cpu {

enum class IrqKind : uint8_t { Timer, Device };
const char* irq_name(IrqKind k);  // "timer" | "device"

// The raise cycles of one core's interrupts, in order (timer and device merged).
class IrqSchedule {
 public:
  IrqSchedule() = default;
  IrqSchedule(const config::InterruptsCfg& c, int core, int cores, uint64_t seed);
  bool any() const { return timer_ != kNever || device_ != kNever; }
  Cycle next() const { return timer_ < device_ ? timer_ : device_; }
  IrqKind next_kind() const { return timer_ <= device_ ? IrqKind::Timer : IrqKind::Device; }
  void pop();  // drops next()

  static constexpr Cycle kNever = UINT64_MAX;

 private:
  Cycle draw_gap();
  Cycle timer_ = kNever, device_ = kNever;
  Cycle period_ = 0;
  double mean_gap_ = 0;  // device: mean cycles between raises
  SplitMix64 rng_;
};

struct IrqPending {
  IrqKind kind;
  uint64_t id;
  Cycle raised;
};

// What the machine gives a core for its interrupts.
struct IrqSetup {
  config::InterruptsCfg cfg;
  const isa::Program* lock = nullptr;       // handler_takes_lock: the workload's lock
  uint64_t arena_base = 0;
  const isa::Program* body[2] = {nullptr, nullptr};  // the handler's own cycles, per IrqKind
  int handler_tid = 0;                      // the handler's `tid` (.percpu slot): threads + core
  int cores = 1;
  uint64_t seed = 1;
};

// A handler's own work: `work N; ret` (just `ret` for 0 cycles), file "harness:irq_handler".
isa::Program irq_handler_program(IrqKind k, int64_t cycles);

// The state a core keeps: enable flag, preempt count, pending interrupts, the raise schedule.
struct IrqState {
  bool enabled = true;
  int64_t preempt = 0;
  IrqSchedule due;              // raises not yet seen at a boundary
  IrqSchedule events;           // raises not yet scheduled as wake-up events
  std::deque<IrqPending> pending;
  uint64_t next_id = 1;
  bool in_handler = false;
  stats::IrqCore ctr;
};

}  // namespace lockstep::cpu

#include "cpu/irq.hpp"

#include <cmath>

namespace lockstep::cpu {

const char* irq_name(IrqKind k) { return k == IrqKind::Timer ? "timer" : "device"; }

IrqSchedule::IrqSchedule(const config::InterruptsCfg& c, int core, int cores, uint64_t seed) {
  if (c.timer_period_cycles > 0) {
    period_ = Cycle(c.timer_period_cycles);
    // Staggered phases, so the cores' timers do not all fire in the same cycle.
    timer_ = period_ + period_ * Cycle(core) / Cycle(cores > 0 ? cores : 1);
  }
  if (c.device_rate_per_mcycle > 0) {
    mean_gap_ = 1e6 / c.device_rate_per_mcycle;
    rng_.s = seed * 0xd1b54a32d192ed03ULL + uint64_t(core) * 2 + 1;
    device_ = draw_gap();
  }
}

// Exponential gaps (a Poisson process), whole cycles, at least one.
Cycle IrqSchedule::draw_gap() {
  const double g = std::llround(-mean_gap_ * std::log(rng_.unit_open0()));
  return g < 1 ? 1 : Cycle(g);
}

void IrqSchedule::pop() {
  if (timer_ <= device_) timer_ += period_;
  else device_ += draw_gap();
}

isa::Program irq_handler_program(IrqKind k, int64_t cycles) {
  isa::Program p;
  p.name = std::string(irq_name(k)) + "_irq_handler";
  p.file = "harness:irq_handler";
  if (cycles > 0) {
    isa::Instr w;
    w.op = isa::Op::Work;
    w.a.kind = isa::Operand::Kind::Imm;
    w.a.imm = cycles;
    p.code.push_back(w);
  }
  isa::Instr ret;
  ret.op = isa::Op::Ret;
  p.code.push_back(ret);
  for (size_t i = 0; i < p.code.size(); ++i) p.code[i].line = int(i) + 1;
  p.entry_acquire = p.entry_release = 0;
  return p;
}

}  // namespace lockstep::cpu

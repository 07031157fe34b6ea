// A sampling profiler that can be fooled the way perf is (docs/observe.md "Sampling profiler").
//
// Every micro-op belongs to a symbol: its .lock section and label ("acquire", "acquire:spin",
// "release": the last label at or before the pc within the section that holds it), the
// harness's critical section "cs", "outside" (from release return to the next micro-op:
// outside work, and, in quota mode, the idle tail of a thread that has finished), the
// interrupt handler "irq_handler", the harness's save "lock_irqsave", and "unlock_irqrestore"
// (the harness's restore after release).
//
// Exact: every cycle of every core, from one event to its next, is given to the symbol
// current on that core (within the measurement window). Sampled: per core, a tick every
// period_cycles from a staggered start (core k: k * period / cores), deterministic.
//   nmi  the tick is attributed to the symbol current at that exact cycle;
//   irq  a tick while interrupts are off is deferred (several coalesce into one, as a
//        pending timer interrupt is delivered once), and attributed to the micro-op executed
//        right after interrupts are re-enabled — for the harness's restore, unlock_irqrestore.
// The sampling interrupt itself costs nothing (it does not perturb the run).
// Needs every micro-op: it asks the stream for Exec events (fast-forward off for the run).
#pragma once
#include <map>
#include <string>
#include <vector>

#include "observe/event.hpp"
#include "stats/stats.hpp"

namespace lockstep::observe {

class Profiler : public Observer {
 public:
  // `cs`: the harness's critical-section program (its ops are "cs"). `restore_cycles`: what the
  // harness's restore costs (one ALU micro-op); outside work starts after it.
  Profiler(int cores, uint64_t period_cycles, std::string delivery, const isa::Program* cs, Cycle restore_cycles = 1);
  void on(const Event& e) override;
  // Figures up to `end` (the end of the measurement window) into out.profile and profile.txt.
  void fill(stats::Point& out, Cycle end) const;

  // perf-report-like text of a profile (the sampled shares beside the exact ones).
  static std::string report_text(const stats::ProfileFigures& f);
  // The symbol of every pc of a program ("acquire", "acquire:spin", ...).
  static std::vector<std::string> symbols_of(const isa::Program& p);

 private:
  struct CoreState {
    int cur = 0;             // symbol id now
    Cycle since = 0;         // the current symbol holds from here
    Cycle next_tick = 0;
    bool irqs_off = false;
    bool pending = false;    // a deferred sample (irq delivery)
    bool deliver_next = false;  // deliver it to the next micro-op
    std::vector<int> stack;  // symbols an interrupt handler interrupted
    Cycle restore_end = 0;   // the harness's restore runs until here, then outside (0: none)
  };
  int intern(const std::string& s);
  int symbol(const Event& e);
  void advance(CoreState& c, Cycle to);
  void sample(int sym);

  uint64_t period_;
  Cycle restore_cycles_;
  bool nmi_;
  std::string delivery_;
  const isa::Program* cs_;
  std::vector<CoreState> cores_;
  std::vector<std::string> names_;
  std::map<std::string, int> ids_;
  std::map<const isa::Program*, std::vector<int>> syms_;  // per program: symbol id of each pc
  int outside_, handler_, restore_, save_, cs_sym_;
  bool counting_ = true;            // inside the measurement window (until WindowClose)
  Cycle open_ = 0, close_ = UINT64_MAX;
  std::vector<uint64_t> sampled_, exact_;  // by symbol id
};

}  // namespace lockstep::observe

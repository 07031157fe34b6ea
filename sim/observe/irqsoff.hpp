// Interrupts-off and preemption-off sections, and interrupt latency, per core — what the
// Linux irqsoff / preemptoff / preemptirqsoff tracers and the -rt latency histograms show
// (docs/observe.md "Interrupts and irqs-off latency"), computed from the event stream:
//   irqsoff         IrqsOff -> IrqsOn
//   preemptoff      PreemptOff -> PreemptOn
//   preemptirqsoff  from the cycle either is off to the cycle both are on again
//   irq_latency     IrqRaise -> IrqEnter of the same raise id
// A section counts when it ends inside the measurement window (it may have started before
// WindowOpen, as a kernel section that straddles enabling the tracer would not; we keep it).
// The longest irqs-off section is kept for the ftrace-like irqsoff_trace.txt, with its
// micro-ops when Exec events flow (the machine asks for them when fast-forward is off).
#pragma once
#include <string>
#include <vector>

#include "observe/event.hpp"
#include "stats/stats.hpp"

namespace lockstep::observe {

class IrqsOff : public Observer {
 public:
  // `lock_file`: the .lock file, for "file:line" of sections the lock's own micro-ops open.
  IrqsOff(int cores, std::string lock_file, double clock_ghz);
  void on(const Event& e) override;
  // stats.json figures (out.irq) and the files latency_hist/.../CPUn and irqsoff_trace.txt.
  void fill(stats::Point& out) const;

  // The -rt latency_hist text of one CPU's samples (cycles, converted with clock_ghz).
  static std::string latency_hist_text(const std::vector<uint64_t>& cycles, double clock_ghz);
  // count, max, nearest-rank p99 and total of a set of samples
  static stats::SectionFigures figures(std::vector<uint64_t> cycles);
  std::string trace_text() const;  // "" when no irqs-off section ended in the window

 private:
  struct Op {
    Cycle at;
    std::string text;  // the op ("faa r1, [next], 1") or a harness action ("acquire called")
    std::string where; // file:line or harness symbol
  };
  struct Trace {
    int core = -1, thread = -1;
    Cycle start = 0, end = 0;
    std::string started_at, ended_at;
    std::vector<Op> ops;
    uint64_t total_ops = 0;  // ops seen (only the first kMaxOps are kept)
  };
  struct CoreState {
    bool irqs = true;            // interrupts enabled
    bool preempt = true;         // preemption enabled (count 0)
    Cycle irqs_off_at = 0, preempt_off_at = 0, either_off_at = 0;
    std::vector<std::pair<uint64_t, Cycle>> raised;  // raise id -> cycle (pending interrupts)
    std::vector<uint64_t> kinds[4];  // irqsoff, preemptoff, preemptirqsoff, irq_latency (cycles)
    Trace cur;                   // the irqs-off section in progress
  };
  static constexpr size_t kMaxOps = 20000;
  std::string where_of(const Event& e) const;
  void note(CoreState& c, const Event& e, std::string text);
  void clear();

  std::string file_;
  double ghz_;
  std::vector<CoreState> cores_;
  bool counting_ = true;  // until WindowClose (a warm-up's sections are cleared at WindowOpen)
  Trace longest_;
  bool exec_seen_ = false;  // Exec events flow (fast-forward off): the trace lists micro-ops
};

}  // namespace lockstep::observe

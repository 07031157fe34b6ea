// An in-order core that executes micro-op programs (DESIGN.md §3, §4), one at a time,
// blocking on a miss. Private work (ALU, branches, pause, work) runs inline and only
// advances the core's local clock; every op that touches shared state (memory ops, wfe,
// the harness's acquire/release boundaries) runs as an event at its exact cycle, so all
// cores and the memory system agree on one order.
//
// Fast-forward: a spin loop is detected when the core comes back to a loop head with the
// same registers after an iteration made only of L1 load hits and private work. Such an
// iteration repeats identically until a line it read changes, so the core sleeps until its
// L1 reports a change to one of those lines, then resumes exactly where the unskipped run
// would be (same op, same cycle, same registers, same LRU order) and adds the skipped
// micro-ops and hits. Fast-forward on and off give identical statistics.
#pragma once
#include <array>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "coherence/client.hpp"
#include "common/splitmix.hpp"
#include "config/config.hpp"
#include "engine/engine.hpp"
#include "isa/program.hpp"
#include "cpu/irq.hpp"
#include "cpu/thread.hpp"
#include "observe/event.hpp"
#include "stats/stats.hpp"

namespace lockstep::coherence { class SnoopL1; }
namespace lockstep::workload { class Harness; }

namespace lockstep::cpu {

using workload::Harness;  // the acquire/CS/release loop and its checkers

// The memory port a core uses; the machine wires it to the L1 controller of its coherence mode.
class MemPort {
 public:
  virtual ~MemPort() = default;
  virtual bool access(uint64_t line, bool write) = 0;  // true = hit (perform() already ran)
  virtual void touch(uint64_t line) = 0;               // LRU update without an access
  // While another access of this core is outstanding: may this one go ahead as a hit? (A
  // snooping L1 lets hits through; the directory L1 serves one access at a time.)
  virtual bool hits_while_busy(uint64_t, bool) { return false; }
};


class Core : public Component, public coherence::MemClient {
 public:
  using Regs = cpu::Regs;
  using Context = cpu::Context;

  Core(int id, Engine& e, const config::Point& p, Harness& h, MemPort* port, uint64_t arena_base);
  void set_port(MemPort* p) { port_ = p; }
  // Runs `t` on this core from cycle `at` (the harness has set where it starts).
  void run(Thread& t, Cycle at);
  void handle(int kind, uint64_t arg) override;

  // coherence::MemClient
  void perform(uint8_t* line_data) override;
  void miss_done() override;
  void line_changed(uint64_t line, bool lost_copy) override;

  // The warm-up reset is about to zero the counters; ops at cycles >= first_after come after it.
  void settle(Cycle first_after);
  // sev from another core
  void signal_event();

  int id() const { return id_; }
  Thread* thread() const { return t_; }
  bool done() const { return !t_ || t_->phase == Phase::Done; }
  bool spinning() const { return spinning_ || sleeping_ || waiting_event_; }
  std::string where() const;          // "ticket.lock:12 `ld r3, [owner]` waiting for [owner]"
  std::string recent_ops() const;     // its last shared-memory ops, oldest first
  // The byte address of the access waiting for its miss, or UINT64_MAX (trace writers).
  uint64_t miss_addr() const { return blocked_ ? pending_.addr : UINT64_MAX; }
  stats::PerCore& counters() { return t_->ctr; }
  const Context& lock_context() const { return t_->lock; }
  static std::string describe_address(const isa::Program& p, uint64_t base, uint64_t addr);

  // Interrupts (core_irq.cpp; docs/model.md "Interrupts"). The machine configures them once,
  // then begin_run() starts the raise events (and reads whether the stream wants Exec events).
  void configure_irq(const IrqSetup& s);
  void set_stream(const observe::Stream* s) { stream_ = s; }
  void begin_run();
  const IrqState& irq() const { return irq_; }
  bool in_handler() const { return irq_.in_handler; }
  stats::IrqCore irq_counters() const;
  void irq_reset();  // the warm-up reset

 private:
  enum Kind { kStep, kWake, kDrain, kRaise, kOutsideEnd };
  static constexpr size_t kMaxCallDepth = 64;  // as the native harness
  // Who owns the L1 port's one outstanding miss (the L1 serves one access at a time).
  enum class PortUser : uint8_t { None, Core, Drain, Prefetch };
  struct SbEntry {   // a retired store waiting to be performed (TSO store buffer)
    uint64_t addr, value, line;
    unsigned size;
  };
  struct Pending {  // the memory op waiting for its line
    const isa::Instr* in = nullptr;
    uint64_t addr = 0;
    bool write = false;
  };
  struct Probe {   // one load of a candidate spin iteration
    Cycle offset;  // from the loop head
    int pc;
    uint32_t uops_before;
    uint64_t line;
    Regs regs;     // registers just before the load
  };

  void step();
  bool exec_memory(const isa::Instr& in, Cycle& local);
  // Store buffer: retire, forward, drain (one store at a time, in order, through the port).
  enum class Sb : uint8_t { Done, Wait };
  Sb store_buffer_op(const isa::Instr& in, uint64_t addr, Cycle& local);
  void drain();
  void drained_one();
  void prefetch(uint64_t line);
  void undo_count();  // the op at pc waits and will run again: it was counted once too often
  uint64_t operand(const isa::Operand& o) const;
  // spin detection / fast-forward
  void spin_reset(int head, Cycle t);
  bool spin_check(int head, Cycle t);  // true = went to sleep
  void wake(Cycle t, Priority p);
  void resume(Cycle first);
  struct Resume {   // a point of the skipped run: cycle, iteration, counts, registers, pc
    Cycle at;
    uint64_t k, uops, hits;
    size_t j;       // loads of the iteration before it
    const Regs* regs;
    int pc;
  };
  Resume resume_at(Cycle first) const;
  void irq_resume(Resume& rs) const;  // an interrupt boundary before rs, if there is one
  uint64_t resume_point(Cycle first, size_t& j) const;
  void settle_counts(const Resume& rs);
  [[noreturn]] void fault(const isa::Instr& in, const std::string& msg) const;
  // interrupts (core_irq.cpp)
  bool irq_check(Cycle local) const {  // anything for the boundary at `local` to do?
    return irq_.due.next() <= local || (!irq_.pending.empty() && irq_.enabled && !irq_.in_handler);
  }
  bool irq_boundary(Cycle now, Cycle local);  // false: the step must return (rescheduled)
  void take_due(Cycle at);
  bool deliverable() const { return irq_.enabled && !irq_.in_handler && !irq_.pending.empty(); }
  void deliver(Cycle at);
  bool handler_returned(Cycle now, Cycle& local);  // false: the step must return
  void on_raise();
  bool irq_outside(Cycle now);                     // an interrupt during outside work
  void start_outside(Cycle start, Cycle end);
  void record_bound(Cycle local);
  void exec_irq_op(const isa::Instr& in, Cycle local);
  void set_irqs(bool on, Cycle at, int line, const char* what, uint64_t arg);
  void harness_irq_save(Cycle at);
  void harness_irq_restore(Cycle at);
  void emit(observe::Ev k, Cycle at, int line, const char* what, uint64_t arg) const;
  void emit_exec(const isa::Instr& in, Cycle at) const;
  int ev_thread() const { return irq_.in_handler && interrupted_ ? interrupted_->id : t_->id; }

  int id_;
  Engine& engine_;
  const config::Point& point_;
  const config::CoreCfg& core_cfg_;
  int hit_cycles_;
  int line_bytes_;
  Harness& harness_;
  MemPort* port_;
  uint64_t arena_base_;
  Thread* t_ = nullptr;           // the thread this core runs
  Pending pending_;
  bool blocked_ = false;          // waiting for a miss
  PortUser port_user_ = PortUser::None;   // the outstanding miss is whose
  PortUser performing_ = PortUser::None;  // whose access the L1 is performing right now
  size_t sb_cap_ = 0;
  std::deque<SbEntry> sb_;
  // The last shared-memory ops of this core (for the report of a violation): cycle, op, address,
  // value loaded or stored, and whether the value came from / went to the store buffer.
  struct Recent { Cycle at; isa::Op op; uint64_t addr, value; bool buffered; };
  std::array<Recent, 8> recent_{};
  unsigned recent_n_ = 0;
  void remember(isa::Op op, uint64_t addr, uint64_t value, bool buffered) {
    recent_[recent_n_++ % recent_.size()] = Recent{engine_.now(), op, addr, value, buffered};
  }
  bool drain_scheduled_ = false;
  bool waiting_port_ = false;     // a core access waits for the drain's or prefetch's miss
  bool waiting_sb_ = false;       // waits for the store buffer: empty (atomic, fence) or a free entry
  // LL/SC monitor and the ARM event register
  bool monitor_ = false;
  uint64_t monitor_line_ = 0;
  bool event_flag_ = false;
  bool waiting_event_ = false;
  // spin detection
  int spin_head_ = -1;
  const Context* spin_ctx_ = nullptr;
  Regs spin_regs_{};
  Cycle spin_t0_ = 0;
  bool spin_pure_ = false;
  uint32_t spin_uops_ = 0;
  static constexpr size_t kMaxProbes = 16;  // loads per tracked spin iteration
  std::vector<Probe> probes_;
  bool spinning_ = false;          // fixed point seen (also with fast-forward off: deadlock detector)
  bool sleeping_ = false;          // fast-forwarded
  std::vector<Probe> sleep_probes_;
  Cycle sleep_t0_ = 0, sleep_period_ = 0;
  uint32_t sleep_uops_ = 0;
  uint64_t sleep_counted_uops_ = 0, sleep_counted_hits_ = 0, sleep_counted_iters_ = 0;
  std::vector<uint64_t> watch_;    // lines whose change ends a spin
  std::vector<uint8_t> perform_buf_;
  // interrupts: the core's state, the handler's context (a Thread pushed on the core), the
  // outside work an interrupt may suspend, and the boundaries of a spin iteration (so a sleeping
  // spinner can be woken at the exact micro-op boundary an interrupt is taken at)
  IrqState irq_;
  IrqSetup irq_setup_;
  Thread handler_;
  Thread* interrupted_ = nullptr;
  Cycle handler_enter_ = 0;
  IrqPending handler_irq_{};
  const observe::Stream* stream_ = nullptr;
  bool exec_ = false;
  Cycle outside_end_ = 0;
  uint64_t outside_token_ = 0;
  struct Bound {   // one micro-op of a candidate spin iteration
    Cycle offset;
    int pc;
    uint32_t uops_before, loads_before;
    Regs regs;
  };
  static constexpr size_t kMaxBounds = 64;
  bool track_bounds_ = false;
  std::vector<Bound> bounds_, sleep_bounds_;
};

}  // namespace lockstep::cpu

// Holder snapshots (issue 8 item 5): what someone hooking _raw_spin_lock/_raw_spin_unlock with
// ftrace would reconstruct — who holds the lock, since when and where, who waits for it in
// arrival order and for how long, and each core's interrupt and preemption state.
//
// The lock and core state comes only from the event stream (acquire/release call/return,
// IrqsOff/IrqsOn, PreemptOff/PreemptOn, IrqEnter/IrqExit). Where a core's code is (its symbol)
// is asked from the machine at the moment a snapshot is written. A periodic snapshot at cycle
// T is written when the first harness event at or after T arrives: the harness state cannot
// have changed in between, so it is the state at T. docs/observe.md "Holder snapshots".
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "observe/event.hpp"

namespace lockstep::isa { struct Program; }

namespace lockstep::observe {

// The symbol of instruction `pc` of `p`: its section (the entry label at or before it: init,
// acquire, release) and, when a nearer label follows the entry, that label: "acquire:spin".
std::string symbol_at(const isa::Program& p, int pc);

class Snapshots : public Observer {
 public:
  struct Options {
    int threads = 1, cores = 1;
    std::string lock;              // lock name and where it came from, for the header
    int capacity = 1;
    Cycle every = 0;               // 0: no periodic snapshots (only take())
    size_t max_snapshots = 10000;  // a bound on the file: later periodic ones are dropped
    std::function<std::string(int core)> symbol;  // where the core is now ("acquire:spin", "cs")
  };
  explicit Snapshots(Options o);
  void on(const Event& e) override;
  // Writes one snapshot of the state now, stamped `at`, with a reason ("exit 4: ...").
  void take(Cycle at, const std::string& why);
  const std::string& text() const { return text_; }
  size_t taken() const { return taken_; }

 private:
  enum class St : uint8_t { Outside, Waiting, Holding, Releasing };
  struct Thr {
    int core = -1;
    St st = St::Outside;
    Cycle since = 0;     // of the current state (waiting: the acquire call)
    uint64_t arrival = 0;
  };
  struct Cpu {
    bool irqs_off = false, preempt_off = false;
    Cycle irqs_since = 0, preempt_since = 0;
    const char* irq = nullptr;  // the handler running (IrqEnter .. IrqExit), or none
    Cycle irq_since = 0;
  };
  void periodic(Cycle upto);
  Cpu& cpu(int core);

  Options o_;
  std::vector<Thr> thr_;
  std::vector<Cpu> cpu_;
  uint64_t arrivals_ = 0;
  Cycle next_ = 0;
  size_t taken_ = 0;
  bool capped_ = false;
  std::string text_;
};

}  // namespace lockstep::observe

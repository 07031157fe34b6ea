// The OS model (docs/os.md): which thread runs on which core. More threads than cores, one
// FIFO run queue per machine, a timeslice, context switches that cost cycles on the core,
// futex park/wake on a word, sched_yield, "is that thread on a CPU" (owner_running), and
// hypervisor preemption of the cores (a vCPU descheduled at random moments).
//
// The scheduler decides only at its own events (engine class kMemory, so every core op of
// that cycle sees the decision) and at the micro-ops park/wake/yield, which a core runs at
// their exact cycle. A core asked to give up its thread does so at its next op boundary of
// exact time (Core::request_switch), the same point with fast-forward on or off.
// Without the OS model (threads <= cores, no OS micro-op, no preemption) none of this exists.
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/splitmix.hpp"
#include "config/config.hpp"
#include "cpu/thread.hpp"
#include "engine/engine.hpp"
#include "stats/stats.hpp"

namespace lockstep::cpu { class Core; }
namespace lockstep::workload { class Harness; }

namespace lockstep::os {

// Whether a point needs the OS model: more threads than cores, preemption, or a lock that
// uses park/wake/yield/owner_running.
bool needed(const config::Point& p, const isa::Program& lock);

class Scheduler : public Component {
 public:
  using Peek = std::function<uint64_t(uint64_t addr, unsigned size)>;
  Scheduler(Engine& e, const config::Point& p, workload::Harness& h, std::vector<cpu::Thread>& threads);
  void attach(std::vector<cpu::Core*> cores, Peek peek);
  // Places the first threads on the cores at `t`; the others wait in the run queue.
  void start(Cycle t);

  // ---- called by a core, at the exact cycle `now` ----
  // futex wait: true when the thread sleeps (the core is the scheduler's from now on);
  // false when the word no longer holds `v` (a failed wait: the core goes on).
  bool park(cpu::Core& c, cpu::Thread& t, uint64_t addr, unsigned size, uint64_t v, Cycle now);
  // futex wake of up to n sleepers on `addr`; returns how many it woke.
  uint64_t wake(uint64_t addr, uint64_t n, Cycle now);
  // sched_yield: true when the thread leaves the core (someone is runnable).
  bool yield(cpu::Core& c, Cycle now);
  // owner_running: thread `tid` is on a core that is not preempted.
  bool on_cpu(int tid) const;
  // The core stopped at a boundary as asked (request_switch).
  void stopped(cpu::Core& c, Cycle now);
  // The thread on `c` finished its workload.
  void thread_done(cpu::Core& c, Cycle now);

  void handle(int kind, uint64_t arg) override;

  // Figures of the open intervals at `at` (a time window's close), added to `out`.
  void add_open_intervals(std::vector<stats::PerCore>& out, Cycle at, Cycle reset) const;
  const stats::Preemptions& preemptions() const { return preempt_; }
  void reset_stats() { preempt_ = {}; }
  std::string describe() const;  // who sleeps on which word (deadlock reports)

 private:
  enum Kind { kLeave, kRunnable, kSlice, kPreempt, kUnfreeze };
  enum class TS : uint8_t { Running, Parking, Parked, Waking, Runnable, Done };
  enum class CS : uint8_t { Idle, Busy, Held, Frozen };  // Held: park/yield cost being paid
  enum class Leave : uint8_t { None, Park, Yield };
  struct CoreState {
    CS state = CS::Idle;
    cpu::Thread* t = nullptr;
    Leave leave = Leave::None;
    bool want_slice = false, want_preempt = false, pending_preempt = false;
    Cycle slice_start = 0;
    uint32_t slice_gen = 0;
    bool slice_armed = false;
    SplitMix64 rng;
  };
  void schedule(Cycle at, Kind k, uint64_t arg);
  void switch_in(int core, cpu::Thread& t, Cycle now, bool cost);
  void switch_out(int core, Cycle now, bool parked);
  void dispatch(int core, Cycle now);   // a free core takes the next runnable thread
  void make_runnable(cpu::Thread& t, Cycle now);
  void arm_slices(Cycle now);
  void freeze(int core, Cycle now);
  void arm_preempt(int core, Cycle now);
  Cycle exp_sample(SplitMix64& r, int64_t mean) const;
  void check_deadlock(Cycle now);
  bool all_done() const;
  void account_on(cpu::Thread& t, Cycle now) const;  // CPU time up to now
  void account_off(cpu::Thread& t, Cycle now);       // back on a core: the time off it
  void pending_from_wants(CoreState& s);

  Engine& engine_;
  const config::Point& p_;
  const config::OsCfg& cfg_;
  workload::Harness& harness_;
  std::vector<cpu::Thread>& threads_;
  std::vector<cpu::Core*> cores_;
  std::vector<CoreState> cs_;
  std::vector<TS> ts_;
  std::vector<bool> woken_early_;
  std::vector<uint64_t> parked_on_;
  std::vector<bool> off_parked_;   // off the CPU because it parked (cycles_parked)
  std::vector<int> last_core_;
  std::deque<int> rq_;
  std::map<uint64_t, std::deque<int>> waiters_;  // futex word -> sleeping threads, FIFO
  Peek peek_;
  stats::Preemptions preempt_;
  bool preemption_ = false;
};

}  // namespace lockstep::os

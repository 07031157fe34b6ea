// The core's side of the OS model (sim/os, docs/os.md): the park/wake/yield/owner_running
// micro-ops, a switch the scheduler asks for, and stopping at an exact op boundary so the
// scheduler can take the core. The scheduler decides; the core only executes and stops.
#include <string>

#include "common/error.hpp"
#include "cpu/core.hpp"
#include "isa/semantics.hpp"
#include "os/scheduler.hpp"
#include "workload/harness.hpp"

namespace lockstep::cpu {

using isa::Op;

// Runs at the op's exact cycle. Returns false when the core stops (the thread sleeps or leaves
// the core, or the op waits for the store buffer: a system call drains it, as a fence does).
bool Core::exec_os(const isa::Instr& in, Cycle& local) {
  if (!os_) fault(in, std::string(isa::op_name(in.op)) + " needs the OS model (internal: no scheduler)");
  const config::OsCfg& oc = point_.os;
  auto& r = t_->ctx->regs;
  const Cycle now = engine_.now();
  if (in.op == Op::OwnerRunning) {  // reads the owner's task: is it on a CPU (owner->on_cpu)?
    const uint64_t tid = r[in.a.reg];
    if (tid >= uint64_t(harness_.threads().size()))
      fault(in, "owner_running: thread " + std::to_string(int64_t(tid)) + " does not exist (" +
                    std::to_string(harness_.threads().size()) + " threads)");
    r[in.rd] = os_->on_cpu(int(tid)) ? 1 : 0;
    local += Cycle(hit_cycles_);
    ++t_->pc;
    return true;
  }
  if (!sb_.empty()) {
    undo_count();
    waiting_sb_ = true;
    return false;
  }
  if (in.op == Op::Yield) {
    ++t_->pc;
    if (os_->yield(*this, now)) return false;
    local += Cycle(oc.yield_cycles);
    return true;
  }
  if (!isa::index_in_range(*t_->ctx->prog, in.addr, r.data())) fault(in, isa::index_error(*t_->ctx->prog, in.addr, r.data()));
  const uint64_t addr = isa::address(*t_->ctx->prog, in.addr, t_->ctx->base, t_->id, r.data());
  if (addr % in.size) fault(in, "misaligned " + std::to_string(in.size) + "-byte futex word at address " + std::to_string(addr));
  if (addr < t_->ctx->base || addr + in.size > t_->ctx->base + t_->ctx->prog->arena_bytes)
    fault(in, "address " + std::to_string(addr) + " is outside the lock's memory");
  ++t_->pc;
  if (in.op == Op::Park) {
    if (os_->park(*this, *t_, addr, in.size, operand(in.a), now)) return false;
    local += Cycle(oc.park_cycles);  // a failed futex wait: the word changed
    return true;
  }
  os_->wake(addr, operand(in.a), now);
  local += Cycle(oc.wake_cycles);
  return true;
}

void Core::request_switch() {
  switch_req_ = true;
  const Cycle now = engine_.now();
  if (sleeping_) {
    wake(now, kMemory);  // resumes at its first spin load at or after now, as the unskipped run
  } else if (waiting_event_) {
    waiting_event_ = false;  // a wfe may wake spuriously
    engine_.schedule(now, kCore, uint32_t(id_), this, kStep);
  }
}

// At an op boundary of exact time with a switch asked for: the thread's stores drain first
// (the kernel's entry is a full barrier), then the scheduler takes the core.
bool Core::os_stop(Cycle now) {
  if (!sb_.empty()) {
    waiting_sb_ = true;
    if (!drain_scheduled_ && port_user_ == PortUser::None) {
      drain_scheduled_ = true;
      engine_.schedule(now, kCore, uint32_t(id_), this, kDrain);
    }
    return true;
  }
  switch_req_ = false;
  spinning_ = sleeping_ = false;
  monitor_ = false;  // a context switch clears the exclusive monitor (clrex)
  spin_reset(-1, now);
  os_->stopped(*this, now);
  return true;
}

void Core::finished(Cycle now) {
  if (os_) os_->thread_done(*this, now);
}

}  // namespace lockstep::cpu

#include "workload/harness.hpp"

#include <sstream>

#include "common/error.hpp"
#include "cpu/core.hpp"

namespace lockstep::workload {

isa::Program critical_section_program(const config::CriticalSectionCfg& cs, int line_bytes) {
  using isa::Op;
  isa::Program p;
  p.name = "critical-section";
  p.file = "harness:critical_section";
  int n = std::max(cs.lines_read, cs.lines_written);
  isa::Variable v;
  v.kind = isa::Variable::Kind::Array;
  v.name = "cs_data";
  v.count = uint64_t(std::max(n, 1));
  v.stride = uint64_t(line_bytes);
  p.vars.push_back(v);
  p.arena_bytes = v.count * v.stride;
  auto at = [&](int i) {
    isa::Address a;
    a.kind = isa::Address::Kind::Var;
    a.var = 0;
    a.offset = int64_t(i) * line_bytes;
    return a;
  };
  auto reg = [](int r) { isa::Operand o; o.kind = isa::Operand::Kind::Reg; o.reg = uint8_t(r); return o; };
  auto imm = [](int64_t v) { isa::Operand o; o.kind = isa::Operand::Kind::Imm; o.imm = v; return o; };
  for (int i = 0; i < cs.lines_read; ++i) {
    isa::Instr ld; ld.op = Op::Ld; ld.rd = 0; ld.addr = at(i); p.code.push_back(ld);
  }
  // Written lines: load, add one, store. Without mutual exclusion increments get lost,
  // which the end-of-run check sees in cs_data[0].
  for (int i = 0; i < cs.lines_written; ++i) {
    isa::Instr ld; ld.op = Op::Ld; ld.rd = 1; ld.addr = at(i); p.code.push_back(ld);
    isa::Instr add; add.op = Op::Add; add.rd = 1; add.a = reg(1); add.b = imm(1); p.code.push_back(add);
    isa::Instr st; st.op = Op::St; st.a = reg(1); st.addr = at(i); p.code.push_back(st);
  }
  if (cs.cycles > 0) {
    isa::Instr w; w.op = Op::Work; w.a = imm(cs.cycles); p.code.push_back(w);
  }
  isa::Instr ret; ret.op = Op::Ret; p.code.push_back(ret);
  for (size_t i = 0; i < p.code.size(); ++i) p.code[i].line = int(i) + 1;
  p.entry_acquire = 0;
  p.entry_release = 0;
  return p;
}

Harness::Harness(Engine& e, const config::Point& p, const isa::Program& lock) : engine_(e), p_(p), lock_(lock) {
  warm_total_ = int64_t(p.workload.threads) * p.workload.warmup_acquisitions;
}

void Harness::acquire_returned(cpu::Core& c, Cycle now, Cycle started) {
  holders_.push_back(c.id());
  if (int(holders_.size()) > lock_.capacity) {
    std::ostringstream m;
    m << "mutual exclusion violated: lock '" << lock_.name << "' (capacity " << lock_.capacity << ") held by cores";
    for (int h : holders_) m << " " << h;
    m << " at cycle " << now << " (core " << c.id() << "'s acquire just returned)";
    throw CorrectnessError(m.str());
  }
  // A handoff: the acquirer was already waiting (called acquire strictly before) when the
  // last release completed. A thread that re-acquires at the very cycle its own release
  // returned was not waiting. A lock handed over while its release routine still runs
  // (work after the handover store) is a handoff of 0 cycles.
  if (releasing_ >= 0 && releasing_ != c.id() && started < release_call_) {
    handoff_.add(0);
    handed_early_ = true;
  } else if (release_pending_ && started < last_release_) {
    handoff_.add(now - last_release_);
  }
  release_pending_ = false;
  ++total_;
  if (total_ > warm_total_) {
    ++measured_;
    ++c.counters().acquisitions;
  }
  if (total_ == warm_total_) {
    // End of warm-up: cores asleep in a spin first count what they did before this event.
    for (auto* k : cores_) k->settle(k->id() < c.id() ? now + 1 : now);
    reset_cycle_ = now;
    handoff_.clear();
    if (reset_) reset_();
  }
}

void Harness::release_called(cpu::Core& c, Cycle now) {
  releasing_ = c.id();
  release_call_ = now;
  handed_early_ = false;
  for (size_t i = 0; i < holders_.size(); ++i)
    if (holders_[i] == c.id()) { holders_.erase(holders_.begin() + long(i)); break; }
}

void Harness::release_returned(cpu::Core& c, Cycle now) {
  if (releasing_ == c.id()) releasing_ = -1;
  last_release_ = now;
  release_pending_ = !handed_early_;  // already counted when the acquirer got in first
  handed_early_ = false;
  end_cycle_ = std::max(end_cycle_, now);
}

void Harness::finished(cpu::Core&, Cycle now) {
  ++done_;
  end_cycle_ = std::max(end_cycle_, now);
}

void Harness::sev(int from) {
  for (auto* k : cores_)
    if (k->id() != from) k->signal_event();
}

void Harness::check_stuck(Cycle now) {
  for (auto* k : cores_)
    if (!k->done() && !k->spinning()) return;
  if (engine_.pending_in(kMemory) > 0 || (memory_idle_ && !memory_idle_())) return;
  report_stuck(now, "every core that has not finished spins on lines nothing will change");
}

void Harness::report_stuck(Cycle now, const std::string& why) {
  std::ostringstream m;
  m << "no progress: deadlock at cycle " << now << " with lock '" << lock_.name << "' (" << why << "); "
    << total_ << " of " << int64_t(p_.workload.threads) * (p_.workload.warmup_acquisitions + p_.workload.acquisitions_per_thread)
    << " acquisitions done";
  for (auto* k : cores_) m << "\n  " << k->where();
  throw NoProgressError(m.str());
}

}  // namespace lockstep::workload

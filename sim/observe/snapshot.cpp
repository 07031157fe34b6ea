#include "observe/snapshot.hpp"

#include <algorithm>
#include <sstream>

#include "isa/program.hpp"

namespace lockstep::observe {

std::string symbol_at(const isa::Program& p, int pc) {
  std::string section, label;
  int section_at = -1, label_at = -1;
  for (const auto& [name, idx] : p.labels) {
    if (idx > pc) continue;
    const bool entry = name == "init" || name == "acquire" || name == "release";
    // Several labels on one instruction: the entry wins, then the first name (map order).
    if (entry && (idx > section_at || (idx == section_at && section.empty()))) section = name, section_at = idx;
    if (!entry && idx > label_at) label = name, label_at = idx;
  }
  if (section.empty()) return label.empty() ? "pc" + std::to_string(pc) : label;
  return label_at > section_at ? section + ":" + label : section;
}

Snapshots::Snapshots(Options o) : o_(std::move(o)), thr_(size_t(std::max(o_.threads, 1))), cpu_(size_t(std::max(o_.cores, 1))) {
  next_ = o_.every;
}

Snapshots::Cpu& Snapshots::cpu(int core) {
  if (core >= int(cpu_.size())) cpu_.resize(size_t(core) + 1);
  return cpu_[size_t(core)];
}

void Snapshots::periodic(Cycle upto) {
  if (o_.every == 0) return;
  while (next_ <= upto) {
    if (taken_ >= o_.max_snapshots) {
      if (!capped_) text_ += "# later periodic snapshots left out (at most " + std::to_string(o_.max_snapshots) + ")\n";
      capped_ = true;
      return;
    }
    take(next_, "every " + std::to_string(o_.every) + " cycles");
    next_ += o_.every;
  }
}

void Snapshots::on(const Event& e) {
  const bool harness = e.kind == Ev::AcquireCall || e.kind == Ev::AcquireReturn || e.kind == Ev::ReleaseCall ||
                       e.kind == Ev::ReleaseReturn;
  if (harness) periodic(e.cycle);  // the state up to this event is the state at those cycles
  if (!harness && e.core < 0) return;
  Thr* t = e.thread >= 0 && e.thread < int(thr_.size()) ? &thr_[size_t(e.thread)] : nullptr;
  switch (e.kind) {
    case Ev::AcquireCall:
      if (!t) break;
      *t = Thr{e.core, St::Waiting, e.cycle, ++arrivals_};
      break;
    case Ev::AcquireReturn:
      if (!t) break;
      t->core = e.core;
      t->st = e.arg ? St::Holding : St::Outside;  // arg 0: a failed trylock
      t->since = e.cycle;
      break;
    case Ev::ReleaseCall:
      if (t) t->st = St::Releasing, t->core = e.core;  // `since` stays: held since the acquire
      break;
    case Ev::ReleaseReturn:
      if (t) t->st = St::Outside, t->since = e.cycle;
      break;
    case Ev::IrqsOff: {
      Cpu& c = cpu(e.core);
      if (!c.irqs_off) c.irqs_off = true, c.irqs_since = e.cycle;
      break;
    }
    case Ev::IrqsOn: cpu(e.core).irqs_off = false; break;
    case Ev::PreemptOff: {
      Cpu& c = cpu(e.core);
      if (!c.preempt_off) c.preempt_off = true, c.preempt_since = e.cycle;
      break;
    }
    case Ev::PreemptOn: cpu(e.core).preempt_off = false; break;
    case Ev::IrqEnter: cpu(e.core).irq = e.what ? e.what : "irq", cpu(e.core).irq_since = e.cycle; break;
    case Ev::IrqExit: cpu(e.core).irq = nullptr; break;
    default: break;
  }
}

namespace {
std::string span(Cycle at, Cycle since) {
  return "since cycle " + std::to_string(since) + " (" + std::to_string(at >= since ? at - since : 0) + " cycles)";
}
}  // namespace

void Snapshots::take(Cycle at, const std::string& why) {
  ++taken_;
  std::ostringstream o;
  o << "snapshot at cycle " << at << " (" << why << ")\n";
  o << "  lock " << o_.lock << ", capacity " << o_.capacity << "\n";
  std::vector<size_t> holders, waiters;
  for (size_t i = 0; i < thr_.size(); ++i) {
    if (thr_[i].st == St::Holding || thr_[i].st == St::Releasing) holders.push_back(i);
    if (thr_[i].st == St::Waiting) waiters.push_back(i);
  }
  std::sort(waiters.begin(), waiters.end(), [this](size_t a, size_t b) { return thr_[a].arrival < thr_[b].arrival; });
  auto where = [this](int core) { return o_.symbol && core >= 0 ? o_.symbol(core) : std::string("?"); };
  if (holders.empty()) o << "    holder: none\n";
  for (size_t i : holders) {
    const Thr& t = thr_[i];
    o << "    holder: core " << t.core << " (thread " << i << ") " << span(at, t.since) << ", at " << where(t.core)
      << (t.st == St::Releasing ? " (releasing)" : "") << "\n";
  }
  o << "    waiters: " << waiters.size() << (waiters.empty() ? "\n" : ", in arrival order\n");
  for (size_t k = 0; k < waiters.size(); ++k) {
    const Thr& t = thr_[waiters[k]];
    o << "      " << k + 1 << ". core " << t.core << " (thread " << waiters[k] << ") waiting "
      << (at >= t.since ? at - t.since : 0) << " cycles (since cycle " << t.since << "), at " << where(t.core) << "\n";
  }
  o << "  cores:\n";
  for (size_t c = 0; c < cpu_.size(); ++c) {
    const Cpu& k = cpu_[c];
    o << "    core " << c << ": irqs " << (k.irqs_off ? "off " + span(at, k.irqs_since) : std::string("on"))
      << ", preempt " << (k.preempt_off ? "off " + span(at, k.preempt_since) : std::string("on"));
    if (k.irq) o << ", in " << k.irq << " handler " << span(at, k.irq_since);
    o << ", at " << where(int(c)) << "\n";
  }
  text_ += o.str();
}

}  // namespace lockstep::observe

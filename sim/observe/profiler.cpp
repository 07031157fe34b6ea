#include "observe/profiler.hpp"

#include <algorithm>
#include <cstdio>

#include "isa/program.hpp"

namespace lockstep::observe {

std::vector<std::string> Profiler::symbols_of(const isa::Program& p) {
  // Labels by instruction index; a section starts at its entry (init, acquire, release).
  std::vector<std::vector<std::string>> at(p.code.size() + 1);
  for (const auto& [name, pc] : p.labels)
    if (pc >= 0 && size_t(pc) < at.size()) at[size_t(pc)].push_back(name);
  auto is_section = [](const std::string& n) { return n == "init" || n == "acquire" || n == "release"; };
  std::vector<std::string> out(p.code.size());
  std::string section = p.name, label;
  for (size_t pc = 0; pc < p.code.size(); ++pc) {
    const auto& here = at[pc];  // std::map order: alphabetical, deterministic
    for (const auto& n : here)
      if (is_section(n)) {
        section = n;
        label.clear();
      }
    for (const auto& n : here)
      if (!is_section(n)) label = n;
    out[pc] = label.empty() ? section : section + ":" + label;
  }
  return out;
}

Profiler::Profiler(int cores, uint64_t period_cycles, std::string delivery, const isa::Program* cs,
                   Cycle restore_cycles)
    : period_(std::max<uint64_t>(period_cycles, 1)), restore_cycles_(restore_cycles), nmi_(delivery != "irq"), delivery_(std::move(delivery)), cs_(cs),
      cores_(size_t(cores)) {
  outside_ = intern("outside");
  handler_ = intern("irq_handler");
  restore_ = intern("unlock_irqrestore");
  save_ = intern("lock_irqsave");
  cs_sym_ = intern("cs");
  for (size_t k = 0; k < cores_.size(); ++k) {
    cores_[k].cur = outside_;
    cores_[k].next_tick = period_ * k / cores_.size();  // staggered: the cores do not tick together
  }
}

int Profiler::intern(const std::string& s) {
  auto it = ids_.find(s);
  if (it != ids_.end()) return it->second;
  names_.push_back(s);
  sampled_.push_back(0);
  exact_.push_back(0);
  return ids_[s] = int(names_.size() - 1);
}

int Profiler::symbol(const Event& e) {
  if (!e.prog) return outside_;
  if (e.prog == cs_) return cs_sym_;
  auto it = syms_.find(e.prog);
  if (it == syms_.end()) {
    std::vector<int> ids;
    for (const auto& s : symbols_of(*e.prog)) ids.push_back(intern(s));
    it = syms_.emplace(e.prog, std::move(ids)).first;
  }
  return e.arg < it->second.size() ? it->second[size_t(e.arg)] : outside_;
}

void Profiler::sample(int sym) {
  if (counting_) ++sampled_[size_t(sym)];
}

// The interval [since, to) ran `cur`: its cycles and the ticks inside it.
void Profiler::advance(CoreState& c, Cycle to) {
  if (c.restore_end && to >= c.restore_end) {  // the harness's restore ended: outside work
    const Cycle r = c.restore_end;
    c.restore_end = 0;
    advance(c, r);
    c.cur = outside_;
  }
  if (to <= c.since) return;
  if (counting_) {
    const Cycle a = std::max(c.since, open_), b = std::min(to, close_);
    if (b > a) exact_[size_t(c.cur)] += b - a;
  }
  while (c.next_tick < to) {
    const Cycle t = c.next_tick;
    c.next_tick += period_;
    if (t < c.since || t < open_ || t >= close_) continue;  // before the window (or the core's start)
    if (nmi_ || !c.irqs_off) sample(c.cur);
    else c.pending = true;
  }
  c.since = to;
}

void Profiler::on(const Event& e) {
  if (e.kind == Ev::WindowOpen) {
    std::fill(sampled_.begin(), sampled_.end(), 0);
    std::fill(exact_.begin(), exact_.end(), 0);
    open_ = e.cycle;
    for (auto& c : cores_) c.pending = c.deliver_next = false;
    return;
  }
  if (e.kind == Ev::WindowClose) {
    close_ = e.cycle;
    return;
  }
  if (e.core < 0 || size_t(e.core) >= cores_.size()) return;
  CoreState& c = cores_[size_t(e.core)];
  switch (e.kind) {
    case Ev::Exec: {
      advance(c, e.cycle);
      // A handler's own code is irq_handler; the lock's routines keep their names in it.
      const int sym = !c.stack.empty() && (!e.prog || e.prog->entry_acquire < 0) ? handler_ : symbol(e);
      if (c.deliver_next) {
        if (c.pending) sample(sym);
        c.pending = c.deliver_next = false;
      }
      c.cur = sym;
      return;
    }
    case Ev::ReleaseReturn: advance(c, e.cycle); c.cur = outside_; return;
    case Ev::IrqsOff:
      advance(c, e.cycle);
      c.irqs_off = true;
      if (e.what && std::string(e.what) == "lock_irqsave") c.cur = save_;
      return;
    case Ev::IrqsOn:
      advance(c, e.cycle);
      c.irqs_off = false;
      if (e.what && std::string(e.what) == "unlock_irqrestore") {
        if (c.pending) sample(restore_);
        c.pending = false;
        c.cur = restore_;  // for the restore's own cycles; outside work follows
        c.restore_end = e.cycle + restore_cycles_;
      } else if (c.pending) {
        c.deliver_next = true;
      }
      return;
    case Ev::IrqEnter:
      advance(c, e.cycle);
      if (c.restore_end) {  // taken right at the restore's end: the thread was outside
        c.cur = outside_;
        c.restore_end = 0;
      }
      c.stack.push_back(c.cur);
      c.cur = handler_;
      return;
    case Ev::IrqExit:
      advance(c, e.cycle);
      if (!c.stack.empty()) {
        c.cur = c.stack.back();
        c.stack.pop_back();
      }
      return;
    default: return;
  }
}

void Profiler::fill(stats::Point& out, Cycle end) const {
  Profiler p = *this;  // flush a copy to `end`: the run may go on (a time window's close)
  if (p.close_ > end) p.close_ = end;
  for (auto& c : p.cores_) p.advance(c, end);
  auto& f = out.profile;
  f.present = true;
  f.delivery = delivery_;
  f.period_cycles = period_;
  f.samples = 0;
  for (size_t i = 0; i < p.names_.size(); ++i) {
    f.sampled[p.names_[i]] = p.sampled_[i];
    f.exact[p.names_[i]] = p.exact_[i];
    f.samples += p.sampled_[i];
  }
  out.files.emplace_back("profile.txt", report_text(f));
}

std::string Profiler::report_text(const stats::ProfileFigures& f) {
  uint64_t total_exact = 0;
  for (const auto& [name, v] : f.exact) total_exact += v;
  std::vector<std::pair<std::string, uint64_t>> rows(f.sampled.begin(), f.sampled.end());
  std::stable_sort(rows.begin(), rows.end(), [&](const auto& a, const auto& b) {
    if (a.second != b.second) return a.second > b.second;
    return f.exact.at(a.first) > f.exact.at(b.first);
  });
  const char* event = f.delivery == "irq" ? "cpu-clock" : "cycles";
  std::string s = "# Samples: " + std::to_string(f.samples) + " of event '" + event + "' (delivery: " + f.delivery +
                  ", one sample per core every " + std::to_string(f.period_cycles) + " cycles)\n";
  s += "# Exact: " + std::to_string(total_exact) + " core-cycles attributed by the simulator\n#\n";
  char line[256];
  std::snprintf(line, sizeof line, "# %8s  %8s  %-28s  %8s  %12s\n", "Overhead", "Samples", "Symbol", "Exact", "Cycles");
  s += line;
  std::snprintf(line, sizeof line, "# %8s  %8s  %-28s  %8s  %12s\n", "........", "........",
                "............................", "........", "............");
  s += line;
  s += "#\n";
  for (const auto& [name, n] : rows) {
    const uint64_t ex = f.exact.at(name);
    if (n == 0 && ex == 0) continue;
    const double so = f.samples ? 100.0 * double(n) / double(f.samples) : 0.0;
    const double eo = total_exact ? 100.0 * double(ex) / double(total_exact) : 0.0;
    std::snprintf(line, sizeof line, "  %7.2f%%  %8llu  [.] %-24s  %7.2f%%  %12llu\n", so,
                  static_cast<unsigned long long>(n), name.c_str(), eo, static_cast<unsigned long long>(ex));
    s += line;
  }
  return s;
}

}  // namespace lockstep::observe

#include "observe/irqsoff.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "isa/program.hpp"

namespace lockstep::observe {

namespace {

// One op as the listing prints it, single-spaced ("faa r1, [next], 1").
std::string op_text(const isa::Program& p, size_t pc) {
  std::string op;
  for (char ch : isa::disassemble_instr(p, pc))
    if (ch != ' ' || (!op.empty() && op.back() != ' ')) op += ch;
  while (!op.empty() && op.back() == ' ') op.pop_back();
  return op;
}

uint64_t usecs(uint64_t cycles, double ghz) { return uint64_t(double(cycles) / (ghz * 1000.0)); }

// ftrace's delay mark (kernel/trace/trace_output.c): the gap to the next entry, in µs.
char delay_mark(uint64_t us) {
  if (us > 1000000) return '$';
  if (us > 100000) return '@';
  if (us > 10000) return '*';
  if (us > 1000) return '#';
  if (us > 100) return '!';
  if (us > 10) return '+';
  return ' ';
}

}  // namespace

IrqsOff::IrqsOff(int cores, std::string lock_file, double clock_ghz)
    : file_(std::move(lock_file)), ghz_(clock_ghz), cores_(size_t(cores)) {}

enum { kIrqs, kPreempt, kBoth, kLatency };

stats::SectionFigures IrqsOff::figures(std::vector<uint64_t> v) {
  stats::SectionFigures f;
  if (v.empty()) return f;
  std::sort(v.begin(), v.end());
  f.sections = v.size();
  f.max_cycles = v.back();
  f.p99_cycles = v[std::max<size_t>(1, size_t(std::ceil(0.99 * double(v.size())))) - 1];  // nearest rank
  for (const uint64_t x : v) f.total_cycles += x;
  return f;
}

void IrqsOff::clear() {
  for (auto& c : cores_)
    for (auto& k : c.kinds) k.clear();
  longest_ = Trace{};
}

std::string IrqsOff::where_of(const Event& e) const {
  if (e.what) return std::string("harness:") + e.what;
  if (e.arg == 1 && (e.kind == Ev::IrqsOff || e.kind == Ev::IrqsOn))
    return e.kind == Ev::IrqsOff ? "interrupt entry" : "interrupt exit";
  if (e.line > 0) return file_ + ":" + std::to_string(e.line);
  return "harness";
}

void IrqsOff::note(CoreState& c, const Event& e, std::string text) {
  if (c.irqs) return;
  ++c.cur.total_ops;
  if (c.cur.ops.size() < kMaxOps) c.cur.ops.push_back(Op{e.cycle, std::move(text), where_of(e)});
}

void IrqsOff::on(const Event& e) {
  if (e.kind == Ev::WindowOpen) {
    clear();
    counting_ = true;
    return;
  }
  if (e.kind == Ev::WindowClose) {
    counting_ = false;
    return;
  }
  if (e.core < 0 || size_t(e.core) >= cores_.size()) return;
  CoreState& c = cores_[size_t(e.core)];
  const bool either_off = !c.irqs || !c.preempt;
  switch (e.kind) {
    case Ev::IrqsOff:
      if (!c.irqs) return;
      c.irqs = false;
      c.irqs_off_at = e.cycle;
      c.cur = Trace{e.core, e.thread, e.cycle, 0, where_of(e), "", {}, 0};
      note(c, e, e.what ? std::string(e.what) : e.arg == 1 ? "irqs off (interrupt entry)" : "irq_save");
      break;
    case Ev::IrqsOn:
      if (c.irqs) return;
      note(c, e, e.what ? std::string(e.what) : e.arg == 1 ? "irqs on (interrupt exit)" : "irq_restore");
      c.irqs = true;
      if (counting_) {
        const Cycle len = e.cycle - c.irqs_off_at;
        c.kinds[kIrqs].push_back(len);
        if (longest_.core < 0 || len > longest_.end - longest_.start) {
          longest_ = std::move(c.cur);
          longest_.end = e.cycle;
          longest_.ended_at = where_of(e);
        }
      }
      c.cur = Trace{};
      break;
    case Ev::PreemptOff:
      if (!c.preempt) return;
      c.preempt = false;
      c.preempt_off_at = e.cycle;
      note(c, e, "preempt_disable");
      break;
    case Ev::PreemptOn:
      if (c.preempt) return;
      c.preempt = true;
      note(c, e, "preempt_enable");
      if (counting_) c.kinds[kPreempt].push_back(e.cycle - c.preempt_off_at);
      break;
    case Ev::IrqRaise:
      c.raised.emplace_back(e.arg, e.cycle);
      return;
    case Ev::IrqEnter: {
      note(c, e, std::string("irq_enter ") + (e.what ? e.what : "irq"));
      auto it = std::find_if(c.raised.begin(), c.raised.end(), [&](const auto& r) { return r.first == e.arg; });
      if (it != c.raised.end()) {
        if (counting_) c.kinds[kLatency].push_back(e.cycle - it->second);
        c.raised.erase(it);
      }
      return;
    }
    case Ev::IrqExit: note(c, e, std::string("irq_exit ") + (e.what ? e.what : "irq")); return;
    case Ev::Exec:
      exec_seen_ = true;
      if (!c.irqs && e.prog) {
        ++c.cur.total_ops;
        if (c.cur.ops.size() < kMaxOps)
          c.cur.ops.push_back(Op{e.cycle, op_text(*e.prog, size_t(e.arg)), e.prog->file + ":" + std::to_string(e.line)});
      }
      return;
    case Ev::AcquireCall: note(c, e, "acquire called"); return;
    case Ev::AcquireReturn: note(c, e, "acquire returned"); return;
    case Ev::ReleaseCall: note(c, e, "release called"); return;
    case Ev::ReleaseReturn: note(c, e, "release returned"); return;
    default: return;
  }
  // preempt+irqs off: from the first of the two going off to both being on again.
  const bool now_off = !c.irqs || !c.preempt;
  if (!either_off && now_off) c.either_off_at = e.cycle;
  if (either_off && !now_off && counting_) c.kinds[kBoth].push_back(e.cycle - c.either_off_at);
}

std::string IrqsOff::latency_hist_text(const std::vector<uint64_t>& cycles, double ghz) {
  constexpr uint64_t kEntries = 10240;  // latency_hist.c: MAX_ENTRY_NUM buckets of 1 µs
  std::vector<uint64_t> hist;
  uint64_t beyond = 0, sum = 0, lo = UINT64_MAX, hi = 0;
  for (const uint64_t c : cycles) {
    const uint64_t us = usecs(c, ghz);
    lo = std::min(lo, us);
    hi = std::max(hi, us);
    sum += us;
    if (us >= kEntries) {
      ++beyond;
      continue;
    }
    if (hist.size() <= us) hist.resize(us + 1, 0);
    ++hist[us];
  }
  const bool any = !cycles.empty();
  std::string s = "#Minimum latency: " + (any ? std::to_string(lo) : "--") + " microseconds\n" +
                  "#Average latency: " + (any ? std::to_string(sum / cycles.size()) : "--") + " microseconds\n" +
                  "#Maximum latency: " + (any ? std::to_string(hi) : "--") + " microseconds\n" +
                  "#Total samples: " + std::to_string(cycles.size()) + "\n" +
                  "#There are 0 samples lower than 0 microseconds.\n" + "#There are " + std::to_string(beyond) +
                  " samples greater or equal than " + std::to_string(kEntries) + " microseconds.\n";
  char row[64];
  std::snprintf(row, sizeof row, "#usecs\t%16s\n", "samples");
  s += row;
  for (size_t us = 0; us < hist.size(); ++us) {  // rows up to the maximum (the kernel prints all 10240)
    std::snprintf(row, sizeof row, "%6zu\t%16llu\n", us, static_cast<unsigned long long>(hist[us]));
    s += row;
  }
  return s;
}

std::string IrqsOff::trace_text() const {
  const Trace& t = longest_;
  if (t.core < 0) return "";
  const uint64_t len = t.end - t.start;
  std::string s = "# tracer: irqsoff\n#\n# irqsoff latency trace v1.1.5 on lockstep\n";
  s += "# --------------------------------------------------------------------\n";
  s += "# latency: " + std::to_string(usecs(len, ghz_)) + " us, #" + std::to_string(t.ops.size()) + "/" +
       std::to_string(t.total_ops) + ", CPU#" + std::to_string(t.core) + " | (M:preempt VP:0, KP:0, SP:0 HP:0 #P:" +
       std::to_string(cores_.size()) + ")\n";
  s += "#    -----------------\n";
  s += "#    | task: thread-" + std::to_string(t.thread) + " (cycles " + std::to_string(t.start) + " to " +
       std::to_string(t.end) + ": " + std::to_string(len) + " cycles)\n";
  s += "#    -----------------\n";
  s += "#  => started at: " + t.started_at + "\n";
  s += "#  => ended at:   " + t.ended_at + "\n#\n";
  if (!exec_seen_) s += "# (micro-ops not listed: run with run.fast_forward: false or a profile to see them)\n";
  s += "#\n";
  s += "#                  _------=> CPU#\n"
       "#                 / _-----=> irqs-off\n"
       "#                | / _----=> need-resched\n"
       "#                || / _---=> hardirq/softirq\n"
       "#                ||| / _--=> preempt-depth\n"
       "#                |||| /     delay\n"
       "#  cmd     pid   ||||| time  |   caller\n"
       "#     \\   /      |||||  \\    |   /\n";
  // Time column: cycles from the section's start (ftrace prints µs; a simulator has cycles).
  bool hard = false;
  for (size_t i = 0; i < t.ops.size(); ++i) {
    const Op& o = t.ops[i];
    if (o.text.rfind("irq_enter", 0) == 0) hard = true;
    const Cycle next = i + 1 < t.ops.size() ? t.ops[i + 1].at : t.end;
    char line[96];
    std::snprintf(line, sizeof line, "%8s-%-5d %d%c.%c. %7llucy%c: ", ("thread-" + std::to_string(t.thread)).c_str(),
                  t.thread, t.core, 'd', hard ? 'h' : '.', static_cast<unsigned long long>(o.at - t.start),
                  delay_mark(usecs(next - o.at, ghz_)));
    s += line + o.text + " <-" + o.where + "\n";
    if (o.text.rfind("irq_exit", 0) == 0) hard = false;
  }
  return s;
}

void IrqsOff::fill(stats::Point& out) const {
  out.irq.present = true;
  stats::Sections* s[4] = {&out.irq.irqsoff, &out.irq.preemptoff, &out.irq.preemptirqsoff, &out.irq.irq_latency};
  const char* names[3] = {"irqsoff", "preemptoff", "preemptirqsoff"};
  for (int i = 0; i < 4; ++i) {
    std::vector<uint64_t> all;
    for (const CoreState& c : cores_) {
      s[i]->per_core.push_back(figures(c.kinds[i]));
      all.insert(all.end(), c.kinds[i].begin(), c.kinds[i].end());
    }
    s[i]->all = figures(std::move(all));
  }
  for (int i = 0; i < 3; ++i)
    for (size_t k = 0; k < cores_.size(); ++k)
      out.files.emplace_back(std::string("latency_hist/") + names[i] + "/CPU" + std::to_string(k),
                             latency_hist_text(cores_[k].kinds[i], ghz_));
  const std::string tr = trace_text();
  if (!tr.empty()) out.files.emplace_back("irqsoff_trace.txt", tr);
}

}  // namespace lockstep::observe

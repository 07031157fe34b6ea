#include "trace/step.hpp"

#include <cstdio>
#include <cstring>

namespace lockstep::trace {

StepTable::StepTable(const Context& ctx, std::vector<bool> stable, std::ostream& out, int max_rows, bool warmup,
                     bool transients)
    : ctx_(ctx), names_(ctx_), stable_(std::move(stable)), out_(out), max_rows_(max_rows),
      recording_(warmup || !ctx.warmup) {
  for (size_t s = 0; s < ctx_.states.size(); ++s) {
    std::string n = ctx_.states[s];
    if (!transients && !stable_[s]) {
      // "IS_AD": from I to S, waiting for A(ddress: the bus) and D(ata): still I.
      const std::string from = n.substr(0, 1);
      for (size_t k = 0; k < ctx_.states.size(); ++k)
        if (stable_[k] && ctx_.states[k] == from && n.size() > 2 && n.find('_') != std::string::npos) n = from;
    }
    shown_.push_back(n);
  }
}

void StepTable::header() {
  if (headed_) return;
  headed_ = true;
  char b[256];
  std::snprintf(b, sizeof b, "%8s  %-4s  %-*s  %-*s  %-8s", "cycle", "core", int(op_width_), "micro-op", int(var_width_),
                "variable", "request");
  out_ << b;
  for (int c = 0; c < ctx_.cores; ++c) out_ << " " << (c < 10 ? " " : "") << "P" << c;
  out_ << "\n";
}

void StepTable::row(int core, uint64_t line, const Pending& p) {
  header();
  char b[512];
  std::snprintf(b, sizeof b, "%8llu  P%-3d  %-*s  %-*s  %-8s", static_cast<unsigned long long>(p.at), core, int(op_width_),
                p.op.c_str(), int(var_width_), p.var.c_str(), p.request.c_str());
  out_ << b;
  for (int c = 0; c < ctx_.cores; ++c) {
    const std::string& s = shown(ctx_.state(c, line));
    out_ << " " << std::string(s.size() < 3 ? 3 - s.size() : 0, ' ') << s;
  }
  out_ << "\n";
  if (++rows_ >= max_rows_) throw StepLimit();
}

void StepTable::on(const observe::Event& e) {
  using observe::Ev;
  if (e.kind == Ev::WindowOpen) {
    if (!recording_) out_ << "-- warm-up over at cycle " << e.cycle << " --\n";
    recording_ = true;
    return;
  }
  auto open = [&](int core) {
    Pending p;
    p.at = e.cycle;
    p.op = ctx_.op(core);
    p.var = names_.access(core, e.addr);
    p.request = e.what;
    return p;
  };
  switch (e.kind) {
    case Ev::BusGrant: {
      Pending p = open(e.core);
      if (e.arg) p.request += "+PutM";
      pending_[{e.core, e.addr}] = std::move(p);
      break;
    }
    case Ev::BusDone: {
      auto it = pending_.find({e.core, e.addr});
      if (it == pending_.end()) break;
      const Pending p = std::move(it->second);
      pending_.erase(it);
      if (recording_) row(e.core, e.addr, p);
      break;
    }
    case Ev::NetSend:
      // A core's request to its home (not the Data it writes back on a Fwd-GetS).
      if (e.core >= 0 && e.peer < 0 && (std::strncmp(e.what, "Get", 3) == 0 || std::strncmp(e.what, "Put", 3) == 0) &&
          !pending_.count({e.core, e.addr}))
        pending_[{e.core, e.addr}] = open(e.core);
      break;
    case Ev::NetDeliver: {
      // The requester's transaction is over once its line is stable again.
      const int c = e.peer;
      if (c < 0) break;
      auto it = pending_.find({c, e.addr});
      if (it == pending_.end() || !stable_[size_t(ctx_.state(c, e.addr))]) break;
      const Pending p = std::move(it->second);
      pending_.erase(it);
      if (recording_) row(c, e.addr, p);
      break;
    }
    default: break;
  }
}

}  // namespace lockstep::trace

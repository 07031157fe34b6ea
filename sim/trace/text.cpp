#include "trace/text.hpp"

#include <cstdio>

#include "common/error.hpp"

namespace lockstep::trace {

TextWriter::TextWriter(const std::string& path, const Context& ctx, const Options& opt)
    : ctx_(ctx), names_(ctx_), out_(path), recording_(opt.warmup || !ctx.warmup) {
  if (!out_) throw InputError("--trace: cannot write " + path);
  out_ << "# lockstep trace: cycle, then the event (docs/trace.md)\n";
  out_ << "# bus: cycle requester request variable line address data from-whom inv copies busy bus-cycles\n";
  out_ << "# directory: cycle message from to variable line address acks N (on arrival)\n";
  out_ << "# lock lines:";
  for (uint64_t l : names_.lock_lines()) out_ << " " << names_.line(l) << "=" << std::hex << "0x" << l * uint64_t(ctx_.line_bytes) << std::dec;
  out_ << "\n";
  if (!recording_) out_ << "# the warm-up is left out (--trace-warmup keeps it)\n";
}

void TextWriter::on(const observe::Event& e) {
  using observe::Ev;
  if (e.kind == Ev::WindowOpen) {
    recording_ = true;
    if (ctx_.warmup) out_ << e.cycle << " warm-up ends: counters reset\n";
    return;
  }
  if (!recording_) return;
  auto line_of = [&](int core, uint64_t line) {  // "node[1]+8 line 0x10080"
    char b[48];
    std::snprintf(b, sizeof b, " line 0x%llx", static_cast<unsigned long long>(line * uint64_t(ctx_.line_bytes)));
    return names_.access(core, line) + b;
  };
  switch (e.kind) {
    case Ev::AcquireCall: out_ << e.cycle << " core" << e.core << " acquire-call\n"; break;
    case Ev::AcquireReturn: out_ << e.cycle << " core" << e.core << (e.arg ? " acquire-return\n" : " acquire-fail\n"); break;
    case Ev::ReleaseCall: out_ << e.cycle << " core" << e.core << " release-call\n"; break;
    case Ev::ReleaseReturn: out_ << e.cycle << " core" << e.core << " release-return\n"; break;
    case Ev::WindowClose: out_ << e.cycle << " window closes\n"; break;
    case Ev::Tracepoint:
      out_ << e.cycle << " core" << e.core << " tracepoint " << (e.what ? e.what : "?") << " line " << e.line << "\n";
      break;
    case Ev::IrqRaise: case Ev::IrqEnter: case Ev::IrqExit:
      out_ << e.cycle << " core" << e.core << (e.kind == Ev::IrqRaise ? " irq-raise " : e.kind == Ev::IrqEnter ? " irq-enter " : " irq-exit ")
           << (e.what ? e.what : "?") << " id " << e.arg << "\n";
      break;
    case Ev::IrqsOff: case Ev::IrqsOn:
      out_ << e.cycle << " core" << e.core << (e.kind == Ev::IrqsOff ? " irqs-off" : " irqs-on")
           << (e.what ? std::string(" ") + e.what : std::string()) << (e.arg ? " (interrupt)" : "") << "\n";
      break;
    case Ev::PreemptOff: out_ << e.cycle << " core" << e.core << " preempt-off\n"; break;
    case Ev::PreemptOn: out_ << e.cycle << " core" << e.core << " preempt-on\n"; break;
    case Ev::BusGrant:
      out_ << e.cycle << " core" << e.core << " " << e.what << " " << line_of(e.core, e.addr) << " data "
           << (e.peer == -2 ? "none" : e.peer >= 0 ? "core" + std::to_string(e.peer) : std::string("memory")) << " inv "
           << e.count << " busy " << e.dur << (e.arg ? " +PutM" : "") << "\n";
      break;
    case Ev::NetDeliver:
      out_ << e.cycle << " " << e.what << (e.arg ? "-Excl" : "") << " "
           << (e.core >= 0 ? "core" + std::to_string(e.core) : "home" + std::to_string(e.home)) << " "
           << (e.peer >= 0 ? "core" + std::to_string(e.peer) : "home" + std::to_string(e.home)) << " " << line_of(-1, e.addr)
           << " acks " << e.count << "\n";
      break;
    default: break;
  }
}

void TextWriter::finish(Cycle end) {
  out_ << "# end at cycle " << end << "\n";
  out_.flush();
}

}  // namespace lockstep::trace

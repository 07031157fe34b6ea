#include "trace/perfetto.hpp"

#include <algorithm>
#include <cstring>

#include <nlohmann/json.hpp>

#include "common/error.hpp"

namespace lockstep::trace {

namespace {
constexpr int kCoresPid = 1, kNetPid = 2, kBusTid = 0;

nlohmann::ordered_json meta(const char* what, int pid, int tid, const std::string& name) {
  nlohmann::ordered_json j;
  j["ph"] = "M";
  j["name"] = what;
  j["pid"] = pid;
  j["tid"] = tid;
  j["args"] = {{"name", name}};
  return j;
}

std::string who(int core, int home) {
  return core >= 0 ? "core" + std::to_string(core) : "home" + std::to_string(home);
}
}  // namespace

PerfettoWriter::PerfettoWriter(const std::string& path, const Context& ctx, const Options& opt)
    : ctx_(ctx), names_(ctx_), out_(path), recording_(opt.warmup || !ctx.warmup), cores_(size_t(ctx.cores)) {
  if (!out_) throw InputError("--trace: cannot write " + path);
  out_ << "{\"otherData\":{\"time_unit\":\"1 us on the time axis = 1 cycle\"},\n\"traceEvents\":[\n";
  put(meta("process_name", kCoresPid, 0, "cores"));
  put(meta("process_sort_index", kCoresPid, 0, "0"));
  for (int c = 0; c < ctx.cores; ++c) {
    put(meta("thread_name", kCoresPid, c, "core " + std::to_string(c)));
    nlohmann::ordered_json s = meta("thread_sort_index", kCoresPid, c, "");
    s["args"] = {{"sort_index", c}};
    put(s);
  }
  put(meta("process_name", kNetPid, 0, "interconnect"));
  put(meta("thread_name", kNetPid, kBusTid, "bus"));
  put(meta("thread_name", kNetPid, 1, "network"));
}

void PerfettoWriter::put(const nlohmann::ordered_json& j) {
  out_ << (first_ ? "" : ",\n") << j.dump();
  first_ = false;
}

void PerfettoWriter::span(int core, const char* next, Cycle at) {
  if (core < 0 || core >= ctx_.cores) return;
  Core& c = cores_[size_t(core)];
  if (c.phase && recording_ && at >= window_) {
    const Cycle from = std::max(c.since, window_);
    nlohmann::ordered_json j;
    j["ph"] = "X";
    j["name"] = c.phase;
    j["cat"] = "lock";
    j["pid"] = kCoresPid;
    j["tid"] = core;
    j["ts"] = from;
    j["dur"] = at - from;
    put(j);
  }
  c.phase = next;
  c.since = at;
}

void PerfettoWriter::on(const observe::Event& e) {
  using observe::Ev;
  switch (e.kind) {
    case Ev::WindowOpen:
      recording_ = true;
      window_ = e.cycle;
      return;
    case Ev::AcquireCall: span(e.core, "acquire-wait", e.cycle); return;
    case Ev::AcquireReturn: span(e.core, e.arg ? "critical-section" : "retry-wait", e.cycle); return;
    case Ev::ReleaseCall: span(e.core, "release", e.cycle); return;
    case Ev::ReleaseReturn: span(e.core, "outside", e.cycle); return;
    default: break;
  }
  if (!recording_) return;
  if (core_event(e)) return;
  nlohmann::ordered_json j;
  const std::string var = names_.access(e.core, e.addr);
  if (e.kind == Ev::BusGrant) {
    const std::string from = e.peer == -2 ? "none" : e.peer >= 0 ? "core" + std::to_string(e.peer) : "memory";
    // The request, on the requester's track.
    j["ph"] = "i";
    j["s"] = "t";
    j["name"] = std::string(e.what) + " " + var;
    j["cat"] = "coherence";
    j["pid"] = kCoresPid;
    j["tid"] = e.core;
    j["ts"] = e.cycle;
    j["args"] = {{"request", e.what}, {"variable", var}, {"line", e.addr * uint64_t(ctx_.line_bytes)}, {"data", from},
                 {"invalidated", e.count}};
    put(j);
    // Its tenure, on the bus's track.
    j = nlohmann::ordered_json();
    j["ph"] = "X";
    j["name"] = std::string(e.what) + " " + var + " core" + std::to_string(e.core);
    j["cat"] = "bus";
    j["pid"] = kNetPid;
    j["tid"] = kBusTid;
    j["ts"] = e.cycle;
    j["dur"] = e.dur;
    j["args"] = {{"requester", e.core}, {"data", from}, {"invalidated", e.count}, {"putm", e.arg != 0}};
    put(j);
  } else if (e.kind == Ev::NetSend) {
    const std::string name = std::string(e.what) + (e.arg ? "-Excl" : "") + " " + var;
    // A core's request to its home (GetS, GetM, PutM...; not the Data it writes back).
    const bool request = e.core >= 0 && e.peer < 0 && (std::strncmp(e.what, "Get", 3) == 0 || std::strncmp(e.what, "Put", 3) == 0);
    if (request) {
      j["ph"] = "i";
      j["s"] = "t";
      j["name"] = name;
      j["cat"] = "coherence";
      j["pid"] = kCoresPid;
      j["tid"] = e.core;
      j["ts"] = e.cycle;
      j["args"] = {{"request", e.what}, {"variable", var}, {"line", e.addr * uint64_t(ctx_.line_bytes)}, {"home", e.home}};
      put(j);
    }
    // The message in flight: an async span (messages overlap, so each gets its own lane).
    const uint64_t id = ++msg_id_;
    j = nlohmann::ordered_json();
    j["ph"] = "b";
    j["name"] = name;
    j["cat"] = "network";
    j["id"] = id;
    j["pid"] = kNetPid;
    j["tid"] = 1;
    j["ts"] = e.cycle;
    j["args"] = {{"from", who(e.core, e.home)}, {"to", who(e.peer, e.home)}, {"acks", e.count}};
    put(j);
    j = nlohmann::ordered_json();
    j["ph"] = "e";
    j["name"] = name;
    j["cat"] = "network";
    j["id"] = id;
    j["pid"] = kNetPid;
    j["tid"] = 1;
    j["ts"] = e.cycle + e.dur;
    put(j);
  }
}

// Tracepoints (instant events) and interrupt activity (async spans on the core's track):
// handlers from IrqEnter to IrqExit, irqs-off sections from IrqsOff to IrqsOn.
bool PerfettoWriter::core_event(const observe::Event& e) {
  using observe::Ev;
  if (e.core < 0 || e.core >= ctx_.cores) return e.kind == Ev::Tracepoint || (e.kind >= Ev::IrqsOff && e.kind <= Ev::Exec);
  nlohmann::ordered_json j;
  j["pid"] = kCoresPid;
  j["tid"] = e.core;
  j["ts"] = e.cycle;
  Core& c = cores_[size_t(e.core)];
  auto async = [&](const char* ph, const std::string& name, const char* cat, uint64_t id) {
    j["ph"] = ph;
    j["name"] = name;
    j["cat"] = cat;
    j["id"] = id;
  };
  switch (e.kind) {
    case Ev::Tracepoint:
      j["ph"] = "i";
      j["s"] = "t";
      j["name"] = e.what ? e.what : "tracepoint";
      j["cat"] = "tracepoint";
      j["args"] = {{"line", e.line}};
      break;
    case Ev::IrqEnter:
    case Ev::IrqExit: {
      // The raise id names the handler's span; offset so it never meets a message's id.
      const std::string name = std::string("irq ") + (e.what ? e.what : "");
      async(e.kind == Ev::IrqEnter ? "b" : "e", name, "irq", (uint64_t(1) << 40) + e.arg);
      break;
    }
    case Ev::IrqsOff:
      if (c.irqs_off_id) return true;
      c.irqs_off_id = (uint64_t(2) << 40) + ++irqs_off_spans_;
      async("b", "irqs-off", "irqsoff", c.irqs_off_id);
      j["args"] = {{"by", e.what ? e.what : (e.arg ? "interrupt entry" : "irq_save")}};
      break;
    case Ev::IrqsOn:
      if (!c.irqs_off_id) return true;
      async("e", "irqs-off", "irqsoff", c.irqs_off_id);
      c.irqs_off_id = 0;
      break;
    default: return e.kind >= Ev::IrqsOff && e.kind <= Ev::Exec;  // nothing drawn for the others
  }
  put(j);
  return true;
}

void PerfettoWriter::finish(Cycle end) {
  (void)end;  // spans still open (a thread that finished has none) are left out
  out_ << "\n]}\n";
  out_.flush();
}

}  // namespace lockstep::trace

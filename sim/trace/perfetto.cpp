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

void PerfettoWriter::finish(Cycle end) {
  (void)end;  // spans still open (a thread that finished has none) are left out
  out_ << "\n]}\n";
  out_.flush();
}

}  // namespace lockstep::trace

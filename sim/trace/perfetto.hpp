// --trace perfetto: DIR/points/POINT/trace.json in Chrome's trace-event format (the JSON
// that ui.perfetto.dev and chrome://tracing open). Time axis: 1 µs = 1 cycle.
//   process "cores"        one track (tid) per core: complete events (ph X) acquire-wait,
//                          critical-section, release, outside; coherence requests as instant
//                          events (ph i) named "GetM owner" on the requesting core's track
//   process "interconnect" track "bus": one complete event per bus tenure; network messages
//                          as async spans (ph b/e, category "network"), send to arrival
#pragma once
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "trace/names.hpp"
#include "trace/writer.hpp"

namespace lockstep::trace {

class PerfettoWriter : public Writer {
 public:
  PerfettoWriter(const std::string& path, const Context& ctx, const Options& opt);
  void on(const observe::Event& e) override;
  void finish(Cycle end) override;

 private:
  struct Core {
    const char* phase = nullptr;  // the span in progress (nullptr: none yet)
    Cycle since = 0;
    uint64_t irqs_off_id = 0;     // the open irqs-off span's id (0: interrupts on)
  };
  bool core_event(const observe::Event& e);  // tracepoints, irqs: true when handled
  uint64_t irqs_off_spans_ = 0;
  void put(const nlohmann::ordered_json& j);
  void span(int core, const char* next, Cycle at);  // ends the core's span, starts `next`

  Context ctx_;
  Names names_;
  std::ofstream out_;
  bool recording_;
  Cycle window_ = 0;  // spans start no earlier than this (the warm-up's end)
  bool first_ = true;
  uint64_t msg_id_ = 0;
  std::vector<Core> cores_;
};

}  // namespace lockstep::trace

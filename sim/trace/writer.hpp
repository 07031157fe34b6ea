// Trace writers (docs/trace.md): observers of the event stream that write one file each.
//   text      trace.txt   one line per coherence transaction / message and per lock event
//   perfetto  trace.json  Chrome trace-event JSON (ui.perfetto.dev, chrome://tracing)
//   vcd       trace.vcd   each lock line's state in every L1, for GTKWave
// Writers leave out the warm-up unless asked (Options::warmup): they start at WindowOpen.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "engine/engine.hpp"
#include "observe/event.hpp"
#include "trace/context.hpp"

namespace lockstep::trace {

class Writer : public observe::Observer {
 public:
  // Writes what is still buffered; `end` is the last cycle of the run. Called once.
  virtual void finish(Cycle end) = 0;
};

// "text", "perfetto,vcd", ...: the formats, in the order given, without repeats. Throws
// InputError ("--trace: unknown format 'xml' (expected text, perfetto or vcd)").
std::vector<std::string> parse_formats(const std::string& list);

// The file of `format` beside `text_path` (DIR/points/POINT/trace.txt -> trace.json, trace.vcd).
std::string file_for(const std::string& format, const std::string& text_path);

struct Options {
  bool warmup = false;  // include the warm-up
};

std::unique_ptr<Writer> make_writer(const std::string& format, const std::string& path, const Context& ctx,
                                    const Options& opt);

}  // namespace lockstep::trace

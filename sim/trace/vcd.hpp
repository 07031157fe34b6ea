// --trace vcd: DIR/points/POINT/trace.vcd, a Value Change Dump (IEEE 1364 §18) that GTKWave
// opens: one signal per (lock line, L1), scope = the line's variable, signal = P0..Pn-1,
// value = the L1's coherence state encoded as a binary number (the protocol's state index;
// the encoding is in the file's $comment and in trace.vcd.states, a GTKWave translate-filter
// file). Timescale: 1 ns = 1 cycle. A state is sampled when the fabric touches the line (bus
// grant and completion, message arrival) and once more at the end, so a silent change (an
// E -> M store hit, an eviction) shows at the line's next transaction (docs/trace.md).
#pragma once
#include <fstream>
#include <string>
#include <vector>

#include "trace/names.hpp"
#include "trace/writer.hpp"

namespace lockstep::trace {

class VcdWriter : public Writer {
 public:
  VcdWriter(const std::string& path, const Context& ctx, const Options& opt);
  void on(const observe::Event& e) override;
  void finish(Cycle end) override;

 private:
  void header(Cycle at);
  void sample(uint64_t line, size_t li, Cycle at);
  void flush();  // writes the changes of pending_time_ (the last value of each signal only)
  std::string value(int state) const;

  Context ctx_;
  Names names_;
  std::string path_;
  std::ofstream out_;
  bool recording_;
  bool started_ = false;
  Cycle last_time_ = 0;
  int bits_ = 1;
  std::vector<std::string> ids_;  // per (line index, core)
  std::vector<int> shown_;        // per (line index, core): the value last written
  std::vector<int> cur_;          // per (line index, core): the value at pending_time_
  std::vector<size_t> dirty_;     // signals sampled at pending_time_
  Cycle pending_time_ = 0;
};

}  // namespace lockstep::trace

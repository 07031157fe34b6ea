// --trace text: DIR/points/POINT/trace.txt, one line per event, in time order:
//   CYCLE coreN REQUEST VARIABLE line 0xADDR data FROM inv N busy N [+PutM]   (snooping bus)
//   CYCLE MESSAGE FROM TO VARIABLE line 0xADDR acks N                         (directory, on arrival)
//   CYCLE coreN acquire-call | acquire-return | release-call | release-return
#pragma once
#include <fstream>
#include <string>

#include "trace/names.hpp"
#include "trace/writer.hpp"

namespace lockstep::trace {

class TextWriter : public Writer {
 public:
  TextWriter(const std::string& path, const Context& ctx, const Options& opt);
  void on(const observe::Event& e) override;
  void finish(Cycle end) override;

 private:
  Context ctx_;
  Names names_;
  std::ofstream out_;
  bool recording_;
};

}  // namespace lockstep::trace

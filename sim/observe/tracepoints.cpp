#include "observe/tracepoints.hpp"

namespace lockstep::observe {

TracepointCounter::TracepointCounter(const std::vector<std::string>& names) {
  for (const auto& n : names) counts_[n] = 0;
}

void TracepointCounter::on(const Event& e) {
  switch (e.kind) {
    case Ev::WindowOpen:  // the warm-up's executions do not count
      for (auto& [name, n] : counts_) n = 0;
      break;
    case Ev::WindowClose: closed_ = true; break;
    case Ev::Tracepoint:
      if (!closed_ && e.what) ++counts_[e.what];
      break;
    default: break;
  }
}

}  // namespace lockstep::observe

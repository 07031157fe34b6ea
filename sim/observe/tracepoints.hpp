// Counts `trace NAME` executions per name in the measured window (stats.json
// `tracepoints.{NAME: count}`), from the Tracepoint events of the stream. Subscribed only when
// the lock has tracepoint sites and workload.tracepoints is nop or on.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "observe/event.hpp"
#include "stats/stats.hpp"

namespace lockstep::observe {

class TracepointCounter : public Observer {
 public:
  // `names`: every tracepoint the lock uses, so a site never reached still reports 0.
  explicit TracepointCounter(const std::vector<std::string>& names);
  void on(const Event& e) override;
  void fill(stats::Point& out) const { out.tracepoints = counts_; }
  const std::map<std::string, uint64_t>& counts() const { return counts_; }

 private:
  std::map<std::string, uint64_t> counts_;
  bool closed_ = false;
};

}  // namespace lockstep::observe

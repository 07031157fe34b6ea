// Hardware counters of the calling thread through perf_event_open(2), where the kernel and
// the container allow it (perf_event_paranoid, seccomp, a VM without a virtual PMU). A
// counter that cannot be opened is absent from the result, never reported as zero.
#pragma once
#include <cstdint>
#include <map>
#include <string>

namespace lockstep::native {

class ThreadCounters {
 public:
  ThreadCounters();            // opens what it can for the calling thread (user space only)
  ~ThreadCounters();
  ThreadCounters(const ThreadCounters&) = delete;
  ThreadCounters& operator=(const ThreadCounters&) = delete;
  void start();
  void stop();
  // name -> count, scaled when the kernel multiplexed the counter; only counters that opened.
  std::map<std::string, double> read() const;
  bool any() const;
  const std::string& error() const { return error_; }   // why the first counter failed

 private:
  struct Counter { std::string name; int fd = -1; };
  Counter c_[4];
  std::string error_;
};

// "available" when a cycles counter opens for this thread, otherwise the reason.
std::string perf_status();

}  // namespace lockstep::native

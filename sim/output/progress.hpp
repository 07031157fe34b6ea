// Progress of a run on stderr (docs/scale.md "Progress"): a line per finished point with
// points done/total, elapsed time and an estimate of the time left, and a heartbeat line for
// every point still running after heartbeat_seconds (then again every heartbeat_seconds),
// with the simulated cycle and acquisitions the point last reported through update().
// Host time only ever goes here, never into result files.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace lockstep::output {

// "4.2 s", "3 min 05 s", "2 h 07 min"
std::string human_duration(double seconds);

class Progress {
 public:
  // out == nullptr: silent, no thread. `reused` runs are counted as done from the start.
  Progress(std::ostream* out, size_t total, size_t reused, double heartbeat_seconds);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  size_t started(const std::string& label);  // a slot for finished()
  void finished(size_t slot);
  // Where a running point stands (from the simulation loop, any thread): `expected` is the
  // acquisitions it will make in all (0 = not known ahead, as in time-window mode).
  void update(size_t slot, uint64_t cycle, int64_t acquisitions, int64_t expected);
  void stop();                               // ends the heartbeat thread (idempotent)

 private:
  struct Running {
    std::string label;
    std::chrono::steady_clock::time_point since, last_beat;
    bool active = false;
    bool reported = false;  // update() was called
    uint64_t cycle = 0;
    int64_t acquisitions = 0, expected = 0;
  };
  void beat_loop();

  std::ostream* out_;
  size_t total_, reused_, done_ = 0;
  double heartbeat_;
  std::chrono::steady_clock::time_point start_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::vector<Running> running_;
  std::thread thread_;
};

}  // namespace lockstep::output

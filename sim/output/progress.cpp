#include "output/progress.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ostream>

namespace lockstep::output {

using Clock = std::chrono::steady_clock;

std::string human_duration(double s) {
  char buf[64];
  if (!(s >= 0) || !std::isfinite(s)) s = 0;
  if (s < 60) std::snprintf(buf, sizeof buf, "%.1f s", s);
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%d min %02d s", int(s / 60), int(s) % 60);
  else std::snprintf(buf, sizeof buf, "%d h %02d min", int(s / 3600), int(s / 60) % 60);
  return buf;
}

Progress::Progress(std::ostream* out, size_t total, size_t reused, double heartbeat_seconds)
    : out_(out), total_(total), reused_(reused), heartbeat_(heartbeat_seconds), start_(Clock::now()) {
  if (!out_) return;
  if (reused_) *out_ << "resume: " << reused_ << " run(s) kept from the folder, " << total_ << " to simulate\n";
  if (heartbeat_ > 0) thread_ = std::thread([this] { beat_loop(); });
}

Progress::~Progress() { stop(); }

void Progress::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

size_t Progress::started(const std::string& label) {
  if (!out_) return 0;
  std::lock_guard<std::mutex> lock(mu_);
  const auto now = Clock::now();
  for (size_t i = 0; i < running_.size(); ++i)
    if (!running_[i].active) {
      running_[i] = Running{label, now, now, true};
      return i;
    }
  running_.push_back(Running{label, now, now, true});
  return running_.size() - 1;
}

void Progress::finished(size_t slot) {
  if (!out_) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (slot >= running_.size() || !running_[slot].active) return;
  running_[slot].active = false;
  ++done_;
  const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
  const double eta = elapsed / double(done_) * double(total_ - done_);
  *out_ << "[" << done_ << "/" << total_ << "] " << running_[slot].label << " done; elapsed "
        << human_duration(elapsed);
  if (done_ < total_) *out_ << ", ETA " << human_duration(eta);
  *out_ << "\n" << std::flush;
}

void Progress::update(size_t slot, uint64_t cycle, int64_t acquisitions, int64_t expected) {
  if (!out_) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (slot >= running_.size() || !running_[slot].active) return;
  Running& r = running_[slot];
  r.reported = true;
  r.cycle = cycle;
  r.acquisitions = acquisitions;
  r.expected = expected;
}

void Progress::beat_loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, std::chrono::milliseconds(200));
    if (stopping_) break;
    const auto now = Clock::now();
    for (auto& r : running_) {
      if (!r.active) continue;
      const double since_beat = std::chrono::duration<double>(now - r.last_beat).count();
      if (since_beat < heartbeat_) continue;
      r.last_beat = now;
      *out_ << "  ... " << r.label << " still running after "
            << human_duration(std::chrono::duration<double>(now - r.since).count());
      if (r.reported) {
        *out_ << ": cycle " << r.cycle << ", " << r.acquisitions;
        if (r.expected > 0) *out_ << " of " << r.expected;
        *out_ << " acquisitions";
        if (r.expected > 0) *out_ << " (" << std::min<int64_t>(100, r.acquisitions * 100 / r.expected) << "%)";
      }
      *out_ << "\n" << std::flush;
    }
  }
}

}  // namespace lockstep::output

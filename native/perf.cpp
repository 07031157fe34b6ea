#include "perf.hpp"

#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace lockstep::native {

namespace {
int open_counter(uint32_t type, uint64_t config) {
  perf_event_attr a;
  std::memset(&a, 0, sizeof a);
  a.size = sizeof a;
  a.type = type;
  a.config = config;
  a.disabled = 1;
  a.exclude_kernel = 1;   // allowed at perf_event_paranoid 2; the lock runs in user space
  a.exclude_hv = 1;
  a.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
  return int(syscall(SYS_perf_event_open, &a, 0 /* this thread */, -1, -1, 0));
}
}  // namespace

ThreadCounters::ThreadCounters() {
  const struct { const char* name; uint32_t type; uint64_t config; } want[4] = {
      {"cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES},
      {"instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS},
      {"cache_misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES},
      {"cache_references", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_REFERENCES},
  };
  for (int i = 0; i < 4; ++i) {
    c_[i].name = want[i].name;
    c_[i].fd = open_counter(want[i].type, want[i].config);
    if (c_[i].fd < 0 && error_.empty())
      error_ = std::string("perf_event_open(") + want[i].name + "): " + std::strerror(errno);
  }
}

ThreadCounters::~ThreadCounters() {
  for (auto& c : c_)
    if (c.fd >= 0) close(c.fd);
}

void ThreadCounters::start() {
  for (auto& c : c_)
    if (c.fd >= 0) { ioctl(c.fd, PERF_EVENT_IOC_RESET, 0); ioctl(c.fd, PERF_EVENT_IOC_ENABLE, 0); }
}

void ThreadCounters::stop() {
  for (auto& c : c_)
    if (c.fd >= 0) ioctl(c.fd, PERF_EVENT_IOC_DISABLE, 0);
}

bool ThreadCounters::any() const {
  for (const auto& c : c_)
    if (c.fd >= 0) return true;
  return false;
}

std::map<std::string, double> ThreadCounters::read() const {
  std::map<std::string, double> out;
  for (const auto& c : c_) {
    if (c.fd < 0) continue;
    uint64_t v[3] = {0, 0, 0};  // value, time enabled, time running
    if (::read(c.fd, v, sizeof v) != ssize_t(sizeof v)) continue;
    if (v[2] == 0) continue;    // never scheduled on the PMU: unknown, not zero
    out[c.name] = double(v[0]) * (v[2] < v[1] ? double(v[1]) / double(v[2]) : 1.0);
  }
  return out;
}

std::string perf_status() {
  ThreadCounters t;
  if (t.any()) return "available";
  return t.error().empty() ? "unavailable" : t.error();
}

}  // namespace lockstep::native

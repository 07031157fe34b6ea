#include "topology.hpp"

#include <pthread.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include "clock.hpp"
#include "perf.hpp"
#include "platform.hpp"

namespace lockstep::native {

namespace {

bool read_int(const std::string& path, int& out) {
  std::ifstream f(path);
  return bool(f >> out);
}

std::string read_line(const std::string& path) {
  std::ifstream f(path);
  std::string s;
  std::getline(f, s);
  return s;
}

std::string cpu_model_name() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line)) {
    // x86: "model name"; many AArch64 kernels only give "CPU part", so keep the first.
    for (const char* key : {"model name", "Model", "CPU part"}) {
      if (line.rfind(key, 0) == 0) {
        auto c = line.find(':');
        if (c != std::string::npos) {
          auto v = line.substr(c + 1);
          v.erase(0, v.find_first_not_of(" \t"));
          return v;
        }
      }
    }
  }
  return "";
}

std::string detect_hypervisor() {
#if defined(__x86_64__)
  // CPUID.1:ECX bit 31 is set by every mainstream hypervisor; leaf 0x40000000 names it.
  unsigned a, b, c, d;
  if (__get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 31))) {
    __cpuid(0x40000000, a, b, c, d);
    char name[13];
    std::memcpy(name, &b, 4);
    std::memcpy(name + 4, &c, 4);
    std::memcpy(name + 8, &d, 4);
    name[12] = 0;
    std::string s(name);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
    // Some vendor strings repeat a 4-character name ("bhyve bhyve "): keep the first word.
    if (auto sp = s.find(' '); sp != std::string::npos && s.substr(sp + 1) == s.substr(0, sp)) s.resize(sp);
    return s.empty() ? "unknown (cpuid hypervisor bit)" : s;
  }
#endif
  std::string t = read_line("/sys/hypervisor/type");
  if (!t.empty()) return t;
  // systemd-detect-virt knows AArch64 hypervisors via DMI/device tree; only if installed.
  if (access("/usr/bin/systemd-detect-virt", X_OK) == 0 || access("/bin/systemd-detect-virt", X_OK) == 0) {
    if (FILE* p = popen("systemd-detect-virt --vm 2>/dev/null", "r")) {
      char buf[64] = {0};
      if (fgets(buf, sizeof buf, p)) {
        std::string s(buf);
        while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
        pclose(p);
        if (!s.empty() && s != "none") return s;
      } else {
        pclose(p);
      }
    }
  }
  return "";
}

}  // namespace

Topology read_topology() {
  Topology t;
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> ids;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    for (int i = 0; i < CPU_SETSIZE; ++i)
      if (CPU_ISSET(i, &set)) ids.push_back(i);
  } else {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    for (int i = 0; i < n; ++i) ids.push_back(i);
  }
  std::map<std::pair<int, int>, int> seen;  // (package, core) -> hardware threads so far
  for (int id : ids) {
    Cpu c;
    c.id = id;
    std::string dir = "/sys/devices/system/cpu/cpu" + std::to_string(id) + "/topology/";
    if (!read_int(dir + "physical_package_id", c.package)) c.package = 0;
    if (!read_int(dir + "core_id", c.core)) c.core = id;
    c.smt_index = seen[{c.package, c.core}]++;
    t.cpus.push_back(c);
  }
  std::set<int> packages;
  for (const auto& c : t.cpus) packages.insert(c.package);
  t.packages = int(packages.size());
  t.cores = int(seen.size());
  for (const auto& [k, n] : seen)
    if (n > 1) t.smt = true;
  // Fill one package's cores before the next (cross-socket handoffs appear only when the
  // thread count needs them) and use SMT siblings last, as a lock study on N cores expects.
  std::stable_sort(t.cpus.begin(), t.cpus.end(), [](const Cpu& a, const Cpu& b) {
    if (a.smt_index != b.smt_index) return a.smt_index < b.smt_index;
    if (a.package != b.package) return a.package < b.package;
    return a.core < b.core;
  });
  return t;
}

bool pin_to_cpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
}

Environment read_environment() {
  Environment e;
  e.arch = hw::kArch;
  e.cpu_model = cpu_model_name();
  e.hypervisor = detect_hypervisor();
  e.virtualized = !e.hypervisor.empty();
  e.topo = read_topology();
  e.tick_hz = tick_rate().hz;
  e.tick_rate_stated = tick_rate().stated;
  e.perf_events = perf_status();
  return e;
}

nlohmann::ordered_json environment_json(const Environment& e, double clock_ghz, int threads) {
  nlohmann::ordered_json j;
  j["arch"] = e.arch;
  j["cpu_model"] = e.cpu_model;
  j["virtualized"] = e.virtualized;
  j["hypervisor"] = e.hypervisor.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(e.hypervisor);
  j["usable_cpus"] = e.topo.cpus.size();
  j["physical_cores"] = e.topo.cores;
  j["packages"] = e.topo.packages;
  j["smt"] = e.topo.smt;
  j["threads"] = threads;
  j["oversubscribed"] = threads > int(e.topo.cpus.size());
  int on_siblings = 0;
  for (int i = 0; i < threads && i < int(e.topo.cpus.size()); ++i)
    if (e.topo.cpus[size_t(i)].smt_index > 0) ++on_siblings;
  j["threads_on_smt_siblings"] = on_siblings;
  nlohmann::ordered_json pl = nlohmann::ordered_json::array();
  for (int i = 0; i < threads && !e.topo.cpus.empty(); ++i) pl.push_back(e.topo.cpus[size_t(i) % e.topo.cpus.size()].id);
  j["placement"] = pl;
  j["counter_hz"] = e.tick_hz;
  j["counter_rate"] = e.tick_rate_stated ? "stated (cntfrq_el0)" : "measured against CLOCK_MONOTONIC_RAW";
  j["requested_clock_ghz"] = clock_ghz;
  j["cycles_per_tick"] = clock_ghz * 1e9 / e.tick_hz;
  j["perf_events"] = e.perf_events;
  return j;
}

}  // namespace lockstep::native

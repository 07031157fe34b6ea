// Where threads run and what kind of machine this is: the CPUs this process may use, their
// cores and SMT siblings (sysfs), and whether a hypervisor sits underneath. Facts for the
// manifest and the placement of threads; nothing here changes the machine.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lockstep::native {

struct Cpu {
  int id = 0;          // OS CPU number
  int package = 0;     // physical_package_id
  int core = 0;        // core_id (unique within its package)
  int smt_index = 0;   // 0 for the first hardware thread of its core, 1 for its sibling...
};

struct Topology {
  std::vector<Cpu> cpus;       // usable by this process (affinity mask), in placement order
  int cores = 0;               // distinct physical cores among them
  int packages = 0;
  bool smt = false;            // some usable core has more than one usable hardware thread
};

// Placement order: every physical core first (package by package), then the
// second hardware thread of each core, so that N threads use N cores when there are N.
Topology read_topology();

struct Environment {
  std::string arch;            // x86_64 | aarch64
  std::string cpu_model;
  std::string hypervisor;      // "" when none detected; else its name (cpuid vendor, systemd-detect-virt, /sys/hypervisor)
  bool virtualized = false;
  Topology topo;
  double tick_hz = 0;          // counter rate (TSC / CNTVCT)
  bool tick_rate_stated = false;
  std::string perf_events;     // "available" or why not
};

Environment read_environment();
nlohmann::ordered_json environment_json(const Environment& env, double requested_clock_ghz, int threads);

// Pins the calling thread to one OS CPU; false when the OS refuses (e.g. a cpuset).
bool pin_to_cpu(int cpu);

}  // namespace lockstep::native

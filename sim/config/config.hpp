// The typed, validated configuration of one experiment point (DESIGN.md §5 "Experiment YAML").
// Loading (YAML, extends:, --set, sweep:, schema checks with file:line:col errors) lives in
// loader.hpp; everything downstream reads only these structs.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace lockstep::config {

struct CoreCfg {
  int alu_cycles = 1;
  int pause_cycles = 40;
  int fence_cycles = 2;
  int atomic_cycles = 0;      // extra cycles an atomic RMW takes on top of the L1 access
  int store_buffer = 0;       // TSO store-buffer entries; 0 = stores block until performed
  int trace_nop_cycles = 1;   // a patched-out tracepoint site (workload.tracepoints: nop)
  int trace_on_cycles = 300;  // an enabled tracepoint's probe, beside its trace-buffer store (on)
};

struct L1Cfg {
  int size_kib = 32;
  int assoc = 8;
  int hit_cycles = 4;
  int line_bytes = 64;
};

struct MemoryCfg {
  int latency_cycles = 120;
};

// The shared last-level cache (sim/cache/, docs/model.md). `machine.llc: none` (the default)
// leaves it out: memory supplies what no L1 owns, as before the LLC existed.
struct LlcCfg {
  bool enabled = false;                  // false = `llc: none`
  int size_kib = 8192;
  int assoc = 16;
  int hit_cycles = 40;                   // tag + data array + the ring/bus to the bank
  int banks = 8;                         // lines interleaved over banks by line address
  int bank_occupancy_cycles = 4;         // a bank serves one request at a time for this long
  bool inclusive = true;                 // evicting a line back-invalidates the L1 copies
};

// A link of a custom topology.
struct EdgeCfg {
  int from = 0, to = 0;
  int latency_cycles = -1;    // -1: interconnect.link_latency_cycles
  int bandwidth_bytes = -1;   // bytes per cycle; -1: interconnect.link_bandwidth_bytes
};

struct InterconnectCfg {
  std::string topology = "bus";          // bus | crossbar | ring | mesh | numa | custom
  // snooping bus
  std::string arbitration = "round_robin";  // round_robin | fifo
  std::string mode = "atomic";           // atomic | split (request and response are separate tenures)
  int request_cycles = 2;                // bus occupancy of an address/command phase
  int data_cycles = 8;                   // bus occupancy of a 64-byte data transfer
  int snoop_cycles = 0;                  // until a snooped cache answers (supplies data or drops its copy)
  int inv_ack_cycles = 0;                // a GetM/Upgrade that removed copies also waits for their acks
  int sharer_inv_cycles = 0;             // ... and this much more when it removed sharers (not just the owner)
  // networks (directory coherence)
  int link_latency_cycles = 2;
  int link_bandwidth_bytes = 16;         // bytes per cycle per link
  int router_cycles = 1;                 // per hop
  int control_bytes = 8;                 // size of a control message (GetS, Inv, Ack...)
  int data_bytes = 72;                   // size of a data message (header + line)
  int width = 0, height = 0;             // mesh; 0 = as square as the core count allows
  int sockets = 2, cores_per_socket = 0; // numa; 0 = cores / sockets
  int inter_socket_latency_cycles = 40;
  int inter_socket_bandwidth_bytes = 8;
  int nodes = 0;                         // custom: number of nodes
  std::vector<EdgeCfg> edges;            // custom
  std::vector<int> attach;               // custom: node of each core (default: core i on node i)
};

struct DirectoryCfg {
  int occupancy_cycles = 10;
  std::string home = "interleaved";      // interleaved | node:N (pinned to one node)
};

// Interrupts per core (sim/cpu/irq.hpp, docs/model.md "Interrupts"); 0 = that source is off.
struct InterruptsCfg {
  int64_t timer_period_cycles = 0;       // periodic timer; core c's first at period + c*period/cores
  int64_t timer_handler_cycles = 0;
  double device_rate_per_mcycle = 0;     // device interrupts: Poisson, mean raises per 10^6 cycles
  int64_t device_handler_cycles = 0;
  bool handler_takes_lock = false;       // the handler acquires and releases the workload's lock
};

struct MachineCfg {
  int cores = 16;
  double clock_ghz = 3.0;
  std::string protocol = "MESI";         // MSI | MESI | MOESI | MESIF | absolute path to a table file
  std::string coherence = "snoop";       // snoop | directory
  CoreCfg core;
  L1Cfg l1;
  MemoryCfg memory;
  LlcCfg llc;
  InterconnectCfg interconnect;
  DirectoryCfg directory;
  InterruptsCfg interrupts;
};

struct CriticalSectionCfg {
  int cycles = 50;
  int lines_read = 0;
  int lines_written = 1;
};

struct OutsideCfg {
  std::string dist = "fixed";            // fixed | uniform | exponential
  int cycles = 100;                      // fixed
  int min = 0, max = 200;                // uniform
  double mean = 100;                     // exponential
};

struct WorkloadCfg {
  std::string lock = "ticket";           // built-in name (as written) or absolute path to a .lock file
  std::map<std::string, int64_t> lock_params;
  int threads = 0;                       // 0 = machine.cores (resolved by the loader; never > cores)
  int64_t acquisitions_per_thread = 1000;
  int64_t warmup_acquisitions = 100;
  int64_t duration_cycles = 0;           // > 0: time-window mode (loop until the window closes)
  std::string tracepoints = "off";       // off | nop | on: what `trace NAME` sites become
  CriticalSectionCfg critical_section;
  OutsideCfg outside;
  // A lock that can fail (`.can_fail`): the failed thread waits this long, then calls acquire again.
  struct OnFailureCfg { int64_t retry_after_cycles = 0; } on_failure;
  double read_fraction = 0;              // reader-writer locks: each acquisition is a read with this probability
  bool irqsave = false;                  // spin_lock_irqsave / spin_unlock_irqrestore around the lock
};

struct RunCfg {
  int64_t max_cycles = 1000000000;
  bool fast_forward = true;
  bool check_invariants = false;
  int64_t livelock_micro_ops = 1 << 24;  // micro-ops machine-wide with no acquire/release: exit 4 (0 = off)
};

// The OS model (sim/os, docs/os.md): threads beyond the cores, a scheduler, futex park/wake,
// and hypervisor preemption of the cores (vCPUs). Defaults: published figures, docs/os.md.
struct PreemptionCfg {
  int64_t mean_interval_cycles = 0;      // 0 = no preemption; else exponential gaps per core
  int64_t mean_duration_cycles = 0;      // exponential length of one preemption
};

struct OsCfg {
  int threads = 0;                       // 0 = workload.threads (the same value; either key may set it)
  int64_t timeslice_cycles = 3000000;    // 1 ms at 3 GHz
  int context_switch_cycles = 6000;      // ~2 us
  int park_cycles = 900;                 // futex wait syscall (a failed wait costs this alone)
  int wake_cycles = 1500;                // futex wake syscall
  int wakeup_latency_cycles = 15000;     // wake call -> woken thread runnable (IPI, idle exit)
  int yield_cycles = 600;                // sched_yield syscall
  PreemptionCfg preemption;
};

// The sampling profiler (sim/observe/profiler.hpp); period_cycles 0 = off.
struct ProfileCfg {
  int64_t period_cycles = 0;
  std::string delivery = "nmi";          // nmi (exact cycle) | irq (deferred while interrupts are off)
};

// One fully resolved experiment point.
struct Point {
  std::string name;                      // "default" or e.g. "003_cores-8_lock-ticket"
  int index = 0;
  std::vector<std::pair<std::string, std::string>> swept;  // dotted path -> value (as written)
  std::string experiment_name;
  std::string base_dir;                  // directory of the experiment file (relative lock paths)
  uint64_t seed = 1;
  MachineCfg machine;
  WorkloadCfg workload;
  RunCfg run;
  OsCfg os;
  ProfileCfg profile;
  std::string output_dir;                // the experiment's DIR (-o / output.dir); this point's files go to DIR/points/<name>
  nlohmann::json* resolved = nullptr;    // owned by Experiment; the resolved config tree
  std::map<std::string, std::string> lock_param_locs;  // workload.lock_params key -> "file:line:col" (errors)
};

}  // namespace lockstep::config

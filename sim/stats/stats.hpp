// What one simulated (or native) point measured. Writers in sim/output turn this into
// stats.json / summary.csv rows (names fixed by DESIGN.md §5 "Output files").
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "stats/histogram.hpp"

namespace lockstep::stats {

struct Coherence {
  uint64_t bus_transactions = 0;  // snooping bus tenures (GetS, GetM, Upgrade, PutM)
  uint64_t messages = 0;          // network messages (directory coherence)
  uint64_t invalidations = 0;     // cached copies removed because another core asked
  uint64_t gets = 0;
  uint64_t getm = 0;
  uint64_t upgrades = 0;
  uint64_t writebacks = 0;        // dirty data written to memory (eviction or downgrade)
  uint64_t cache_to_cache = 0;    // data supplied by another cache
  uint64_t memory_reads = 0;      // data supplied by memory
  uint64_t llc_hits = 0;          // requests for data the shared LLC supplied (or, directory: found there)
  uint64_t llc_misses = 0;        // requests that went past the LLC to memory
  uint64_t llc_back_invalidations = 0;  // L1 copies removed because the inclusive LLC evicted the line
  std::map<std::string, uint64_t> messages_by_type;  // directory: "GetS", "Inv", "Data", ...
};

// Linux lock_stat's figures for one lock (Documentation/locking/lockstat.rst), in cycles.
// A contention is an acquisition that had to wait; a bounce is an acquisition (acq_bounces)
// or a contention (con_bounces) whose lock data was last touched by another CPU. min is the
// shortest non-zero time. `present` is false where nothing measured them.
struct Lockstat {
  bool present = false;
  uint64_t contentions = 0, con_bounces = 0, acq_bounces = 0, acquisitions = 0;
  uint64_t waittime_min = 0, waittime_max = 0, waittime_total = 0;
  uint64_t holdtime_min = 0, holdtime_max = 0, holdtime_total = 0;
  // Where waiting happened: "ticket.lock:12" -> contentions that waited there.
  std::vector<std::pair<std::string, uint64_t>> contention_points;
};

// Sections with interrupts or preemption off, or interrupt latencies (raise -> handler
// start), in cycles (sim/observe/irqsoff.hpp). p99 is nearest-rank.
struct SectionFigures {
  uint64_t sections = 0, max_cycles = 0, p99_cycles = 0, total_cycles = 0;
};
struct Sections {
  SectionFigures all;
  std::vector<SectionFigures> per_core;
};
struct IrqFigures {
  bool present = false;  // the workload can disable interrupts or preemption, or interrupts are on
  Sections irqsoff, preemptoff, preemptirqsoff, irq_latency;
};

// The sampling profiler (sim/observe/profiler.hpp): samples and exact cycles per symbol.
struct ProfileFigures {
  bool present = false;
  std::string delivery;   // nmi | irq
  uint64_t period_cycles = 0;
  uint64_t samples = 0;
  std::map<std::string, uint64_t> sampled, exact;
};

struct PerCore {
  uint64_t acquisitions = 0;
  uint64_t micro_ops = 0;
  uint64_t l1_hits = 0;
  uint64_t l1_misses = 0;
  uint64_t cycles_acquiring = 0;    // acquire call -> return
  uint64_t cycles_in_cs = 0;
  uint64_t spin_iterations_skipped = 0;  // fast-forward; not part of the deterministic compare
  // The OS model (sim/os). One entry per thread: without the OS thread i runs on core i.
  uint64_t cycles_spinning = 0;     // acquire call -> return while on a core (not parked, queued or preempted)
  uint64_t cycles_parked = 0;       // off the CPU after a park, until switched in again
  uint64_t context_switches = 0;    // times switched out for another thread or idle (park, yield, timeslice)
  uint64_t wakeups = 0;             // times woken by a wake
  uint64_t cycles_on_cpu = 0;       // CPU time burnt: on a core, switching in included
  uint64_t acquire_failures = 0;    // acquires that returned r0 = 0 (locks declaring `.can_fail`)
};

// A try-lock that reports what it saw (`.trylock_info`: r1 = waiters observed, r2 = holder + 1).
struct Trylock {
  bool present = false;
  uint64_t attempts = 0, failures = 0;
  std::map<uint64_t, uint64_t> waiters_seen_hist;  // r1 value -> attempts that saw it
  std::map<int64_t, uint64_t> holder_seen;         // holder thread (-1 = unknown) -> failed attempts
};

// A reader-writer lock (`read_acquire:`/`read_release:` sections, workload.read_fraction).
struct ReaderWriter {
  bool present = false;
  uint64_t reads = 0, writes = 0;   // measured acquisitions of each kind
  uint64_t max_readers = 0;         // most readers holding it at once
  uint64_t overlapped_reads = 0;    // read acquisitions that found another reader inside
  Histogram read_wait, write_wait;  // acquire call -> return, by kind
};

// Hypervisor preemptions of the cores (os.preemption), by what the thread on the core was doing.
struct Preemptions {
  uint64_t holder = 0, waiter = 0, other = 0;
};

// Interrupts (machine.interrupts; sim/cpu/irq.hpp), per core and summed. Counted when they
// happen inside the measured window: a raise when a micro-op boundary of its core sees it,
// a delivery when its handler starts, handler cycles when it ends.
struct IrqCore {
  uint64_t raised = 0;
  uint64_t delivered = 0;
  uint64_t deferred_cycles = 0;     // sum over delivered interrupts of handler start - raise
  uint64_t handler_cycles = 0;      // cycles the core spent in handlers
  uint64_t handler_micro_ops = 0;   // micro-ops the handlers executed (not in per_core micro_ops)
};
struct Interrupts {
  bool present = false;             // machine.interrupts has a source
  std::vector<IrqCore> per_core;
};

struct Point {
  uint64_t cycles = 0;              // measured window: end of warm-up -> last release
  uint64_t acquisitions = 0;        // measured acquisitions
  Histogram handoff;                // contended: release call -> next waiter's acquire return
  Histogram wait;                   // acquire call -> return, every acquisition
  Histogram hold;                   // acquire return -> release call
  Histogram release;                // release call -> return
  uint64_t reacquires = 0;          // acquisitions by the last releaser while another waited
  Lockstat lockstat;
  Preemptions preemptions;
  IrqFigures irq;                   // irqsoff, preemptoff, preemptirqsoff, irq_latency
  ProfileFigures profile;
  // Text files an observer writes beside stats.json: path relative to the point's folder
  // (e.g. "latency_hist/irqsoff/CPU0", "profile.txt") -> contents.
  std::vector<std::pair<std::string, std::string>> files;
  // workload.tracepoints nop|on: NAME -> `trace NAME` executions in the measured window (every
  // name the lock uses, 0 included); empty with tracepoints off (stats.json leaves it out).
  std::map<std::string, uint64_t> tracepoints;
  Trylock trylock;
  ReaderWriter rw;
  Coherence coherence;
  std::vector<PerCore> per_core;
  Interrupts interrupts;
  uint64_t events = 0;              // engine events (host-side figure; not in stats.json)
  // extra numbers a model wants to report under "extra" in stats.json (e.g. link utilisation)
  std::map<std::string, double> extra;

  uint64_t micro_ops() const;
  double acq_per_kcycle() const { return cycles ? 1000.0 * double(acquisitions) / double(cycles) : 0.0; }
  double jain() const;              // Jain's fairness index over per-core acquisitions
  uint64_t min_acquisitions() const;
  uint64_t max_acquisitions() const;
};

}  // namespace lockstep::stats

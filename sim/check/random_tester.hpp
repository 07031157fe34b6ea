// A random protocol tester in the spirit of gem5's Ruby random tester (`lockstep check
// protocol`). Per seed it generates one straight-line micro-op stream per core (its own
// seeded PRNG, no `rand` op): loads, stores, atomics and LL/SC pairs of 1, 4 and 8 bytes
// on a few hot lines that every core shares word by word (true and false sharing) plus a
// handful of lines that collide in a deliberately tiny L1 (so evictions, PutM and
// Replacement run all the time), with random `work` between operations. Per seed the
// machine's timing is randomised too (memory latency, bus phases, arbitration policy,
// outside work), so the same streams interleave differently.
//
// Checks, all at once:
//   - the machine's own invariant checker (run.check_invariants: single writer/multiple
//     readers, one owner, clean copies equal memory), undefined transitions, two caches
//     supplying data for one transaction;
//   - a golden memory kept by the tester: every access a core performs must find the line
//     exactly as the previous performed access (by any core, in the global order) left it,
//     so every load returns the latest store to its address;
//   - deadlock and livelock (nothing left to do before every core finished, or max_cycles).
// A failure is minimised (fewer repetitions, shorter streams, fewer cores, while it still
// fails the same way) and re-run with a trace: the last events on the failing line.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "coherence/protocol.hpp"

namespace lockstep::check {

struct TesterOptions {
  std::string protocol = "MESI";     // built-in name or path to a table file
  std::string coherence = "snoop";   // snoop | directory
  std::string topology = "bus";
  std::string mode = "atomic";       // snooping bus: atomic | split
  bool llc = false;                  // a tiny inclusive LLC (back-invalidations all the time)
  int cores = 8;
  int seeds = 10;
  int64_t ops = 100000;              // memory operations per seed, all cores together
  uint64_t first_seed = 1;
  int hot_lines = 4;                 // lines every core hammers (words of several cores each)
  bool minimise = true;
  int max_trace = 50;                // events printed with a failure
};

struct Failure {
  int exit_code = 3;                 // 3 correctness violation, 4 no progress
  std::string message;               // the checker's message for the minimised case
  uint64_t seed = 0;
  int cores = 0;
  int ops_per_core = 0;              // stream length per core
  int64_t repetitions = 0;           // times each core ran its stream
  int reruns = 0;                    // runs spent minimising
  std::vector<std::string> trace;    // at most max_trace events, oldest first
  std::string trace_scope;           // "line 0x10040" (the line the failure names) or "all lines"
};

struct TesterReport {
  int64_t operations = 0;            // memory operations performed (loads, stores, atomics)
  int seeds_run = 0;
  double seconds = 0;                // host time of the checked runs (not the minimisation)
  // Split bus with a snoop-split table: how often each race cell fired over the checked
  // runs, "(IM_D, Other-GetS)" -> count, in table order (empty otherwise).
  std::vector<std::pair<std::string, uint64_t>> race_cells;
  std::optional<Failure> failure;
};

TesterReport run_random_tester(const TesterOptions& opt);

// The micro-op program the tester runs for one case (for messages and tests).
std::string tester_program(uint64_t seed, int cores, int ops_per_core, int hot_lines);

// load_protocol, with "did you mean" matched without regard to case (MOSI -> MOESI).
coherence::Protocol load_named_protocol(const std::string& name_or_path);

}  // namespace lockstep::check

// The lock model checker (`lockstep check lock`): explores every interleaving of the
// threads' shared-memory micro-ops under sequentially consistent memory, breadth first with
// state hashing, and reports a mutual-exclusion violation or a state from which the
// threads can no longer finish (deadlock or livelock) as a shortest step table.
//
// Each thread runs the harness loop K times: call acquire; critical section (the check:
// at most `capacity` threads between acquire's return and the call of release); call
// release. Only memory micro-ops and those harness events interleave; a thread's local
// micro-ops (ALU, branches, call/ret, pause, work, ...) run right after its last visible
// one, which is sound because no other thread can observe them. docs/check.md has the
// modelling choices (wfe, rand, now, LL/SC) and the bounds.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "isa/program.hpp"

namespace lockstep::check {

struct LockCheckOptions {
  int threads = 2;                  // the program must be assembled with ncpu = threads
  int acquisitions = 2;             // per thread (K)
  uint64_t max_states = 2'000'000;  // the search stops (incomplete) beyond this
  int rand_branch_max = 4;          // `rand lo, hi` with at most this many values explores each; else lo
  int local_step_limit = 100'000;   // local micro-ops in a row before a thread counts as hung
};

struct LockCheckStep {
  int thread = -1;
  std::string where;   // "acquire+2 (line 14)" or the harness event's routine
  std::string op;      // "faa r1, [next], 1" or "call acquire", "call release"
  std::string effect;  // "r1 = 0, next: 0 -> 1; acquire returns: enters the critical section"
  std::string memory;  // every non-zero word after the step: "next=1 owner=0"
};

struct LockCheckReport {
  enum class Verdict { Ok, Violation, NoProgress, Incomplete } verdict = Verdict::Ok;
  std::string message;              // one line: what went wrong, or what was shown
  std::vector<LockCheckStep> steps; // Violation/NoProgress: from the initial state to the bad one
  size_t loop_from = 0;             // NoProgress: steps[loop_from..] go round the trap until a state repeats
  std::vector<std::string> stuck;   // NoProgress: each thread's situation at the end of the steps
  uint64_t states = 0;              // distinct states visited
  uint64_t transitions = 0;
  int depth = 0;                    // BFS depth reached (steps of the longest shortest path)
  double seconds = 0;
  int exit_code() const;            // 0 Ok or Incomplete, 3 Violation, 4 NoProgress
};

LockCheckReport check_lock(const isa::Program& p, const LockCheckOptions& o);

// The report as `lockstep check lock` prints it: the verdict, the counts and the step table.
std::string format_report(const isa::Program& p, const LockCheckOptions& o, const LockCheckReport& r);

}  // namespace lockstep::check

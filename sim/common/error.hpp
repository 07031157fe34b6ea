// Error types that map onto lockstep's exit statuses (DESIGN.md §5 "Exit status").
// Throw the one that says what went wrong; app/main.cpp turns it into the exit code.
#pragma once
#include <stdexcept>
#include <string>
#include <vector>

namespace lockstep {

// Exit 2: invalid input (config, program, arguments). The message names file:line:col
// and, for an unknown key, the nearest valid one.
struct InputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Exit 3: a correctness violation (mutual exclusion, coherence invariant).
struct CorrectnessError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Exit 4: no progress (deadlock, livelock, run.max_cycles reached).
struct NoProgressError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum ExitCode : int { kExitOk = 0, kExitInternal = 1, kExitInput = 2, kExitCorrectness = 3, kExitNoProgress = 4 };

// "file:line:col: message" (line and col are 1-based; 0 omits them).
std::string located(const std::string& file, int line, int col, const std::string& msg);

// The candidate closest to `word` by edit distance, or "" when none is reasonably close.
std::string nearest(const std::string& word, const std::vector<std::string>& candidates);
// Every candidate at the smallest distance (ties in candidate order), or none when none is close.
std::vector<std::string> nearest_all(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace lockstep

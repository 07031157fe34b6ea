// Before a run writes anything: the output directory must be creatable and writable (else
// exit 2 naming it, not an internal error after the first point), and temporaries
// ("FILE.tmp.PID", see atomic_file.hpp) left by a process that was killed are removed.
#pragma once
#include <string>

namespace lockstep::output {

// Throws InputError when `dir` cannot be created or written. Returns how many orphaned
// temporaries it removed (in DIR and DIR/points/*/; those of live processes are kept).
int prepare_output_dir(const std::string& dir);

}  // namespace lockstep::output

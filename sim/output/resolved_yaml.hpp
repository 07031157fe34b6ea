// DIR/resolved.yaml (docs/scale.md "Output folders", docs/config.md "The resolved config"):
// the experiment as it was run, every schema key with its value (extends: merged in, --set
// and --seed applied, defaults filled, derived values shown), the sweep as written, so that
//   lockstep run DIR/resolved.yaml -o DIR2
// simulates the very same points (same names, same config hashes, byte-identical stats.json
// and summary.csv) from any folder, without the files it was built from.
//
// Two kinds of keys cannot hold one value for every point and are written otherwise:
//   - swept paths: only under sweep: (as written; a relative .lock/.table path there is
//     written absolute, so the rerun finds the file, which renames those points);
//   - keys derived per point that differ between points (workload.threads from
//     machine.cores, a mesh's width and height): their default, from which each point
//     derives its value again. A comment names them.
#pragma once
#include <string>

#include "config/loader.hpp"

namespace lockstep::output {

// The text of DIR/resolved.yaml; `seeds` > 1 is noted in a comment (--seeds is no key).
std::string resolved_yaml(const config::Experiment& exp, int seeds = 1);

}  // namespace lockstep::output

// The fixed settings of an experiment as plot titles name them (docs/stats.md "Plots"): every
// key the experiment writes (its YAML or --set) that it does not sweep and whose value
// differs from the default, as "path=value" ("machine.protocol=MOESI"); --set keys first,
// then the file's, each in schema order. Keys that only a preset it extends sets to other
// than the default are summed up by the preset's name ("extends=bus16"), last.
// key_locs order is not kept: a file's keys are listed in schema order, --set ones too.
#pragma once
#include <string>
#include <vector>

#include "config/loader.hpp"

namespace lockstep::output {

std::vector<std::string> fixed_overrides(const config::Experiment& exp);

}  // namespace lockstep::output

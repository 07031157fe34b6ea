// Validation before simulation: builds the machine of every point that is about to run
// (cores, caches, fabric, network routes, the assembled lock) without running it, so that a
// bad point of a sweep fails at once, with the file:line:col of the key that caused it,
// instead of after the points before it have been simulated.
#pragma once
#include <cstddef>
#include <vector>

#include "config/loader.hpp"

namespace lockstep::sim {

// Throws InputError (located with config::locate_error) for the first bad point of `which`
// (indices into ex.points). Points that build the same machine and lock are built once.
void check_points(const config::Experiment& ex, const std::vector<size_t>& which);

}  // namespace lockstep::sim

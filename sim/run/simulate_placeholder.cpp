// Temporary until the machine model lands (replaced in the same series of commits).
#include "run/simulate.hpp"
#include "common/error.hpp"
namespace lockstep::sim {
stats::Point simulate(const config::Point&, const SimOptions&) { throw std::runtime_error("simulate: not built yet"); }
}

// `lockstep calibrate --simulate MACHINE.yaml`: the native calibration's table (native/
// calibrate.hpp: the same states, operations and CSV columns) taken inside the simulator with
// the directed probes of sim/run/probe.hpp, then fitted by the same code as the native rows.
#pragma once
#include "config/config.hpp"
#include "native/calibrate.hpp"

namespace lockstep::app {

// One row per (state, operation) of the native calibration, core pair (0, 1), core 2 as the
// second sharer for S. Rows the simulator cannot take (a state the machine's protocol cannot
// produce) are kept with measured = false and the reason in the note.
native::Calibration simulated_calibration(const config::MachineCfg& machine);

}  // namespace lockstep::app

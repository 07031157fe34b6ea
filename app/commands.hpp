// Each `lockstep` subcommand lives in its own file app/cmd_NAME.cpp and parses its own
// arguments (Boost.Program_options). argv[0] is the subcommand name ("run", "native", ...).
// They return the process exit status (DESIGN.md §5); main.cpp maps exceptions that escape
// (InputError -> 2, CorrectnessError -> 3, NoProgressError -> 4, anything else -> 1).
#pragma once

namespace lockstep::app {
int cmd_run(int argc, char** argv);        // lockstep run EXPERIMENT.yaml ...
int cmd_list(int argc, char** argv);       // lockstep list [locks|protocols|topologies]
int cmd_protocol(int argc, char** argv);   // lockstep protocol show NAME ...
int cmd_check(int argc, char** argv);      // lockstep check protocol NAME ...
int cmd_native(int argc, char** argv);     // lockstep native run EXPERIMENT.yaml ...
int cmd_calibrate(int argc, char** argv);  // lockstep calibrate [-o FILE]
int cmd_validate(int argc, char** argv);   // lockstep validate EXPERIMENT.yaml ...
int cmd_bench(int argc, char** argv);      // lockstep bench [...]
int cmd_plot(int argc, char** argv);       // lockstep plot DIR [--y METRIC]... [-o FILE]
int cmd_model(int argc, char** argv);      // lockstep model ticket [--cores LIST] [--from EXPERIMENT.yaml] ...
int cmd_lock(int argc, char** argv);       // lockstep lock show NAME|FILE [--threads N]
int cmd_check_lock(int argc, char** argv); // lockstep check lock NAME|FILE ... (argv[0] == "lock")
int cmd_merge(int argc, char** argv);      // lockstep merge DIR
int cmd_step(int argc, char** argv);       // lockstep step EXPERIMENT.yaml|LOCK [--cores N] [--until ROWS]
}  // namespace lockstep::app

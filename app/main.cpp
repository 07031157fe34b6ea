// `lockstep <subcommand> ...`: picks the subcommand and turns the errors that escape it into
// the exit statuses of DESIGN.md §5.
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include <boost/program_options/errors.hpp>

#include "app/commands.hpp"
#include "common/error.hpp"
#include "output/manifest.hpp"

namespace {

struct Subcommand {
  const char* name;
  int (*fn)(int, char**);
  const char* summary;
};

const Subcommand kSubcommands[] = {
    {"run", lockstep::app::cmd_run, "simulate an experiment: run EXPERIMENT.yaml [-o DIR] [--set path=value]..."},
    {"merge", lockstep::app::cmd_merge, "join the points of shards into summary.csv and plots: merge DIR"},
    {"plot", lockstep::app::cmd_plot, "draw summary.csv as SVG charts: plot DIR [--y METRIC]... [-o FILE]"},
    {"list", lockstep::app::cmd_list, "list built-in locks, protocols, topologies, machine presets and config keys"},
    {"protocol", lockstep::app::cmd_protocol, "show a protocol table: protocol show NAME [--format md|dot]"},
    {"check", lockstep::app::cmd_check, "random-test a protocol: check protocol NAME; model-check a lock: check lock NAME --threads N"},
    {"step", lockstep::app::cmd_step, "the textbook coherence table, one row per transaction: step EXPERIMENT.yaml|LOCK [--cores N]"},
    {"lock", lockstep::app::cmd_lock, "show a lock's code and memory layout: lock show NAME|FILE [--threads N]"},
    {"native", lockstep::app::cmd_native, "run an experiment on this machine: native run EXPERIMENT.yaml"},
    {"calibrate", lockstep::app::cmd_calibrate, "measure this host's coherence latencies"},
    {"validate", lockstep::app::cmd_validate, "simulate and run natively, side by side"},
    {"bench", lockstep::app::cmd_bench, "measure the simulator's own speed"},
    {"model", lockstep::app::cmd_model, "analytic models: model ticket [--cores LIST] [--from EXPERIMENT.yaml]"},
};

void usage(std::ostream& os) {
  os << "usage: lockstep <subcommand> [options]   (lockstep <subcommand> --help for its options)\n\n"
        "A cycle-level cache-coherence simulator for lock algorithms.\n\nsubcommands:\n";
  for (const auto& s : kSubcommands) {
    std::string name = s.name;
    name.resize(11, ' ');
    os << "  " << name << s.summary << "\n";
  }
  os << "\noptions:\n  --help     this text\n  --version  version and git revision\n\n"
        "exit status: 0 ok, 1 internal error, 2 invalid input, 3 correctness violation, 4 no progress\n";
}

int error(int code, const std::string& msg) {
  std::cerr << "lockstep: error: " << msg << "\n";
  return code;
}

int dispatch(int argc, char** argv) {
  if (argc < 2) {
    usage(std::cerr);
    return lockstep::kExitInput;
  }
  const std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    usage(std::cout);
    return lockstep::kExitOk;
  }
  if (cmd == "--version" || cmd == "-V") {
    std::cout << "lockstep " << lockstep::output::kVersion << " (git " << lockstep::output::git_revision() << ")\n";
    return lockstep::kExitOk;
  }
  std::vector<std::string> names;
  for (const auto& s : kSubcommands) {
    if (cmd == s.name) return s.fn(argc - 1, argv + 1);
    names.push_back(s.name);
  }
  std::string msg = "unknown subcommand '" + cmd + "'";
  const std::string near = lockstep::nearest(cmd, names);
  if (!near.empty()) msg += "; did you mean '" + near + "'?";
  msg += " (lockstep --help lists the subcommands)";
  return error(lockstep::kExitInput, msg);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return dispatch(argc, argv);
  } catch (const lockstep::InputError& e) {
    return error(lockstep::kExitInput, e.what());
  } catch (const lockstep::CorrectnessError& e) {
    return error(lockstep::kExitCorrectness, e.what());
  } catch (const lockstep::NoProgressError& e) {
    return error(lockstep::kExitNoProgress, e.what());
  } catch (const boost::program_options::error& e) {
    // A subcommand that let an argument error escape: still the user's input.
    return error(lockstep::kExitInput, e.what());
  } catch (const std::exception& e) {
    return error(lockstep::kExitInternal, e.what());
  }
}

// lockstep validate EXPERIMENT.yaml [-o DIR] [--machine FILE] [--set path=value]... [--seed N]
//                   [--oversubscribe] [--watchdog SECONDS]
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "app/args.hpp"
#include "app/commands.hpp"
#include "common/error.hpp"
#include "config/loader.hpp"
#include "native/experiment.hpp"
#include "native/validate.hpp"
#include "output/atomic_file.hpp"
#include "run/check_points.hpp"

namespace po = boost::program_options;

namespace lockstep::app {

namespace {
const char* kUsage =
    "usage: lockstep validate EXPERIMENT.yaml [-o DIR] [--machine calibrated.yaml] [--set path=value]... [--seed N]\n"
    "                         [--oversubscribe] [--watchdog SECONDS]";
}

int cmd_validate(int argc, char** argv) {
  po::options_description opts("options");
  opts.add_options()
      ("help,h", "this text")
      ("machine", po::value<std::string>(), "simulate on this machine YAML's parameters (e.g. from lockstep calibrate)")
      ("oversubscribe", "allow more threads than usable CPUs (the comparison is then meaningless)")
      ("watchdog", po::value<double>()->default_value(5.0), "seconds without any native acquisition before exit 4");
  add_experiment_options(opts, "output directory (overrides output.dir); validate.csv goes there");
  Parsed parsed = parse_args(argc, argv, opts, "validate", kUsage);
  if (parsed.help) return kExitOk;
  const po::variables_map& vm = parsed.vm;
  if (parsed.words.size() != 1)
    throw InputError(std::string("validate: expected one experiment file\n") + kUsage);

  config::LoadOptions machine;
  if (vm.count("machine")) machine.sets = native::machine_overrides(vm["machine"].as<std::string>());
  const config::LoadOptions lo = experiment_options(vm, machine);
  native::NativeOptions no;
  no.oversubscribe = vm.count("oversubscribe") > 0;
  no.watchdog_seconds = vm["watchdog"].as<double>();
  // Handoff p50 is compared: every acquisition timestamped. The clock is --machine's (its
  // clock_ghz is one of the overrides) or measured now, never the experiment's default.
  no.measure = native::Measure::Latency;
  const native::ClockChoice clock = native::choose_clock(vm.count("machine") ? vm["machine"].as<std::string>() : "", 0);
  no.clock_ghz = clock.ghz;

  const config::Experiment exp = config::load_experiment(parsed.words[0], lo);
  const native::Environment env = native::read_environment();
  int max_threads = 0;
  for (const auto& p : exp.points) max_threads = std::max(max_threads, p.workload.threads > 0 ? p.workload.threads : p.machine.cores);
  // Every point is checked, for the simulator and for the hardware, before any runs.
  std::vector<size_t> all(exp.points.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  sim::check_points(exp, all);
  native::check_native_points(exp, no, int(env.topo.cpus.size()));
  std::cout << native::environment_warnings(env, max_threads, false) << clock.warning;
  std::cout << "native clock: " << clock.ghz << " GHz (" << clock.source << ")\n";
  const native::Validation v = native::validate(exp, no);
  const std::string path = (std::filesystem::path(exp.output_dir) / "validate.csv").string();
  output::write_file_atomic(path, native::validation_csv(v));
  std::cout << native::validation_table(v) << "\n-> " << path << "\n";
  return kExitOk;
}

}  // namespace lockstep::app

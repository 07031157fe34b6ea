// lockstep calibrate [-o FILE] [--reps N] [--pairs N] [--clock-ghz G]
// lockstep calibrate --simulate MACHINE.yaml [-o FILE.csv]   (app/calibrate_sim.cpp)
#include <filesystem>
#include <iostream>
#include <string>

#include <boost/program_options.hpp>

#include "app/calibrate_sim.hpp"
#include "app/commands.hpp"
#include "common/embedded.hpp"
#include "config/loader.hpp"
#include "common/error.hpp"
#include "native/calibrate.hpp"
#include "native/topology.hpp"
#include "output/atomic_file.hpp"
#include "output/manifest.hpp"

namespace po = boost::program_options;

namespace lockstep::app {

namespace {
const char* kUsage =
    "usage: lockstep calibrate [-o machine.yaml] [--reps N] [--pairs N] [--clock-ghz G]\n"
    "       lockstep calibrate --simulate MACHINE.yaml|PRESET [-o table.csv]";

// The machine of MACHINE.yaml (a machine YAML, an experiment's machine, or a built-in preset
// name such as bus16). A file that sets no machine key is not a machine.
config::MachineCfg load_machine(const std::string& arg) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto& presets = embedded::machines();
  config::Experiment ex;
  if (!fs::exists(arg, ec) && arg.find('/') == std::string::npos && presets.count(arg)) {
    ex = config::load_experiment_text("extends: " + arg + "\n", arg);
  } else {
    if (!fs::exists(arg, ec)) {
      std::string names;
      for (const auto& [name, text] : presets) names += (names.empty() ? "" : ", ") + name;
      throw InputError("calibrate --simulate: '" + arg + "': no such file (nor a built-in machine preset: " + names + ")");
    }
    ex = config::load_experiment(arg);
  }
  if (ex.points.size() != 1)
    throw InputError("calibrate --simulate: '" + arg + "' sweeps " + std::to_string(ex.points.size()) +
                     " points; give one machine");
  bool any = false;
  for (const auto& [key, loc] : ex.key_locs.front()) any = any || key.rfind("machine.", 0) == 0;
  if (!any)
    throw InputError("calibrate --simulate: '" + arg + "' is not a machine YAML: it sets no machine key "
                     "(expected a machine: block, as in configs/machines/*.yaml or what `lockstep calibrate` writes)");
  return ex.points.front().machine;
}

int simulate(const std::string& machine_file, const po::variables_map& vm) {
  const config::MachineCfg machine = load_machine(machine_file);
  const native::Calibration cal = simulated_calibration(machine);
  std::string csv_path = vm["output"].as<std::string>();
  if (vm["output"].defaulted())
    csv_path = "results/local/" + std::filesystem::path(machine_file).stem().string() + "-simulated.csv";
  const std::string csv = native::calibration_csv(cal);
  output::write_file_atomic(csv_path, csv);
  std::cout << csv << "\nfit: hit " << cal.hit_cycles << ", bus request " << cal.request_cycles << ", data "
            << cal.data_cycles << ", memory " << (cal.memory_cycles ? std::to_string(cal.memory_cycles) : "-")
            << " cycles (residual " << cal.fit_rms << " rms), simulated on " << machine_file << "\n";
  for (const auto& w : cal.warnings) std::cout << "warning: " << w << "\n";
  std::cout << "-> " << csv_path << "\n";
  return kExitOk;
}
}

int cmd_calibrate(int argc, char** argv) {
  po::options_description opts("options");
  opts.add_options()
      ("help,h", "this text")
      ("output,o", po::value<std::string>()->default_value("results/local/calibrated.yaml"),
       "machine YAML to write; the raw table goes beside it as .csv")
      ("reps", po::value<int>()->default_value(101), "repetitions per (core pair, state, operation); the median is kept")
      ("pairs", po::value<int>()->default_value(3), "core pairs measured: the first CPU with each of the next N")
      ("clock-ghz", po::value<double>()->default_value(0), "core clock to count cycles in (0: estimate it)")
      ("simulate", po::value<std::string>(), "take the same table inside the simulator on MACHINE.yaml (or a preset name); -o is then the CSV");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(opts).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw InputError(std::string("calibrate: ") + e.what() + "\n" + kUsage);
  }
  if (vm.count("help")) {
    std::cout << kUsage << "\n\n" << opts;
    return kExitOk;
  }
  if (vm.count("simulate")) {
    for (const char* o : {"reps", "pairs", "clock-ghz"})
      if (!vm[o].defaulted())
        throw InputError(std::string("calibrate: --") + o + " does not apply to --simulate (the simulator is deterministic: one run per row, in machine cycles)");
    return simulate(vm["simulate"].as<std::string>(), vm);
  }
  native::CalibrateOptions co;
  co.reps = vm["reps"].as<int>();
  co.pairs = vm["pairs"].as<int>();
  co.clock_ghz = vm["clock-ghz"].as<double>();
  if (co.pairs < 1) throw InputError("calibrate: --pairs must be at least 1");
  if (co.clock_ghz < 0) throw InputError("calibrate: --clock-ghz must not be negative");

  const native::Environment env = native::read_environment();
  if (env.virtualized)
    std::cout << "note: running under a hypervisor (" << env.hypervisor
              << "): latencies include the VM's scheduling and may not describe the hardware\n";
  const native::Calibration cal = native::calibrate(co);
  const auto host = output::host_info();
  std::string yaml_path = vm["output"].as<std::string>();
  std::filesystem::path csv_path = yaml_path;
  csv_path.replace_extension(".csv");
  output::write_file_atomic(yaml_path, native::calibration_yaml(cal, host.hostname + " (" + env.cpu_model + ")"));
  output::write_file_atomic(csv_path.string(), native::calibration_csv(cal));

  std::cout << native::calibration_csv(cal) << "\nfit: hit " << cal.hit_cycles << ", bus request " << cal.request_cycles
            << ", data " << cal.data_cycles << ", memory " << (cal.memory_cycles ? std::to_string(cal.memory_cycles) : "-")
            << " cycles at " << cal.clock_ghz << " GHz (residual " << cal.fit_rms << " rms)\n";
  std::cout << "counter " << cal.counter_hz / 1e6 << " MHz (spread " << cal.counter_spread * 100 << "%), clock "
            << cal.clock_ghz << " GHz (spread " << cal.clock_spread * 100 << "%), timer step " << cal.timer_step_ticks
            << " ticks = " << cal.timer_step_cycles << " cycles\n";
  for (const auto& s : cal.skipped) std::cout << "not measured: " << s << "\n";
  for (const auto& w : cal.warnings) std::cout << "warning: " << w << "\n";
  std::cout << "-> " << yaml_path << ", " << csv_path.string() << "\n";
  return kExitOk;
}

}  // namespace lockstep::app

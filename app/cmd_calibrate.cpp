// lockstep calibrate [-o FILE] [--reps N] [--pairs N] [--clock-ghz G]
#include <filesystem>
#include <iostream>
#include <string>

#include <boost/program_options.hpp>

#include "app/commands.hpp"
#include "common/error.hpp"
#include "native/calibrate.hpp"
#include "native/topology.hpp"
#include "output/atomic_file.hpp"
#include "output/manifest.hpp"

namespace po = boost::program_options;

namespace lockstep::app {

namespace {
const char* kUsage = "usage: lockstep calibrate [-o machine.yaml] [--reps N] [--pairs N] [--clock-ghz G]";
}

int cmd_calibrate(int argc, char** argv) {
  po::options_description opts("options");
  opts.add_options()
      ("help,h", "this text")
      ("output,o", po::value<std::string>()->default_value("results/local/calibrated.yaml"),
       "machine YAML to write; the raw table goes beside it as .csv")
      ("reps", po::value<int>()->default_value(101), "repetitions per (core pair, state, operation); the median is kept")
      ("pairs", po::value<int>()->default_value(3), "core pairs measured: the first CPU with each of the next N")
      ("clock-ghz", po::value<double>()->default_value(0), "core clock to count cycles in (0: estimate it)");
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

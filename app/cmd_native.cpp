// lockstep native run EXPERIMENT.yaml [-o DIR] [--set path=value]... [--seed N]
//                     [--oversubscribe] [--handwritten] [--watchdog SECONDS] [--order sc|acqrel] [--no-perf]
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "app/args.hpp"
#include "app/commands.hpp"
#include "common/error.hpp"
#include "config/loader.hpp"
#include "native/experiment.hpp"
#include "native/overhead.hpp"
#include "output/summary.hpp"

namespace po = boost::program_options;

namespace lockstep::app {

namespace {
const char* kUsage =
    "usage: lockstep native run EXPERIMENT.yaml [-o DIR] [--set path=value]... [--seed N] [--oversubscribe]\n"
    "                           [--handwritten] [--watchdog SECONDS] [--order sc|acqrel] [--no-perf]\n"
    "                           [--measure throughput|latency] [--sample-every K] [--machine FILE | --clock-ghz G]\n"
    "       lockstep native overhead [--calls N]   (interpreter vs hand-written, one thread, uncontended)";
}

int cmd_native(int argc, char** argv) {
  po::options_description opts("options");
  opts.add_options()
      ("help,h", "this text")
      ("oversubscribe", "allow more threads than usable CPUs (correctness only: timings are meaningless)")
      ("handwritten", "run the hand-written C++ lock of the same name (ticket, mcs, ttas) instead of the program")
      ("watchdog", po::value<double>()->default_value(5.0), "seconds without any acquisition before exit 4")
      ("order", po::value<std::string>()->default_value("sc"), "plain ld/st ordering: sc (as simulated) or acqrel")
      ("no-perf", "do not open hardware counters")
      ("measure", po::value<std::string>()->default_value("throughput"),
       "throughput: sampled timestamps, exact counts; latency: every acquisition timestamped (handoff, wait, hold, lockstat)")
      ("sample-every", po::value<int>()->default_value(0), "throughput: time every K-th acquisition (0: chosen so the harness costs < 5%)")
      ("machine", po::value<std::string>(), "take the core clock from this machine YAML (lockstep calibrate's output)")
      ("clock-ghz", po::value<double>()->default_value(0), "core clock to convert counter ticks at (0: --machine, or measured)")
      ("calls", po::value<long>()->default_value(200000), "overhead: acquire+release pairs per timed batch");
  add_experiment_options(opts);
  Parsed parsed = parse_args(argc, argv, opts, "native", kUsage);
  if (parsed.help) return kExitOk;
  const po::variables_map& vm = parsed.vm;
  const std::vector<std::string>& args = parsed.words;
  if (!args.empty() && args[0] == "overhead") {
    if (args.size() != 1) throw InputError(std::string("native overhead: takes no file\n") + kUsage);
    long calls = vm["calls"].as<long>();
    if (calls < 1) throw InputError("native overhead: --calls must be at least 1");
    std::cout << native::overhead_table(native::measure_overhead(calls));
    return kExitOk;
  }
  if (args.empty() || args[0] != "run") throw InputError(std::string("native: expected 'run' or 'overhead'\n") + kUsage);
  if (args.size() != 2) throw InputError(std::string("native run: expected one experiment file\n") + kUsage);

  native::NativeOptions no;
  no.oversubscribe = vm.count("oversubscribe") > 0;
  no.handwritten = vm.count("handwritten") > 0;
  no.perf = vm.count("no-perf") == 0;
  no.watchdog_seconds = vm["watchdog"].as<double>();
  if (!(no.watchdog_seconds > 0)) throw InputError("native: --watchdog must be positive");
  const std::string order = vm["order"].as<std::string>();
  if (order == "sc") no.order = native::Order::SeqCst;
  else if (order == "acqrel") no.order = native::Order::AcqRel;
  else throw InputError("native: --order must be sc or acqrel, not '" + order + "'");

  const std::string measure = vm["measure"].as<std::string>();
  if (measure == "throughput") no.measure = native::Measure::Throughput;
  else if (measure == "latency") no.measure = native::Measure::Latency;
  else throw InputError("native: --measure must be throughput or latency, not '" + measure + "'");
  no.sample_every = vm["sample-every"].as<int>();
  if (no.sample_every < 0) throw InputError("native: --sample-every must not be negative");
  const double ghz = vm["clock-ghz"].as<double>();
  if (ghz < 0) throw InputError("native: --clock-ghz must not be negative");
  if (ghz > 0 && vm.count("machine")) throw InputError("native: give --machine or --clock-ghz, not both");
  const native::ClockChoice clock = native::choose_clock(vm.count("machine") ? vm["machine"].as<std::string>() : "", ghz);
  no.clock_ghz = clock.ghz;

  const config::LoadOptions lo = experiment_options(vm);

  std::vector<std::string> full(argv, argv + argc);
  full.insert(full.begin(), "lockstep");
  const config::Experiment exp = config::load_experiment(args[1], lo);
  const native::NativeRun nr = native::run_native_experiment(exp, no, full, clock);

  int max_threads = 0;
  for (const auto& p : exp.points) max_threads = std::max(max_threads, p.workload.threads);
  std::cout << native::environment_warnings(nr.env, max_threads, no.handwritten) << clock.warning;
  std::cout << "clock: " << clock.ghz << " GHz (" << clock.source << "), counter " << nr.env.tick_hz / 1e6
            << " MHz; measure: " << measure << "\n";
  std::cout << native::native_table(exp, nr.run);
  std::ostringstream wall;
  wall.precision(3);
  wall << std::fixed << nr.run.wall_seconds;
  std::cout << "\n" << nr.run.results.size() << " point(s) run natively in " << wall.str() << " s -> " << nr.run.dir
            << "/{summary.csv,manifest.json,points/*/stats.json}\n";
  return kExitOk;
}

}  // namespace lockstep::app

// lockstep run EXPERIMENT.yaml [-o DIR] [--set path=value]... [--seed N] [--jobs N]
//                              [--shard I/N] [--trace FORMAT]
#include <filesystem>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "app/args.hpp"
#include "app/commands.hpp"
#include "common/error.hpp"
#include "config/loader.hpp"
#include "output/driver.hpp"
#include "output/pivot.hpp"
#include "output/plot.hpp"
#include "output/prepare_dir.hpp"
#include "run/check_points.hpp"
#include "run/simulate.hpp"

namespace po = boost::program_options;

namespace lockstep::app {

namespace {
const char* kUsage = "usage: lockstep run EXPERIMENT.yaml [-o DIR] [--set path=value]... [--seed N] [--jobs N] "
                     "[--shard I/N] [--trace FORMAT]";
}

int cmd_run(int argc, char** argv) {
  po::options_description opts("options");
  opts.add_options()
      ("help,h", "this text")
      ("jobs,j", po::value<int>()->default_value(1), "points simulated in parallel (results do not depend on it)")
      ("shard", po::value<std::string>(), "run only points with index % N == I (I/N)")
      ("trace", po::value<std::string>(), "write DIR/points/POINT/trace.txt in FORMAT (text)");
  add_experiment_options(opts);
  Parsed parsed = parse_args(argc, argv, opts, "run", kUsage);
  if (parsed.help) return kExitOk;
  const po::variables_map& vm = parsed.vm;
  if (parsed.words.empty()) throw InputError(std::string("run: missing EXPERIMENT.yaml\n") + kUsage);
  const auto& files = parsed.words;
  if (files.size() != 1) throw InputError("run: expected one experiment file, got " + std::to_string(files.size()));

  output::RunOptions ro;
  ro.jobs = vm["jobs"].as<int>();
  if (ro.jobs < 1) throw InputError("run: --jobs must be at least 1");
  if (vm.count("shard")) std::tie(ro.shard_index, ro.shard_count) = output::parse_shard(vm["shard"].as<std::string>());
  if (vm.count("trace")) {
    ro.trace_format = vm["trace"].as<std::string>();
    if (ro.trace_format.empty()) throw InputError("run: --trace needs a format (text)");
    // Refused before anything is created (the machine would refuse it only once a point runs).
    if (ro.trace_format != "text") throw InputError("--trace: unknown format '" + ro.trace_format + "' (expected 'text')");
  }
  ro.argv.assign(argv, argv + argc);
  ro.argv.insert(ro.argv.begin(), "lockstep");

  const config::LoadOptions lo = experiment_options(vm);

  const config::Experiment exp = config::load_experiment(files[0], lo);
  // Every point this shard runs is built before the first one runs; then the output folder.
  sim::check_points(exp, output::shard_points(exp, ro.shard_index, ro.shard_count));
  output::prepare_output_dir(exp.output_dir);
  const output::RunResult run = output::run_experiment(
      exp, ro, [](const config::Point& p, const sim::SimOptions& so) { return sim::simulate(p, so); });

  std::cout << output::summary_table(exp.swept_paths, run.results);
  std::cout << output::pivot_tables(exp.swept_paths, run.results, output::default_pivot_metrics(run.results));
  std::ostringstream where;
  where.precision(3);
  where << std::fixed << run.wall_seconds;
  // A sweep over one or two paths draws as lines (series x values); more paths need the
  // user to pick two, which `lockstep plot --series --x` does.
  std::string plots;
  if (exp.swept_paths.size() == 1 || exp.swept_paths.size() == 2) {
    for (const auto& file : output::write_summary_plots(run.dir).files)
      plots += "," + std::filesystem::path(file).filename().string();
  }
  std::cout << "\n" << run.results.size() << " point(s) in " << where.str() << " s -> " << run.dir
            << "/{summary.csv,manifest.json" << plots << ",points/*/stats.json}\n";
  return kExitOk;
}

}  // namespace lockstep::app

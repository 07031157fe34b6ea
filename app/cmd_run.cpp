// lockstep run EXPERIMENT.yaml [-o DIR] [--set path=value]... [--seed N] [--jobs N]
//                              [--shard I/N] [--trace FORMAT] [--force | --resume]
//                              [--seeds K] [--progress] [--emit slurm|parallel [--shards N]]
#include <unistd.h>

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
#include "output/emit.hpp"
#include "output/pivot.hpp"
#include "output/plot.hpp"
#include "output/report.hpp"
#include "output/prepare_dir.hpp"
#include "run/check_points.hpp"
#include "run/simulate.hpp"
#include "trace/writer.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace lockstep::app {

namespace {
const char* kUsage = "usage: lockstep run EXPERIMENT.yaml [-o DIR] [--set path=value]... [--seed N] [--jobs N]\n"
                     "                    [--shard I/N] [--trace FORMAT] [--snapshot-every CYCLES] [--force | --resume] [--seeds K] [--progress [--heartbeat S]]\n"
                     "                    [--emit slurm|parallel [--shards N]]";

// What a shard launched by --emit needs to simulate the same points: the experiment and
// every option that changes what is simulated.
std::vector<std::string> emitted_run_args(const po::variables_map& vm, const std::string& file) {
  std::vector<std::string> a = {fs::absolute(file).lexically_normal().string()};
  if (vm.count("set"))
    for (const auto& s : vm["set"].as<std::vector<std::string>>()) a.insert(a.end(), {"--set", s});
  if (vm.count("seed")) a.insert(a.end(), {"--seed", std::to_string(vm["seed"].as<uint64_t>())});
  if (vm["seeds"].as<int>() != 1) a.insert(a.end(), {"--seeds", std::to_string(vm["seeds"].as<int>())});
  if (vm.count("trace")) a.insert(a.end(), {"--trace", vm["trace"].as<std::string>()});
  if (vm.count("trace-warmup")) a.push_back("--trace-warmup");
  return a;
}

std::string self_path() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("lockstep") : exe.string();
}
}  // namespace

int cmd_run(int argc, char** argv) {
  po::options_description opts("options");
  opts.add_options()
      ("help,h", "this text")
      ("jobs,j", po::value<int>()->default_value(1), "points simulated in parallel (results do not depend on it)")
      ("shard", po::value<std::string>(), "run only points with index % N == I (I/N); `lockstep merge DIR` joins shards")
      ("trace", po::value<std::string>(), "write a timeline of every point in FORMAT: text (trace.txt), perfetto "
                                          "(trace.json), vcd (trace.vcd), or a comma list; see docs/trace.md")
      ("trace-warmup", "with --trace: keep the warm-up in the traces (left out by default)")
      ("snapshot-every", po::value<uint64_t>(), "write DIR/points/POINT/snapshots.txt: the lock's holder, its waiters "
                                                "and every core's irq/preempt state every CYCLES cycles (always at exit 3 and 4)")
      ("force", "clear lockstep's files from DIR first, whatever experiment they belong to")
      ("resume", "keep the points of DIR whose stats.json has the same config hash; run the rest")
      ("seeds", po::value<int>()->default_value(1), "run every point with K seeds (seed, seed+1, ...); "
                                                    "summary.csv shows means and METRIC_ci95 columns")
      ("progress", "report progress on stderr (the default when stderr is a terminal)")
      ("heartbeat", po::value<double>()->default_value(2.0, "2"), "with progress: every S seconds, a line per point still "
                                                                  "running with its simulated cycle and acquisitions (0 = none)")
      ("emit", po::value<std::string>(), "print a Slurm array script (slurm) or a GNU parallel command line "
                                         "(parallel) that runs the shards and merges them; simulates nothing")
      ("shards", po::value<int>(), "with --emit: number of shards (default: one per point, at most 1000)");
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
  ro.seeds = vm["seeds"].as<int>();
  if (ro.seeds < 1 || ro.seeds > 1000) throw InputError("run: --seeds must be between 1 and 1000");
  if (vm.count("shard")) std::tie(ro.shard_index, ro.shard_count) = output::parse_shard(vm["shard"].as<std::string>());
  if (vm.count("trace")) {
    ro.trace_format = vm["trace"].as<std::string>();
    if (ro.trace_format.empty()) throw InputError("run: --trace needs a format (text, perfetto, vcd)");
    // Refused before anything is created (the machine would refuse it only once a point runs).
    trace::parse_formats(ro.trace_format);
  }
  if (vm.count("snapshot-every")) {
    ro.snapshot_every = vm["snapshot-every"].as<uint64_t>();
    if (ro.snapshot_every == 0) throw InputError("run: --snapshot-every needs a number of cycles of at least 1");
  }
  if (vm.count("trace-warmup")) {
    if (!vm.count("trace")) throw InputError("run: --trace-warmup goes with --trace FORMAT");
    ro.trace_warmup = true;
  }
  if (vm.count("force") && vm.count("resume"))
    throw InputError("run: --force clears the folder and --resume keeps it: give one of them");
  if (vm.count("force")) ro.dir_mode = output::DirMode::Force;
  if (vm.count("resume")) ro.dir_mode = output::DirMode::Resume;
  if (vm.count("progress") || ::isatty(STDERR_FILENO)) ro.progress = &std::cerr;
  ro.heartbeat_seconds = vm["heartbeat"].as<double>();
  if (!(ro.heartbeat_seconds >= 0) || ro.heartbeat_seconds > 86400)
    throw InputError("run: --heartbeat must be between 0 and 86400 seconds");
  if (vm.count("shards") && !vm.count("emit")) throw InputError("run: --shards goes with --emit (use --shard I/N to run one)");
  ro.argv.assign(argv, argv + argc);
  ro.argv.insert(ro.argv.begin(), "lockstep");

  const config::LoadOptions lo = experiment_options(vm);
  const config::Experiment exp = config::load_experiment(files[0], lo);

  if (vm.count("emit")) {
    if (vm.count("shard")) throw InputError("run: --emit writes the shard commands itself; leave out --shard");
    output::EmitSpec spec;
    spec.format = vm["emit"].as<std::string>();
    spec.lockstep = self_path();
    spec.run_args = emitted_run_args(vm, files[0]);
    spec.dir = fs::absolute(exp.output_dir).lexically_normal().string();
    spec.workdir = fs::current_path().string();
    spec.name = exp.name;
    spec.points = exp.points.size();
    spec.shards = output::default_shards(exp.points.size());
    if (vm.count("shards")) {
      spec.shards = vm["shards"].as<int>();
      if (spec.shards < 1 || size_t(spec.shards) > exp.points.size())
        throw InputError("run: --shards must be between 1 and the number of points (" +
                         std::to_string(exp.points.size()) + ")");
    }
    std::cout << output::emit_script(spec);
    return kExitOk;
  }

  // Every point this shard runs is built before the first one runs; then the output folder.
  sim::check_points(exp, output::shard_points(exp, ro.shard_index, ro.shard_count));
  output::prepare_output_dir(exp.output_dir);
  const output::RunResult run = output::run_experiment(
      exp, ro, [](const config::Point& p, const sim::SimOptions& so) { return sim::simulate(p, so); });

  const output::Summary summary = output::build_summary(exp.swept_paths, run.results);
  std::cout << output::summary_table(summary, exp.swept_paths.size());
  std::cout << output::pivot_tables(exp.swept_paths, summary, output::default_pivot_metrics(summary));
  std::ostringstream where;
  where.precision(3);
  where << std::fixed << run.wall_seconds;
  // A sweep over one or two paths draws as lines (series x values); more paths need the
  // user to pick two, which `lockstep plot --series --x` does.
  std::string plots;
  if (run.summary_written && (exp.swept_paths.size() == 1 || exp.swept_paths.size() == 2)) {
    for (const auto& file : output::write_summary_plots(run.dir).files)
      plots += "," + fs::path(file).filename().string();
  }
  if (run.summary_written) {
    output::write_report(run.dir);
    plots += ",report.html";
  }
  std::cout << "\n" << run.results.size() << " point(s) in " << where.str() << " s";
  if (run.reused) std::cout << " (" << run.reused << " seed run(s) kept by --resume)";
  if (run.summary_written) {
    std::cout << " -> " << run.dir << "/{summary.csv," << (ro.shard_count == 1 ? "manifest.json" : "manifest.shard-*.json")
              << plots << ",points/*/stats.json}\n";
  } else {
    std::cout << " -> " << run.dir << "/points/*/stats.json (shard " << ro.shard_index << "/" << ro.shard_count
              << "; `lockstep merge " << run.dir << "` builds summary.csv once every shard has run)\n";
  }
  return kExitOk;
}

}  // namespace lockstep::app

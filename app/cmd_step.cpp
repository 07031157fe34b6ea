// lockstep step EXPERIMENT.yaml|LOCK [--cores N] [--until ROWS] [--acquisitions K] [--warmup] [--transients]
//                [--set path=value]... [--seed N]
//   the textbook step table (sim/trace/step.hpp, docs/trace.md): one row per coherence
//   transaction — cycle, core, micro-op, variable, request — and every L1's state of that
//   line afterwards (P0..Pn-1). With a lock NAME or .lock FILE the machine is the default
//   snooping MESI bus with one thread per core, each taking the lock K times (default 1)
//   with a critical section long enough for every other thread to queue up behind the
//   first holder — the classic walkthrough. With an experiment, its first point runs.
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "app/args.hpp"
#include "app/commands.hpp"
#include "common/error.hpp"
#include "config/loader.hpp"
#include "run/machine.hpp"
#include "trace/step.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace lockstep::app {

namespace {
const char* kUsage =
    "usage: lockstep step EXPERIMENT.yaml|LOCK [--cores N] [--until ROWS] [--acquisitions K] [--warmup] [--transients]\n"
    "                     [--set path=value]... [--seed N]\n"
    "  LOCK: a built-in lock (lockstep list locks) or a .lock file, run on the default snooping MESI bus";

bool is_yaml(const std::string& a) {
  const std::string ext = fs::path(a).extension().string();
  return ext == ".yaml" || ext == ".yml";
}

// The walkthrough experiment for a bare lock: every thread calls acquire at cycle 0, the
// first holder's critical section (4,000 cycles) outlasts everyone else's arrival.
std::string lock_experiment(const std::string& lock, int cores, int acquisitions) {
  std::string l = lock;
  if (fs::path(lock).extension() == ".lock") l = fs::absolute(lock).lexically_normal().string();
  return "name: step\n"
         "machine: {cores: " + std::to_string(cores) + "}\n"
         "workload:\n"
         "  lock: '" + l + "'\n"
         "  acquisitions_per_thread: " + std::to_string(acquisitions) + "\n"
         "  warmup_acquisitions: 0\n"
         "  critical_section: {cycles: 4000, lines_read: 0, lines_written: 0}\n"
         "  outside: {dist: fixed, cycles: 0}\n";
}
}  // namespace

int cmd_step(int argc, char** argv) {
  po::options_description opts("options");
  opts.add_options()
      ("help,h", "this text")
      ("cores", po::value<int>(), "cores (machine.cores; default 8 for a LOCK, the experiment's otherwise)")
      ("until", po::value<int>()->default_value(64), "stop after this many rows")
      ("acquisitions", po::value<int>(), "with a LOCK: acquisitions per thread (default 1)")
      ("warmup", "show the warm-up's transactions too (an experiment's warmup_acquisitions)")
      ("transients", "show transient states as they are (IS_AD) instead of the stable state they leave (I)");
  add_experiment_options(opts);
  Parsed parsed = parse_args(argc, argv, opts, "step", kUsage);
  if (parsed.help) return kExitOk;
  const po::variables_map& vm = parsed.vm;
  if (parsed.words.size() != 1)
    throw InputError(std::string("step: expected one EXPERIMENT.yaml or LOCK\n") + kUsage);
  const std::string what = parsed.words[0];
  const int until = vm["until"].as<int>();
  if (until < 1) throw InputError("step: --until must be at least 1 (rows to print)");
  if (vm.count("cores") && (vm["cores"].as<int>() < 1 || vm["cores"].as<int>() > 64))
    throw InputError("step: --cores must be 1..64 (one column per core)");

  config::LoadOptions lo = experiment_options(vm);
  config::Experiment exp;
  if (is_yaml(what)) {
    if (vm.count("acquisitions")) throw InputError("step: --acquisitions goes with a LOCK; for an experiment use --set workload.acquisitions_per_thread=K");
    if (vm.count("cores")) lo.sets.push_back("machine.cores=" + std::to_string(vm["cores"].as<int>()));
    exp = config::load_experiment(what, lo);
  } else {
    const int cores = vm.count("cores") ? vm["cores"].as<int>() : 8;
    const int acq = vm.count("acquisitions") ? vm["acquisitions"].as<int>() : 1;
    if (acq < 1) throw InputError("step: --acquisitions must be at least 1");
    exp = config::load_experiment_text(lock_experiment(what, cores, acq), "step " + what, lo);
  }
  const config::Point& p = exp.points.at(0);
  if (p.machine.cores > 64) throw InputError("step: " + std::to_string(p.machine.cores) + " cores: at most 64 (one column per core)");

  sim::Machine m(p);
  trace::StepTable table(m.trace_context(), m.stable_states(), std::cout, until, vm.count("warmup") > 0,
                         vm.count("transients") > 0);
  std::cout << "# " << m.lock().name << " (" << m.lock().file << ") on " << p.machine.cores << " cores, "
            << p.machine.protocol << " " << (p.machine.coherence == "snoop" ? "snooping bus" : "directory")
            << (exp.points.size() > 1 ? ", point " + p.name + " (the first of " + std::to_string(exp.points.size()) + ")" : "")
            << "\n# one row per coherence transaction: the cycle it was "
            << (p.machine.coherence == "snoop" ? "granted the bus" : "sent")
            << ", the core, its micro-op, the variable, the request; then every L1's state of that line afterwards"
            << (vm.count("transients") ? "" : " (a line in a transient state shows the stable state it leaves: IS_AD as I)") << "\n";
  m.subscribe(&table);
  try {
    m.run();
  } catch (const trace::StepLimit&) {
    std::cout << "-- stopped after " << table.rows() << " rows (--until " << until << ")\n";
    return kExitOk;
  }
  table.header();
  std::cout << "-- run complete: " << table.rows() << " rows\n";
  return kExitOk;
}

}  // namespace lockstep::app

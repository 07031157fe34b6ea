// lockstep model ticket [--cores LIST] [--outside A] [--service S] [--per-waiter C]
//                       [--from EXPERIMENT.yaml [--set path=value]... [--seed N]]
// The ticket-lock Markov model (models/ticket_markov.hpp): predicted throughput and cores in
// the lock per core count; with --from, the simulator's figures for the same points beside it.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "app/args.hpp"
#include "app/commands.hpp"
#include "common/error.hpp"
#include "config/loader.hpp"
#include "run/simulate.hpp"
#include "ticket_markov.hpp"

namespace po = boost::program_options;

namespace lockstep::app {

namespace {
const char* kUsage =
    "usage: lockstep model ticket [--cores LIST] [--outside A] [--service S] [--per-waiter C]\n"
    "                             [--from EXPERIMENT.yaml [--set path=value]... [--seed N]]";

std::vector<int> parse_cores(const std::string& list) {
  std::vector<int> out;
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    size_t used = 0;
    int v = 0;
    try {
      v = std::stoi(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size() || v < 1 || v > 4096)
      throw InputError("model: --cores: '" + item + "' is not a core count 1..4096 (expected e.g. 1,2,4,8)");
    out.push_back(v);
  }
  if (out.empty()) throw InputError("model: --cores: empty list");
  return out;
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// Flags given on the command line win over what the machine derivation says.
models::TicketModel override(models::TicketModel t, const po::variables_map& vm) {
  if (vm.count("outside")) t.outside_mean = vm["outside"].as<double>();
  if (vm.count("service")) t.service_cycles = vm["service"].as<double>();
  if (vm.count("per-waiter")) t.per_waiter_cycles = vm["per-waiter"].as<double>();
  return t;
}

int model_only(const po::variables_map& vm) {
  // Without an experiment, s and c come from lockstep's default machine (the MESI bus of
  // configs/machines/bus16.yaml, 50-cycle critical section writing one line).
  config::Point def;
  def.workload.outside = {"exponential", 0, 0, 0, 2000.0};
  const models::TicketModel t = override(models::ticket_model_for(def), vm);
  const std::vector<int> cores = parse_cores(vm["cores"].as<std::string>());
  std::cout << "ticket-lock Markov model: a = " << t.outside_mean << ", s = " << t.service_cycles
            << ", c = " << t.per_waiter_cycles << " cycles\n\n"
            << "cores  acq/kcycle  in lock\n";
  for (int n : cores) {
    const auto pr = models::predict(t, n);
    std::cout << fmt("%5.0f", n) << fmt("  %10.3f", pr.acq_per_kcycle) << fmt("  %7.2f", pr.mean_waiting) << "\n";
  }
  return kExitOk;
}

int model_vs_sim(const std::string& file, const po::variables_map& vm) {
  const config::Experiment exp = config::load_experiment(file, experiment_options(vm));
  for (const auto& p : exp.points)
    if (p.workload.lock != "ticket")
      throw InputError(exp.file + ": point " + p.name + " uses lock '" + p.workload.lock +
                       "'; the ticket model compares with workload.lock: ticket only");
  std::cout << "ticket-lock Markov model vs simulation: " << exp.name << " (" << exp.file << ")\n"
            << "acq/kcycle: acquisitions per 1000 cycles; in lock: mean cores waiting or holding\n"
               "(simulated: sum over cores of cycles acquiring + in the critical section, / cycles)\n\n"
            << "point                      cores       a       s       c  model acq/kc  sim acq/kc   error"
               "  model in lock  sim in lock\n";
  for (const auto& p : exp.points) {
    const models::TicketModel t = override(models::ticket_model_for(p), vm);
    const int n = p.workload.threads > 0 ? p.workload.threads : p.machine.cores;
    const auto pr = models::predict(t, n);
    const stats::Point s = sim::simulate(p);
    double busy = 0;
    for (const auto& c : s.per_core) busy += double(c.cycles_acquiring + c.cycles_in_cs);
    const double sim_in_lock = s.cycles ? busy / double(s.cycles) : 0.0;
    const double sim_x = s.acq_per_kcycle();
    const double err = sim_x > 0 ? (pr.acq_per_kcycle - sim_x) / sim_x : 0.0;
    std::string name = p.name;
    if (name.size() < 25) name.resize(25, ' ');
    std::cout << name << fmt("  %5.0f", n) << fmt("  %6.0f", t.outside_mean) << fmt("  %6.0f", t.service_cycles)
              << fmt("  %6.0f", t.per_waiter_cycles) << fmt("  %12.3f", pr.acq_per_kcycle) << fmt("  %10.3f", sim_x)
              << fmt("  %+5.0f%%", 100.0 * err) << fmt("  %13.2f", pr.mean_waiting) << fmt("  %11.2f", sim_in_lock)
              << "\n";
  }
  return kExitOk;
}
}  // namespace

int cmd_model(int argc, char** argv) {
  po::options_description opts("options");
  opts.add_options()
      ("help,h", "this text")
      ("cores", po::value<std::string>()->default_value("1,2,4,8,16,32,64"), "core counts, comma-separated")
      ("outside", po::value<double>(), "a: mean cycles outside the lock (default 2000, or from the experiment)")
      ("service", po::value<double>(), "s: cycles per uncontended acquisition (default: derived from the machine)")
      ("per-waiter", po::value<double>(), "c: extra handoff cycles per waiting core (default: derived from the machine)")
      ("from", po::value<std::string>(), "an experiment whose points (lock: ticket) are also simulated");
  opts.add_options()("set", po::value<std::vector<std::string>>()->composing(),
                     "with --from: override a config value: path=value (repeatable)")(
      "seed", po::value<std::string>(), "with --from: override seed:");
  Parsed parsed = parse_args(argc, argv, opts, "model", kUsage);
  if (parsed.help) return kExitOk;
  if (parsed.words.size() != 1 || parsed.words[0] != "ticket")
    throw InputError(std::string("model: expected the model name 'ticket'\n") + kUsage);
  const po::variables_map& vm = parsed.vm;
  if (vm.count("from")) {
    if (!vm["cores"].defaulted())
      throw InputError("model: --cores and --from do not go together: the experiment's points give the core counts");
    return model_vs_sim(vm["from"].as<std::string>(), vm);
  }
  if (vm.count("set") || vm.count("seed")) throw InputError("model: --set and --seed apply to --from only");
  return model_only(vm);
}

}  // namespace lockstep::app

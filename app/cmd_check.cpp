// lockstep check protocol NAME [--coherence snoop|directory] [--topology T] [--cores N]
//                              [--seeds N] [--ops N] [--seed S] [--no-minimise]
// The random protocol tester (sim/check/random_tester.hpp). Exit 0 when every seed ran
// clean, 3 on a correctness violation, 4 on a deadlock or livelock; either way it prints
// the minimised case and the last events that lead to it.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "app/args.hpp"
#include "app/commands.hpp"
#include "check/random_tester.hpp"
#include "common/error.hpp"
#include "common/limits.hpp"

namespace po = boost::program_options;

namespace lockstep::app {

namespace {
const char* kUsage =
    "usage: lockstep check protocol NAME [--coherence snoop|directory] [--topology T] [--cores N] [--seeds N] "
    "[--ops N] [--mode atomic|split] [--llc]\n  NAME: MSI, MESI, MOESI, MESIF (any case) or a path to a .table file\n"
    "       lockstep check lock NAME|FILE [--threads N] [--acquisitions K] (lockstep check lock --help)";
}

int cmd_check(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == "lock") return cmd_check_lock(argc - 1, argv + 1);
  check::TesterOptions t;
  po::options_description opts("options");
  opts.add_options()
      ("help,h", "this text")
      ("coherence", po::value<std::string>()->default_value(t.coherence), "snoop | directory")
      ("topology", po::value<std::string>()->default_value(t.topology), "interconnect.topology (bus for snoop)")
      ("cores", po::value<int>()->default_value(t.cores), "cores, all of them running random streams")
      ("seeds", po::value<int>()->default_value(t.seeds), "seeds to run; each one new streams and new timing")
      ("ops", po::value<int64_t>()->default_value(t.ops), "memory operations per seed, all cores together")
      ("seed", po::value<std::string>()->default_value(std::to_string(t.first_seed)), "first seed")
      ("hot-lines", po::value<int>()->default_value(t.hot_lines), "lines shared word by word by every core")
      ("mode", po::value<std::string>()->default_value(t.mode), "snooping bus: atomic | split (interconnect.mode)")
      ("llc", "add a tiny inclusive shared LLC (back-invalidations all the time)")
      ("no-minimise", "report the first failing case as found, without shrinking it");
  Parsed parsed = parse_args(argc, argv, opts, "check", kUsage);
  if (parsed.help) return kExitOk;
  const po::variables_map& vm = parsed.vm;
  const std::vector<std::string>& args = parsed.words;
  if (args.empty() || args[0] != "protocol") {
    std::string msg = "check: expected 'protocol' or 'lock'";
    if (!args.empty()) {
      msg += ", got '" + args[0] + "'";
      const std::string near = nearest(args[0], {"protocol", "lock"});
      if (!near.empty()) msg += " (did you mean '" + near + "'?)";
    }
    throw InputError(msg + "\n" + kUsage);
  }
  if (args.size() != 2) throw InputError(std::string("check protocol: expected one protocol NAME\n") + kUsage);
  t.protocol = args[1];
  t.coherence = vm["coherence"].as<std::string>();
  t.topology = vm["topology"].as<std::string>();
  t.cores = vm["cores"].as<int>();
  t.seeds = vm["seeds"].as<int>();
  t.ops = vm["ops"].as<int64_t>();
  t.first_seed = parse_seed(vm["seed"].as<std::string>());
  t.hot_lines = vm["hot-lines"].as<int>();
  t.minimise = !vm.count("no-minimise");
  t.mode = vm["mode"].as<std::string>();
  t.llc = vm.count("llc") != 0;
  if (t.mode != "atomic" && t.mode != "split")
    throw InputError("check protocol: --mode '" + t.mode + "' is not atomic or split");
  if (t.coherence != "snoop" && t.coherence != "directory") {
    std::string near = nearest(t.coherence, {"snoop", "directory"});
    throw InputError("check protocol: --coherence '" + t.coherence + "' is not snoop or directory" +
                     (near.empty() ? "" : " (did you mean '" + near + "'?)"));
  }
  if (t.coherence == "snoop" && t.topology != "bus")
    throw InputError("check protocol: --coherence snoop runs on --topology bus only (got '" + t.topology + "')");
  if (t.coherence == "directory" && t.topology == "bus")
    t.topology = "crossbar";  // a directory needs a network; bus is only the default for snoop
  if (t.hot_lines < 1) throw InputError("check protocol: --hot-lines must be at least 1");
  // The same bound as machine.cores; and every core runs at least one operation, so fewer
  // operations than cores could not be honoured.
  if (t.cores > 0 && uint64_t(t.cores) > limits::get(limits::Id::Cores))
    throw InputError("check protocol: " + limits::exceeded(limits::Id::Cores, "--cores", uint64_t(t.cores)));
  if (t.cores > 0 && t.ops >= 1 && t.ops < t.cores)
    throw InputError("check protocol: --ops " + std::to_string(t.ops) + " is fewer than --cores " + std::to_string(t.cores) +
                     " (every core runs at least one operation; give --ops " + std::to_string(t.cores) + " or more)");

  const check::TesterReport r = check::run_random_tester(t);
  const double rate = r.seconds > 0 ? double(r.operations) / r.seconds : 0;
  char line[256];
  std::snprintf(line, sizeof line, "%lld operations in %d seed(s), %.2f s, %.3g ops/s",
                static_cast<long long>(r.operations), r.seeds_run, r.seconds, rate);
  std::cout << "check protocol " << t.protocol << " (" << t.coherence << ", " << t.topology
            << (t.coherence == "snoop" && t.mode == "split" ? " split" : "") << ", " << t.cores << " cores): ";
  if (!r.failure) {
    std::cout << "ok: " << line << "\n";
    if (t.coherence == "snoop" && t.mode == "split" && r.race_cells.empty())
      std::cout << "(no snoop-split controller in this table: the split bus ran its snoop controller and held a "
                   "request for a line with a response outstanding until that response completed, so no race "
                   "cell was exercised)\n";
    if (!r.race_cells.empty()) {
      std::cout << "split-bus race cells fired (all seeds, all cores):\n";
      for (const auto& [cell, n] : r.race_cells) std::cout << "  " << cell << " " << n << "\n";
    }
    return kExitOk;
  }
  const auto& f = *r.failure;
  std::cout << (f.exit_code == kExitNoProgress ? "NO PROGRESS" : "VIOLATION") << " after " << line << "\n"
            << "  " << f.message << "\n"
            << "  minimal case: seed " << f.seed << ", " << f.cores << " core(s), " << f.ops_per_core
            << " operation(s) per stream, " << f.repetitions << " repetition(s) (" << f.reruns << " re-runs to shrink it)\n"
            << "  last " << f.trace.size() << " event(s) on " << f.trace_scope << " (cycle, who, what):\n";
  for (const auto& e : f.trace) std::cout << "    " << e << "\n";
  return f.exit_code;
}

}  // namespace lockstep::app

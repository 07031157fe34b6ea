// lockstep lock show NAME|FILE [--threads N] [--param name=value]...
//   the lock's disassembly (parameters and ncpu resolved) and its memory layout: which
//   variable on which cache line, at which offset, each thread's .percpu block, each element
//   of an .array.
// lockstep check lock NAME|FILE [--threads 2|3] [--acquisitions K] [--max-states N] [--param name=value]...
//   the lock model checker (sim/check/lock_checker.hpp): exit 0 when every interleaving is
//   fine, 3 on a mutual-exclusion violation (or a bad address), 4 when the threads can get
//   stuck (deadlock, livelock); the counterexample is a shortest step table.
#include <iostream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "app/args.hpp"
#include "app/commands.hpp"
#include "check/lock_checker.hpp"
#include "common/error.hpp"
#include "isa/program.hpp"
#include "workload/lock_layout.hpp"
#include "workload/lock_library.hpp"

namespace po = boost::program_options;

namespace lockstep::app {

namespace {

constexpr uint64_t kArenaBase = 0x10000;  // where the simulator puts the arena (run/machine.hpp)

const char* kShowUsage =
    "usage: lockstep lock show NAME|FILE [--threads N] [--param name=value]...\n"
    "  NAME: a built-in lock (lockstep list locks) or a path to a .lock file";
const char* kCheckUsage =
    "usage: lockstep check lock NAME|FILE [--threads 2|3] [--acquisitions K] [--max-states N] [--param name=value]...\n"
    "  NAME: a built-in lock (lockstep list locks) or a path to a .lock file\n"
    "  exit status: 0 every interleaving is fine, 3 mutual exclusion violated, 4 the threads can get stuck";

isa::Program load(const std::string& what, const std::string& name, int threads, const po::variables_map& vm) {
  std::string file;
  const std::string text = workload::lock_source(name, "", &file);
  isa::AssembleOptions opt;
  opt.file = file;
  opt.ncpu = threads;
  if (vm.count("param"))
    for (const auto& kv : vm["param"].as<std::vector<std::string>>()) {
      const auto eq = kv.find('=');
      if (eq == std::string::npos || eq == 0)
        throw InputError(what + ": --param '" + kv + "': expected name=value");
      try {
        size_t used = 0;
        const std::string v = kv.substr(eq + 1);
        const long long n = std::stoll(v, &used, 0);
        if (used != v.size()) throw std::invalid_argument(v);
        opt.params[kv.substr(0, eq)] = n;
      } catch (const std::exception&) {
        throw InputError(what + ": --param '" + kv + "': the value must be an integer");
      }
    }
  return isa::assemble(text, opt);
}

void add_lock_options(po::options_description& opts, int threads) {
  opts.add_options()
      ("help,h", "this text")
      ("threads", po::value<int>()->default_value(threads), "thread count: sizes .percpu blocks and ncpu arrays")
      ("param", po::value<std::vector<std::string>>()->composing(), "override a lock parameter: name=value (repeatable)");
}

}  // namespace

int cmd_lock(int argc, char** argv) {
  po::options_description opts("options");
  add_lock_options(opts, 4);
  Parsed parsed = parse_args(argc, argv, opts, "lock", kShowUsage);
  if (parsed.help) return kExitOk;
  const auto& args = parsed.words;
  if (args.empty() || args[0] != "show") {
    std::string msg = "lock: expected 'show'";
    if (!args.empty()) {
      msg += ", got '" + args[0] + "'";
      if (nearest(args[0], {"show"}) == "show") msg += " (did you mean 'show'?)";
    }
    throw InputError(msg + "\n" + kShowUsage);
  }
  if (args.size() != 2) throw InputError(std::string("lock show: expected one lock NAME or FILE\n") + kShowUsage);
  const int threads = parsed.vm["threads"].as<int>();
  if (threads < 1 || threads > 4096) throw InputError("lock show: --threads must be 1..4096");
  const isa::Program p = load("lock show", args[1], threads, parsed.vm);
  std::cout << "# " << p.file << ", assembled for " << threads << " thread(s) (ncpu = " << threads << ")\n"
            << isa::disassemble(p) << "\n"
            << workload::layout_table(p, kArenaBase, 64, threads);
  return kExitOk;
}

int cmd_check_lock(int argc, char** argv) {
  check::LockCheckOptions o;
  po::options_description opts("options");
  add_lock_options(opts, o.threads);
  opts.add_options()
      ("acquisitions", po::value<int>()->default_value(o.acquisitions), "acquisitions per thread (the harness loop's K)")
      ("max-states", po::value<uint64_t>()->default_value(o.max_states), "stop (incomplete) after this many states");
  Parsed parsed = parse_args(argc, argv, opts, "check lock", kCheckUsage);
  if (parsed.help) return kExitOk;
  const auto& args = parsed.words;  // argv[0] was "lock"
  if (args.size() != 1) throw InputError(std::string("check lock: expected one lock NAME or FILE\n") + kCheckUsage);
  o.threads = parsed.vm["threads"].as<int>();
  o.acquisitions = parsed.vm["acquisitions"].as<int>();
  o.max_states = parsed.vm["max-states"].as<uint64_t>();
  if (o.threads < 1 || o.threads > 8) throw InputError("check lock: --threads must be 1..8 (2 or 3 is the useful range)");
  if (o.acquisitions < 1 || o.acquisitions > 255) throw InputError("check lock: --acquisitions must be 1..255");
  if (o.max_states < 1) throw InputError("check lock: --max-states must be at least 1");
  const isa::Program p = load("check lock", args[0], o.threads, parsed.vm);
  const check::LockCheckReport r = check::check_lock(p, o);
  std::cout << check::format_report(p, o, r);
  return r.exit_code();
}

}  // namespace lockstep::app

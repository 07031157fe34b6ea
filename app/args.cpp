#include "app/args.hpp"

#include <cerrno>
#include <cstdlib>
#include <iostream>

#include "common/error.hpp"

namespace po = boost::program_options;

namespace lockstep::app {

void add_experiment_options(po::options_description& opts, const std::string& output_help) {
  opts.add_options()("output,o", po::value<std::string>(), output_help.c_str())(
      "set", po::value<std::vector<std::string>>()->composing(), "override a config value: path=value (repeatable)")(
      "seed", po::value<std::string>(), "override the experiment's seed, 0 .. 2^64-1 (every random choice derives from it)");
}

uint64_t parse_seed(const std::string& text) {
  // Decimal or 0x hex, nothing else: "-1" must not wrap round to 2^64-1.
  const bool hex = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  const std::string digits = hex ? text.substr(2) : text;
  const char* allowed = hex ? "0123456789abcdefABCDEF" : "0123456789";
  errno = 0;
  char* end = nullptr;
  unsigned long long v = 0;
  if (!digits.empty() && digits.find_first_not_of(allowed) == std::string::npos)
    v = std::strtoull(digits.c_str(), &end, hex ? 16 : 10);
  if (digits.empty() || digits.find_first_not_of(allowed) != std::string::npos || errno == ERANGE)
    throw InputError("--seed: expected an integer from 0 to 18446744073709551615 (decimal or 0x hex), got '" + text + "'");
  return v;
}

config::LoadOptions experiment_options(const po::variables_map& vm, config::LoadOptions lo) {
  if (vm.count("set"))
    for (const auto& s : vm["set"].as<std::vector<std::string>>()) lo.sets.push_back(s);
  if (vm.count("seed")) {
    lo.seed_given = true;
    lo.seed = parse_seed(vm["seed"].as<std::string>());
  }
  if (vm.count("output")) lo.output_dir = vm["output"].as<std::string>();
  return lo;
}

Parsed parse_args(int argc, char** argv, const po::options_description& opts, const std::string& cmd,
                  const std::string& usage) {
  po::options_description hidden;
  hidden.add_options()("lockstep-words", po::value<std::vector<std::string>>(), "");
  po::options_description all;
  all.add(opts).add(hidden);
  po::positional_options_description pos;
  pos.add("lockstep-words", -1);
  Parsed p;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), p.vm);
    po::notify(p.vm);
  } catch (const po::error& e) {
    throw InputError(cmd + ": " + e.what() + "\n" + usage);
  }
  if (p.vm.count("help")) {
    std::cout << usage << "\n\n" << opts;
    p.help = true;
  }
  if (p.vm.count("lockstep-words")) p.words = p.vm["lockstep-words"].as<std::vector<std::string>>();
  return p;
}

}  // namespace lockstep::app

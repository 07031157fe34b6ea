#include "app/args.hpp"

#include <iostream>

#include "common/error.hpp"

namespace po = boost::program_options;

namespace lockstep::app {

void add_experiment_options(po::options_description& opts, const std::string& output_help) {
  opts.add_options()("output,o", po::value<std::string>(), output_help.c_str())(
      "set", po::value<std::vector<std::string>>()->composing(), "override a config value: path=value (repeatable)")(
      "seed", po::value<uint64_t>(), "override the experiment's seed: (every random choice derives from it)");
}

config::LoadOptions experiment_options(const po::variables_map& vm, config::LoadOptions lo) {
  if (vm.count("set"))
    for (const auto& s : vm["set"].as<std::vector<std::string>>()) lo.sets.push_back(s);
  if (vm.count("seed")) {
    lo.seed_given = true;
    lo.seed = vm["seed"].as<uint64_t>();
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

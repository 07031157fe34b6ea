#include "app/args.hpp"

#include <iostream>

#include "common/error.hpp"

namespace po = boost::program_options;

namespace lockstep::app {

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

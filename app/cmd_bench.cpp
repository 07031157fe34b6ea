// lockstep bench [--quick] [--filter NAME]: host-speed figures of the simulator.
#include <iostream>

#include <boost/program_options.hpp>

#include "app/commands.hpp"
#include "common/error.hpp"
#include "run/bench.hpp"

namespace po = boost::program_options;

namespace lockstep::app {

int cmd_bench(int argc, char** argv) {
  po::options_description opts("lockstep bench [--quick] [--filter NAME]");
  opts.add_options()("help,h", "this help")("quick", "a tenth of the work (smoke run)")(
      "filter", po::value<std::string>()->default_value(""), "only cases whose name contains this");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(opts).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw InputError(std::string("bench: ") + e.what());
  }
  if (vm.count("help")) {
    std::cout << opts;
    return 0;
  }
  sim::run_bench(sim::bench_cases(vm.count("quick") > 0), vm["filter"].as<std::string>(), std::cout);
  return 0;
}

}  // namespace lockstep::app

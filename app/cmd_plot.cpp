// lockstep plot DIR [--y METRIC]... [--series PATH] [--x PATH] [-o FILE]
#include <iostream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "app/args.hpp"
#include "app/commands.hpp"
#include "common/error.hpp"
#include "output/plot.hpp"

namespace po = boost::program_options;

namespace lockstep::app {

namespace {
const char* kUsage = "usage: lockstep plot DIR [--y METRIC]... [--series PATH] [--x PATH] [-o FILE]\n"
                     "Draws DIR/summary.csv as SVG line charts, DIR/plot-METRIC.svg each (default metrics:\n"
                     "bus_per_acq or msgs_per_acq, inv_per_acq, acq_per_kcycle).";
}

int cmd_plot(int argc, char** argv) {
  po::options_description opts("options");
  opts.add_options()
      ("help,h", "this text")
      ("y", po::value<std::vector<std::string>>()->composing(), "summary.csv column to plot (repeatable)")
      ("series", po::value<std::string>(), "swept path whose values are the lines (default: the first)")
      ("x", po::value<std::string>(), "swept path whose values are the x axis (default: the last)")
      ("output,o", po::value<std::string>(), "write to FILE instead of DIR/plot-METRIC.svg (one --y only)");
  Parsed parsed = parse_args(argc, argv, opts, "plot", kUsage);
  if (parsed.help) return kExitOk;
  const po::variables_map& vm = parsed.vm;
  if (parsed.words.empty()) throw InputError(std::string("plot: missing DIR (a folder `lockstep run` wrote)\n") + kUsage);
  if (parsed.words.size() != 1)
    throw InputError("plot: expected one result folder, got " + std::to_string(parsed.words.size()));

  output::PlotRequest req;
  if (vm.count("y")) req.metrics = vm["y"].as<std::vector<std::string>>();
  if (vm.count("series")) req.series_path = vm["series"].as<std::string>();
  if (vm.count("x")) req.x_path = vm["x"].as<std::string>();
  if (vm.count("output")) req.output = vm["output"].as<std::string>();

  const output::PlotOutcome out = output::write_summary_plots(parsed.words[0], req);
  if (!out.note.empty()) std::cout << "note: " << out.note << "\n";
  for (const auto& f : out.files) std::cout << "-> " << f << "\n";
  return kExitOk;
}

}  // namespace lockstep::app

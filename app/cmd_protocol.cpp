// lockstep protocol show NAME [--coherence snoop|directory] [--format md|dot]
// Prints the table the simulator executes (parsed from the built-in or the given file):
// snoop -> the `snoop` controller; directory -> the `cache` and `directory` controllers.
#include <iostream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "app/args.hpp"
#include "app/commands.hpp"
#include "check/random_tester.hpp"
#include "coherence/protocol.hpp"
#include "coherence/render.hpp"
#include "common/error.hpp"

namespace po = boost::program_options;

namespace lockstep::app {

namespace {
const char* kUsage = "usage: lockstep protocol show NAME [--coherence snoop|directory] [--format md|dot] [--mode atomic|split]\n"
                     "  NAME: MSI, MESI, MOESI, MESIF (any case) or a path to a .table file";
}

int cmd_protocol(int argc, char** argv) {
  po::options_description opts("options");
  opts.add_options()
      ("help,h", "this text")
      ("coherence", po::value<std::string>()->default_value("snoop"), "which controllers: snoop | directory")
      ("format", po::value<std::string>()->default_value("md"), "md (Markdown tables) | dot (Graphviz)")
      ("mode", po::value<std::string>(), "snooping bus: atomic (controller snoop) | split (controller snoop-split); "
                                         "default: md shows both, dot the atomic one");
  Parsed parsed = parse_args(argc, argv, opts, "protocol", kUsage);
  if (parsed.help) return kExitOk;
  const po::variables_map& vm = parsed.vm;
  const std::vector<std::string>& args = parsed.words;
  if (args.empty() || args[0] != "show") {
    std::string msg = "protocol: expected 'show'";
    if (!args.empty()) {
      msg += ", got '" + args[0] + "'";
      if (nearest(args[0], {"show"}) == "show") msg += " (did you mean 'show'?)";
    }
    throw InputError(msg + "\n" + kUsage);
  }
  if (args.size() != 2) throw InputError(std::string("protocol show: expected one protocol NAME\n") + kUsage);
  const std::string coherence = vm["coherence"].as<std::string>();
  const std::string format = vm["format"].as<std::string>();
  if (coherence != "snoop" && coherence != "directory") {
    std::string near = nearest(coherence, {"snoop", "directory"});
    throw InputError("protocol show: --coherence '" + coherence + "' is not snoop or directory" +
                     (near.empty() ? "" : " (did you mean '" + near + "'?)"));
  }
  if (format != "md" && format != "dot") {
    std::string near = nearest(format, {"md", "dot"});
    throw InputError("protocol show: --format '" + format + "' is not md or dot" +
                     (near.empty() ? "" : " (did you mean '" + near + "'?)"));
  }

  const coherence::Protocol p = check::load_named_protocol(args[1]);  // unknown: InputError naming the nearest
  std::vector<std::string> kinds = coherence == "snoop" ? std::vector<std::string>{"snoop"}
                                                        : std::vector<std::string>{"cache", "directory"};
  // The split bus's table (snoop-split): with --mode split alone, by default after the atomic
  // one in Markdown (a DOT graph shows one bus).
  if (vm.count("mode")) {
    const std::string mode = vm["mode"].as<std::string>();
    if (mode != "atomic" && mode != "split") {
      std::string near = nearest(mode, {"atomic", "split"});
      throw InputError("protocol show: --mode '" + mode + "' is not atomic or split" +
                       (near.empty() ? "" : " (did you mean '" + near + "'?)"));
    }
    if (coherence != "snoop") throw InputError("protocol show: --mode is for the snooping bus (--coherence snoop)");
    if (mode == "split") {
      if (!p.controllers.count("snoop-split"))
        throw InputError(p.file + ": protocol " + p.name + " has no 'snoop-split' controller (the split bus then runs "
                         "its 'snoop' controller and holds a second request for a line until the first completes)");
      kinds = {"snoop-split"};
    }
  } else if (coherence == "snoop" && format == "md" && p.controllers.count("snoop-split")) {
    kinds.push_back("snoop-split");
  }
  if (format == "dot") {
    std::vector<const coherence::ControllerSpec*> cs;
    for (const auto& k : kinds) cs.push_back(&p.controller(k));
    std::cout << coherence::render_dot(p, cs);
    return kExitOk;
  }
  bool first = true;
  for (const auto& k : kinds) {
    const auto& c = p.controller(k);
    if (!first) std::cout << "\n";
    first = false;
    std::cout << (format == "md" ? coherence::render_markdown(p, c) : coherence::render_dot(p, c));
  }
  return kExitOk;
}

}  // namespace lockstep::app

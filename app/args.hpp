// The argument parsing every subcommand shares: its options plus any number of positional
// words, errors as InputError (exit 2) prefixed with the subcommand and followed by its
// usage, and --help printing the usage and the options.
#pragma once
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "config/loader.hpp"

namespace lockstep::app {

struct Parsed {
  boost::program_options::variables_map vm;
  std::vector<std::string> words;  // positional arguments, in order
  bool help = false;               // --help was given (and printed): return 0
};

// -o/--output, --set (repeatable) and --seed: how every command that loads an experiment
// lets the command line override it.
void add_experiment_options(boost::program_options::options_description& opts, const std::string& output_help =
                                                                                   "output directory (overrides output.dir)");
// Those options as the loader takes them; `sets` go after any already in `base`.
config::LoadOptions experiment_options(const boost::program_options::variables_map& vm, config::LoadOptions base = {});

// --seed's text as a 64-bit seed; InputError naming the range otherwise ("-1", "abc", 2^64).
uint64_t parse_seed(const std::string& text);

Parsed parse_args(int argc, char** argv, const boost::program_options::options_description& opts,
                  const std::string& cmd, const std::string& usage);

}  // namespace lockstep::app

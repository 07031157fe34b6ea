// The argument parsing every subcommand shares: its options plus any number of positional
// words, errors as InputError (exit 2) prefixed with the subcommand and followed by its
// usage, and --help printing the usage and the options.
#pragma once
#include <string>
#include <vector>

#include <boost/program_options.hpp>

namespace lockstep::app {

struct Parsed {
  boost::program_options::variables_map vm;
  std::vector<std::string> words;  // positional arguments, in order
  bool help = false;               // --help was given (and printed): return 0
};

Parsed parse_args(int argc, char** argv, const boost::program_options::options_description& opts,
                  const std::string& cmd, const std::string& usage);

}  // namespace lockstep::app

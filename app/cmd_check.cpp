// Placeholder: replaced by the work that owns this subcommand.
#include <iostream>
#include "app/commands.hpp"
namespace lockstep::app {
int cmd_check(int, char**) { std::cerr << "lockstep check: not available yet\n"; return 1; }
}  // namespace lockstep::app

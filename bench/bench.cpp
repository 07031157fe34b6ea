// lockstep_bench [--quick] [FILTER]: the simulator's host-speed figures (the cases live in
// sim/run/bench.cpp, shared with `lockstep bench`).
#include <cstring>
#include <iostream>

#include "run/bench.hpp"

int main(int argc, char** argv) {
  bool quick = false;
  std::string filter;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) quick = true;
    else filter = argv[i];
  }
  lockstep::sim::run_bench(lockstep::sim::bench_cases(quick), filter, std::cout);
  return 0;
}

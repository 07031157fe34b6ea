// Shared by the simulator tests: a config::Point with the defaults, and a Machine running a
// small hand-written program (capacity = ncpu, so threads never wait on each other unless
// the program makes them).
#pragma once
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "isa/program.hpp"
#include "run/machine.hpp"

namespace testing {

inline lockstep::config::Point point(int cores, const std::string& lock = "ticket", int64_t acq = 100, int64_t warm = 10) {
  lockstep::config::Point p;
  p.name = "test";
  p.machine.cores = cores;
  p.workload.lock = lock;
  p.workload.threads = cores;
  p.workload.acquisitions_per_thread = acq;
  p.workload.warmup_acquisitions = warm;
  return p;
}

inline lockstep::isa::Program assemble(const std::string& src, int ncpu) {
  lockstep::isa::AssembleOptions o;
  o.file = "test.lock";
  o.ncpu = ncpu;
  return lockstep::isa::assemble(src, o);
}

// One acquisition per thread, no critical section: the program's acquire does the work.
struct Directed {
  lockstep::config::Point p;
  lockstep::isa::Program prog;
  std::unique_ptr<lockstep::sim::Machine> m;
  lockstep::stats::Point s;
  Directed(int cores, const std::string& src, const std::string& protocol = "MESI",
           const std::function<void(lockstep::config::Point&)>& tweak = {}) {
    p = point(cores, "directed", 1, 0);
    p.machine.protocol = protocol;
    if (tweak) tweak(p);
    p.workload.critical_section = {0, 0, 0};
    p.workload.outside = {};
    p.workload.outside.cycles = 0;
    prog = assemble(src, cores);
    m = std::make_unique<lockstep::sim::Machine>(p, lockstep::sim::SimOptions{}, &prog);
    s = m->run();
  }
  uint64_t addr(const std::string& var, uint64_t off = 0) const {
    return lockstep::sim::Machine::kArenaBase + prog.vars[size_t(prog.var_index(var))].offset + off;
  }
  uint64_t line(const std::string& var) const { return addr(var) / uint64_t(p.machine.l1.line_bytes); }
  std::string state(int core, const std::string& var) {
    auto* st = m->l1(core).state_of(line(var));
    return st ? st->name : "I";
  }
  uint64_t word(const std::string& var, uint64_t off = 0) { return m->peek(addr(var, off)); }
};

// The lines of a text, and how often `what` occurs in it (trace and snapshot files).
inline std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}
inline size_t count_of(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

}  // namespace testing

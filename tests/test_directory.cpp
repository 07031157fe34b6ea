// Directory coherence (machine.coherence: directory): the generic table-driven L1 and home
// controllers against the Primer's tables (ch. 8), textbook message counts, and every lock
// on every protocol x network with the invariant checker on.
#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "coherence/protocol.hpp"
#include "config/config.hpp"
#include "isa/program.hpp"
#include "run/machine.hpp"

using namespace lockstep;

namespace {

config::Point dir_point(int cores, const std::string& protocol, const std::string& topology = "crossbar") {
  config::Point p;
  p.name = "test";
  p.machine.cores = cores;
  p.machine.protocol = protocol;
  p.machine.coherence = "directory";
  p.machine.interconnect.topology = topology;
  if (topology == "numa") p.machine.interconnect.sockets = cores >= 4 ? 2 : 1;
  p.workload.threads = cores;
  p.run.check_invariants = true;
  return p;
}

isa::Program assemble(const std::string& src, int ncpu) {
  isa::AssembleOptions o;
  o.file = "test.lock";
  o.ncpu = ncpu;
  return isa::assemble(src, o);
}

// Every thread runs `acquire` once; capacity = 64 so threads never wait on each other.
struct Directed {
  config::Point p;
  isa::Program prog;
  std::unique_ptr<sim::Machine> m;
  stats::Point s;
  Directed(int cores, const std::string& src, const std::string& protocol, const std::string& topology = "crossbar",
           int occupancy = 10) {
    p = dir_point(cores, protocol, topology);
    p.machine.directory.occupancy_cycles = occupancy;
    p.workload.acquisitions_per_thread = 1;
    p.workload.warmup_acquisitions = 0;
    p.workload.critical_section = {0, 0, 0};
    p.workload.outside.cycles = 0;
    prog = assemble(src, cores);
    m = std::make_unique<sim::Machine>(p, sim::SimOptions{}, &prog);
    s = m->run();
  }
  uint64_t line(const std::string& var) const {
    return (sim::Machine::kArenaBase + prog.vars[size_t(prog.var_index(var))].offset) / 64;
  }
  std::string state(int core, const std::string& var) {
    auto* st = m->dir_l1(core).state_of(line(var));
    return st ? st->name : "I";
  }
  std::string dir_state(const std::string& var) { return m->directory().state_name(line(var)); }
  uint64_t msgs(const std::string& type) const {
    auto it = s.coherence.messages_by_type.find(type);
    return it == s.coherence.messages_by_type.end() ? 0 : it->second;
  }
};

// Thread t does `op` at cycle ~1000 t, one after another, then `after` much later.
std::string staggered(const std::string& op, const std::string& after = "") {
  return "lock seq\ncapacity 64\n.shared x\n.shared y\nacquire:\n  mul r9, tid, 1000\n  work r9\n" + op +
         "\n  li r9, 100000\n  work r9\n" + after + "\n  ret\nrelease:\n  ret\n";
}

}  // namespace

TEST_CASE("smoke: one reader, one writer, MSI") {
  Directed d(2, staggered("  ld r1, [x]"), "MSI");
  CHECK(d.state(0, "x") == "S");
  CHECK(d.state(1, "x") == "S");
  CHECK(d.dir_state("x") == "S");
  CHECK(d.msgs("GetS") == 2);
  CHECK(d.msgs("Data") == 2);
}

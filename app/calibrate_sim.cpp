#include "app/calibrate_sim.hpp"

#include <algorithm>
#include <string>

#include "common/error.hpp"
#include "isa/program.hpp"
#include "run/machine.hpp"
#include "run/probe.hpp"

namespace lockstep::app {

namespace {

std::string csv_safe(std::string s) {
  std::replace(s.begin(), s.end(), ',', ';');
  std::replace(s.begin(), s.end(), '\n', ' ');
  return s;
}

// The native "local" state (core A stored to the line itself, so it holds it in M) has no
// probe_latency state: one core stores to x, waits, then times the operation the way
// probe_latency does (`now`, op, `now`, the `now`'s own ALU op taken out).
int64_t local_latency(const config::MachineCfg& machine, const std::string& op) {
  const std::string act = op == "load" ? "ld r5, [x]" : op == "store" ? "st [x], 2" : "cas r5, [x], 1, 2";
  const std::string src = "lock probe_local\ncapacity 1\n.shared x\n.percpu out 1\nacquire:\n  st [x], 1\n"
                          "  work 2000\n  now r1\n  " + act + "\n  now r2\n  sub r3, r2, r1\n  st [out], r3\n"
                          "  work 2000\n  ret\nrelease:\n  ret\n";
  config::Point p = sim::probe_point(machine, 1);
  isa::AssembleOptions o;
  o.file = "probe_local.lock";
  o.ncpu = 1;
  o.line_bytes = p.machine.l1.line_bytes;
  isa::Program prog = isa::assemble(src, o);
  sim::Machine m(p, sim::SimOptions{}, &prog);
  m.run();
  const uint64_t out = sim::Machine::kArenaBase + prog.vars[size_t(prog.var_index("out"))].offset;
  return int64_t(m.peek(out)) - int64_t(p.machine.core.alu_cycles);
}

}  // namespace

native::Calibration simulated_calibration(const config::MachineCfg& machine) {
  native::Calibration cal;
  cal.clock_ghz = machine.clock_ghz;
  cal.clock_estimated = false;
  cal.timer_overhead_cycles = 0;
  cal.timer_step_cycles = 1;   // the simulator's clock counts every cycle
  cal.timer_step_ticks = 1;
  cal.counter_hz = machine.clock_ghz * 1e9;
  cal.counter_stated = true;
  cal.pause_cycles = machine.core.pause_cycles;
  cal.fence_cycles = machine.core.fence_cycles;
  cal.cores = std::max(machine.cores, 3);
  cal.hit_cycles = machine.l1.hit_cycles;  // what the native pointer chase measures: one L1 hit

  for (const char* state : {"local", "M", "E", "S", "uncached"}) {
    const std::string st = state;
    for (const char* op : {"load", "store", "cas", "faa", "swap"}) {
      native::Measurement m;
      m.cpu_a = 0;
      m.cpu_b = st == "local" || st == "uncached" ? -1 : 1;
      m.cpu_c = st == "S" ? 2 : -1;
      m.state = st;
      m.op = op;
      m.reps = 1;   // deterministic: one run is every run
      m.batch = 1;
      const bool rmw = m.op == "cas" || m.op == "faa" || m.op == "swap";
      std::vector<std::string> notes;
      // The native window ends with a full fence, so a store counts until it is performed;
      // the probe times issue -> completion, which a store buffer would cut short.
      config::MachineCfg mc = machine;
      if (m.op == "store" && mc.core.store_buffer > 0) {
        mc.core.store_buffer = 0;
        notes.push_back("store timed until performed (store buffer off for this probe)");
      }
      if (st == "E" && machine.protocol == "MSI") notes.push_back("MSI has no E: core 1's read left the line in S");
      if (m.op == "faa" || m.op == "swap") notes.push_back("simulated as cas (every RMW costs the same)");
      try {
        int64_t cycles;
        if (st == "local") {
          cycles = local_latency(mc, rmw ? "cas" : m.op);
        } else {
          const sim::ProbeOp pop = m.op == "load" ? sim::ProbeOp::Load : m.op == "store" ? sim::ProbeOp::Store : sim::ProbeOp::Atomic;
          cycles = sim::probe_latency(mc, pop, st == "uncached" ? "I" : st).cycles;
        }
        m.median = m.p10 = m.p90 = m.min = double(cycles);
      } catch (const InputError& e) {
        // A state this machine cannot produce (E under MSI, ...): no number, the reason instead.
        m.measured = false;
        notes.assign(1, std::string("not simulated: ") + e.what());
      }
      for (const auto& n : notes) m.note += (m.note.empty() ? "" : "; ") + csv_safe(n);
      cal.table.push_back(m);
    }
  }
  native::fit_calibration(cal);
  return cal;
}

}  // namespace lockstep::app

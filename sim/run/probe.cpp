#include "run/probe.hpp"

#include <algorithm>

#include "common/error.hpp"
#include "isa/program.hpp"
#include "run/machine.hpp"

namespace lockstep::sim {

ProbeOp probe_op(const std::string& name) {
  if (name == "load") return ProbeOp::Load;
  if (name == "store") return ProbeOp::Store;
  if (name == "atomic") return ProbeOp::Atomic;
  throw InputError("probe: unknown operation '" + name + "' (expected load, store or atomic)");
}

namespace {

// Threads 1 and 2 prepare line x at cycles 0 and 2000; thread 0 probes it at cycle 6000,
// reading the cycle counter just before and just after the op. Counters of the probe's own
// access: the run's counters minus those of the same run without the probed op.
std::string program(ProbeOp op, const std::string& state, bool with_probe) {
  std::string prep1, prep2;
  if (state == "M") prep1 = "st [x], 1";
  else if (state == "E") prep1 = "ld r1, [x]";
  else if (state == "O") { prep1 = "st [x], 1"; prep2 = "ld r1, [x]"; }
  else if (state == "S") { prep1 = "ld r1, [x]"; prep2 = "ld r1, [x]"; }
  else if (state != "I") throw InputError("probe: unknown prior state '" + state + "' (expected M, O, E, S or I)");
  // A store is timed to its completion, not its retirement into a store buffer: a full fence
  // follows it inside the window (as native calibrate's fence does), its own cost removed.
  std::string act = op == ProbeOp::Load ? "ld r5, [x]" : op == ProbeOp::Store ? "st [x], 2\n  fence" : "cas r5, [x], 0, 2";
  std::string src = "lock probe\ncapacity 3\n.shared x\n.percpu out 1\nacquire:\n"
                    "  beq tid, 1, one\n  beq tid, 2, two\n  work 6000\n";
  src += "  now r1\n" + (with_probe ? "  " + act + "\n" : std::string()) + "  now r2\n  sub r3, r2, r1\n  st [out], r3\n";
  src += "  jmp fin\none:\n  " + prep1 + "\n  jmp fin\ntwo:\n  work 2000\n  " + prep2 +
         "\nfin:\n  work 10000\n  ret\nrelease:\n  ret\n";
  return src;
}

}  // namespace

config::Point probe_point(const config::MachineCfg& machine, int threads) {
  config::Point p;
  p.name = "probe";
  p.machine = machine;
  p.machine.cores = std::max(p.machine.cores, threads);
  p.workload.lock = "probe";
  p.workload.threads = threads;
  p.workload.acquisitions_per_thread = 1;
  p.workload.warmup_acquisitions = 0;
  p.workload.critical_section = {0, 0, 0};
  p.workload.outside = {};
  p.workload.outside.cycles = 0;
  p.run.fast_forward = false;
  return p;
}

ProbeResult probe_latency(const config::MachineCfg& machine, ProbeOp op, const std::string& state) {
  config::Point p = probe_point(machine, 3);
  isa::AssembleOptions o;
  o.file = "probe.lock";
  o.ncpu = 3;
  o.line_bytes = p.machine.l1.line_bytes;

  auto run = [&](bool with_probe, int64_t* cycles) {
    isa::Program prog = isa::assemble(program(op, state, with_probe), o);
    Machine m(p, SimOptions{}, &prog);
    stats::Point s = m.run();
    if (cycles) {
      uint64_t out = Machine::kArenaBase + prog.vars[size_t(prog.var_index("out"))].offset;
      // `now r1` costs one ALU op before the probed op issues.
      *cycles = int64_t(m.peek(out)) - int64_t(p.machine.core.alu_cycles) -
                (op == ProbeOp::Store ? int64_t(p.machine.core.fence_cycles) : 0);
    }
    return s.coherence;
  };
  ProbeResult r;
  stats::Coherence all = run(true, &r.cycles), base = run(false, nullptr);
  auto d = [](uint64_t a, uint64_t b) { return a - b; };
  r.coherence.bus_transactions = d(all.bus_transactions, base.bus_transactions);
  r.coherence.messages = d(all.messages, base.messages);
  r.coherence.invalidations = d(all.invalidations, base.invalidations);
  r.coherence.gets = d(all.gets, base.gets);
  r.coherence.getm = d(all.getm, base.getm);
  r.coherence.upgrades = d(all.upgrades, base.upgrades);
  r.coherence.writebacks = d(all.writebacks, base.writebacks);
  r.coherence.cache_to_cache = d(all.cache_to_cache, base.cache_to_cache);
  r.coherence.memory_reads = d(all.memory_reads, base.memory_reads);
  r.coherence.llc_hits = d(all.llc_hits, base.llc_hits);
  r.coherence.llc_misses = d(all.llc_misses, base.llc_misses);
  r.coherence.llc_back_invalidations = d(all.llc_back_invalidations, base.llc_back_invalidations);
  return r;
}

}  // namespace lockstep::sim

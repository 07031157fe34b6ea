#include "overhead.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>

#include "clock.hpp"
#include "config/config.hpp"
#include "handwritten/locks.hpp"
#include "interpreter.hpp"
#include "platform.hpp"
#include "runner.hpp"
#include "topology.hpp"
#include "workload/lock_library.hpp"

namespace lockstep::native {

std::vector<OverheadRow> measure_overhead(long calls, int batches) {
  pin_to_cpu(read_topology().cpus.at(0).id);
  std::vector<OverheadRow> out;
  const double ns_per_tick = 1e9 / tick_rate().hz;
  for (const auto& name : handwritten_locks()) {
    OverheadRow r;
    config::Point p;
    p.workload.lock = name;
    p.workload.threads = 1;
    p.machine.cores = 1;
    isa::Program prog = workload::load_lock(p);
    SoloRun solo(prog, 3.0, 1);
    RunShared& sh = solo.shared;
    Interpreter in(prog, sh, 0, 1, 1);
    auto hand = make_handwritten(name, 1);
    std::atomic<bool> stop{false};
    std::vector<double> ti, th, ta, tr;
    config::Point rp = p;
    rp.workload.acquisitions_per_thread = calls;
    rp.workload.warmup_acquisitions = std::min<long>(calls, 1000);
    rp.workload.critical_section = {0, 0, 0};
    rp.workload.outside.dist = "fixed";
    rp.workload.outside.cycles = 0;
    NativeOptions ro;
    ro.handwritten = true;
    ro.perf = false;
    ro.measure = Measure::Throughput;
    for (int b = 0; b < batches; ++b) {
      sh.order = Order::AcqRel;
      uint64_t ta0 = hw::ticks();
      for (long i = 0; i < calls; ++i) {
        in.run(prog.entry_acquire);
        in.run(prog.entry_release);
      }
      sh.order = Order::SeqCst;
      uint64_t t0 = hw::ticks();
      ta.push_back(double(t0 - ta0) * ns_per_tick / double(calls));
      for (long i = 0; i < calls; ++i) {
        in.run(prog.entry_acquire);
        in.run(prog.entry_release);
      }
      uint64_t t1 = hw::ticks();
      for (long i = 0; i < calls; ++i) {
        hand->acquire(0, stop);
        hand->release(0);
      }
      uint64_t t2 = hw::ticks();
      stats::Point st = run_native_program(prog, rp, ro);
      const double aps = st.extra.at("native.acq_per_second");
      tr.push_back(aps > 0 ? 1e9 / aps : 0);
      ti.push_back(double(t1 - t0) * ns_per_tick / double(calls));
      th.push_back(double(t2 - t1) * ns_per_tick / double(calls));
    }
    std::sort(ti.begin(), ti.end());
    std::sort(th.begin(), th.end());
    std::sort(ta.begin(), ta.end());
    r.interp_acqrel_ns = ta[ta.size() / 2];
    r.lock = name;
    r.interp_ns = ti[ti.size() / 2];
    r.hand_ns = th[th.size() / 2];
    std::sort(tr.begin(), tr.end());
    r.run_ns = tr[tr.size() / 2];
    r.hand_best_ns = th.front();
    r.run_best_ns = tr.front();
    r.micro_ops = double(in.micro_ops()) / double(2 * calls * batches);
    out.push_back(r);
  }
  return out;
}

std::string overhead_table(const std::vector<OverheadRow>& rows) {
  std::string s =
      "ns per uncontended acquire+release, one thread (median of batches)\n"
      "lock      interp sc  interp acqrel  hand-written  ratio(acqrel/hand)  micro-ops  extra ns/micro-op"
      "  run 1T (hand)  run/hand  best hand  best run  best run/hand\n";
  char b[400];
  for (const auto& r : rows) {
    std::snprintf(b, sizeof b, "%-8s  %9.1f  %13.1f  %12.1f  %18.2f  %9.1f  %17.2f  %13.1f  %8.2f  %9.1f  %8.1f  %13.2f\n", r.lock.c_str(),
                  r.interp_ns, r.interp_acqrel_ns, r.hand_ns, r.hand_ns > 0 ? r.interp_acqrel_ns / r.hand_ns : 0.0,
                  r.micro_ops, r.micro_ops > 0 ? (r.interp_acqrel_ns - r.hand_ns) / r.micro_ops : 0.0, r.run_ns,
                  r.hand_ns > 0 ? r.run_ns / r.hand_ns : 0.0, r.hand_best_ns, r.run_best_ns,
                  r.hand_best_ns > 0 ? r.run_best_ns / r.hand_best_ns : 0.0);
    s += b;
  }
  return s;
}

}  // namespace lockstep::native

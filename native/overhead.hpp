// `lockstep native overhead`: what the interpreter costs over hand-written C++, with no
// harness around it: one thread calls acquire + release back to back, uncontended, for
// each lock that has a hand-written version. Median of several timed batches; the batches
// of each kind alternate, so a disturbance on a busy machine hits all of them alike.
#pragma once
#include <string>
#include <vector>

namespace lockstep::native {

struct OverheadRow {
  std::string lock;
  double interp_ns = 0, hand_ns = 0;   // per acquire + release pair (interpreted: seq_cst ld/st)
  double interp_acqrel_ns = 0;          // interpreted with --order acqrel (as the hand-written ones)
  double micro_ops = 0;                // interpreted micro-ops per pair
  // The same hand-written lock inside `native run --handwritten --measure throughput` at one
  // thread (critical section and outside work 0): ns per acquisition, the harness included.
  double run_ns = 0;
  // The fastest batch of each kind: on a shared machine a batch is only ever slowed down by
  // preemption, never sped up, so the minima are the least disturbed pair of figures.
  double hand_best_ns = 0, run_best_ns = 0;
};

std::vector<OverheadRow> measure_overhead(long calls, int batches = 7);
std::string overhead_table(const std::vector<OverheadRow>& rows);

}  // namespace lockstep::native

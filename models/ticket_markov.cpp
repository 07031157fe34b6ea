#include "ticket_markov.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include <Eigen/Dense>

#include "common/error.hpp"

namespace lockstep::models {

Prediction predict(const TicketModel& m, int cores) {
  if (!(m.outside_mean > 0)) throw InputError("ticket model: outside mean must be > 0 cycles");
  if (!(m.service_cycles > 0)) throw InputError("ticket model: service cycles must be > 0");
  if (!(m.per_waiter_cycles >= 0)) throw InputError("ticket model: per-waiter cycles must be >= 0");
  if (cores < 1 || cores > 4096) throw InputError("ticket model: cores must be 1..4096");

  const int n = cores;
  const auto N = Eigen::Index(n + 1);
  auto service = [&](int k) { return m.service_cycles + double(k - 1) * m.per_waiter_cycles; };

  // Generator Q: Q(i,j) the rate i -> j, each row summing to zero.
  Eigen::MatrixXd Q = Eigen::MatrixXd::Zero(N, N);
  for (int k = 0; k <= n; ++k) {
    if (k < n) Q(k, k + 1) = double(n - k) / m.outside_mean;
    if (k > 0) Q(k, k - 1) = 1.0 / service(k);
    Q(k, k) = -Q.row(k).sum();
  }
  // pi Q = 0 is Q^T pi^T = 0, rank n; one of its equations is redundant, so the last one is
  // replaced by the normalisation sum(pi) = 1 to make the system non-singular.
  Eigen::MatrixXd A = Q.transpose();
  A.row(N - 1).setOnes();
  Eigen::VectorXd b = Eigen::VectorXd::Zero(N);
  b(N - 1) = 1.0;
  Eigen::VectorXd x = A.fullPivLu().solve(b);

  Prediction p;
  p.pi.resize(size_t(N));
  double sum = 0;
  for (int k = 0; k <= n; ++k) {
    // Far-tail probabilities can come out as -1e-300 from round-off; a probability is never
    // negative, and clamping them changes the sum by less than the solve's own error.
    p.pi[size_t(k)] = std::max(0.0, x(k));
    sum += p.pi[size_t(k)];
  }
  for (auto& v : p.pi) v /= sum;
  double per_cycle = 0;
  for (int k = 1; k <= n; ++k) {
    per_cycle += p.pi[size_t(k)] / service(k);  // a completion leaves state k at rate 1/service
    p.mean_waiting += double(k) * p.pi[size_t(k)];
  }
  p.acq_per_kcycle = 1000.0 * per_cycle;
  return p;
}

TicketModel ticket_model_for(const config::Point& p) {
  const auto& mc = p.machine;
  if (mc.coherence != "snoop")
    throw InputError("ticket model: deriving s and c covers the snooping bus only (machine.coherence: snoop); "
                     "give --service and --per-waiter for '" + mc.coherence + "'");
  const auto& ic = mc.interconnect;
  // One bus tenure that moves a line from another cache, and one that only asks (Upgrade).
  const double transfer = ic.request_cycles + ic.data_cycles;
  const double upgrade = ic.request_cycles;
  // After a release the releaser holds `owner` in M; the first waiter's GetS takes it from
  // there (M -> S), and the rest find only S copies. In MSI and MESI an S copy does not supply
  // data, so memory does: each further re-read holds the bus for memory's latency as well.
  // MOESI (O) and MESIF (F) keep a cache that answers, so the re-read is a cache transfer.
  const bool cache_supplies = mc.protocol == "MOESI" || mc.protocol == "MESIF";
  const double reread = transfer + (cache_supplies ? 0.0 : double(mc.memory.latency_cycles));

  const auto& cs = p.workload.critical_section;
  TicketModel t;
  // s, one acquisition with no one else waiting, as bus tenures on the critical path:
  //   acquire: faa on `next` (GetM, from the previous taker's cache) and a first read of
  //            `owner` (GetS, from the previous releaser's M copy);
  //   critical section: each line read is a GetS; each line written is ld (GetS) then st
  //            (Upgrade), all from the previous holder; then cs.cycles of work;
  //   release: st to `owner`, held in S since the spin read: an Upgrade.
  // L1 hits and ALU ops (a few cycles each) are left out: they are small beside these.
  t.service_cycles = double(cs.cycles) + 2 * transfer + cs.lines_read * transfer +
                     cs.lines_written * (transfer + upgrade) + upgrade;
  // c, per core waiting behind the holder: its `owner` copy is invalidated by the release's
  // Upgrade and it re-reads it. The bus serves one tenure at a time, and the new holder's
  // critical-section GetS queues behind those re-reads, so they add up on the critical path.
  t.per_waiter_cycles = reread;
  const auto& o = p.workload.outside;
  if (o.dist == "exponential") t.outside_mean = o.mean;
  else if (o.dist == "uniform") t.outside_mean = 0.5 * double(o.min + o.max);
  else t.outside_mean = double(o.cycles);
  // A core with no outside work is back at once; the chain needs a > 0, and a tiny a gives the
  // saturated limit (every core always in the lock).
  t.outside_mean = std::max(t.outside_mean, 1e-3);
  return t;
}

}  // namespace lockstep::models

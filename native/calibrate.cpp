#include "calibrate.hpp"

#include <sched.h>

#include <Eigen/Dense>
#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <sstream>
#include <thread>

#include "clock.hpp"
#include "common/error.hpp"
#include "interpreter.hpp"
#include "platform.hpp"
#include "topology.hpp"

namespace lockstep::native {

namespace {

enum class Cmd : uint64_t { None, Load, Store, Quit };

// A helper core's mailbox, alone on its line: the orchestrating core writes a command and
// bumps seq; the helper executes it and copies seq to ack.
struct alignas(Arena::kAlign) Mailbox {
  std::atomic<uint64_t> seq{0};
  std::atomic<uint64_t> cmd{0};
  std::atomic<uint64_t*> addr{nullptr};
  alignas(Arena::kAlign) std::atomic<uint64_t> ack{0};
};

void helper(int cpu, Mailbox* mb) {
  pin_to_cpu(cpu);
  uint64_t seen = 0;
  for (;;) {
    uint64_t s;
    int spins = 0;
    while ((s = mb->seq.load(std::memory_order_acquire)) == seen) {
      // On a loaded machine the other side may be descheduled: stop burning the CPU.
      if (++spins > 100000) { sched_yield(); spins = 0; } else hw::cpu_relax();
    }
    seen = s;
    auto c = Cmd(mb->cmd.load(std::memory_order_relaxed));
    uint64_t* p = mb->addr.load(std::memory_order_relaxed);
    if (c == Cmd::Quit) { mb->ack.store(s, std::memory_order_release); return; }
    if (c == Cmd::Load) { uint64_t v = __atomic_load_n(p, __ATOMIC_SEQ_CST); asm volatile("" ::"r"(v)); }
    if (c == Cmd::Store) __atomic_store_n(p, s, __ATOMIC_SEQ_CST);
    hw::full_fence();
    mb->ack.store(s, std::memory_order_release);
  }
}

void post(Mailbox& mb, Cmd c, uint64_t* p) {
  mb.cmd.store(uint64_t(c), std::memory_order_relaxed);
  mb.addr.store(p, std::memory_order_relaxed);
  uint64_t s = mb.seq.load(std::memory_order_relaxed) + 1;
  mb.seq.store(s, std::memory_order_release);
  int spins = 0;
  while (mb.ack.load(std::memory_order_acquire) != s) {
    if (++spins > 100000) { sched_yield(); spins = 0; } else hw::cpu_relax();
  }
}

// One timed operation: ticks from before to after, with a full fence inside the window so
// a store is counted until it is globally visible, not until it enters the store buffer.
inline uint64_t timed(const std::string& op, uint64_t* p) {
  uint64_t t0 = hw::ticks();
  if (op == "load") { uint64_t v = __atomic_load_n(p, __ATOMIC_SEQ_CST); asm volatile("" ::"r"(v)); }
  else if (op == "store") __atomic_store_n(p, t0, __ATOMIC_SEQ_CST);
  else if (op == "cas") { uint64_t e = __atomic_load_n(p, __ATOMIC_RELAXED); __atomic_compare_exchange_n(p, &e, e + 1, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); }
  else if (op == "faa") __atomic_fetch_add(p, 1, __ATOMIC_SEQ_CST);
  else __atomic_exchange_n(p, t0, __ATOMIC_SEQ_CST);
  hw::full_fence();
  return hw::ticks() - t0;
}

double pct(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = size_t(std::clamp(q, 0.0, 1.0) * double(v.size() - 1) + 0.5);
  return v[i];
}

}  // namespace

Calibration calibrate(const CalibrateOptions& opt) {
  if (opt.reps < 1) throw InputError("calibrate: --reps must be at least 1");
  Calibration cal;
  Topology topo = read_topology();
  cal.cores = int(topo.cpus.size());
  if (topo.cpus.size() < 2) throw InputError("calibrate: needs at least 2 usable CPUs, this process has " + std::to_string(topo.cpus.size()));
  // The dependent-add loop runs about one iteration per core cycle on current cores, which
  // makes it a clock estimate that needs no privileges (TSC and CNTVCT do not follow the core).
  cal.clock_estimated = opt.clock_ghz <= 0;
  cal.clock_ghz = opt.clock_ghz > 0 ? opt.clock_ghz : spin_loops_per_tick() * tick_rate().hz / 1e9;
  CycleClock clock(cal.clock_ghz);
  const double cpt = clock.cycles_per_tick();

  const int a = topo.cpus[0].id;
  pin_to_cpu(a);

  // Timer cost, measured exactly like a timed op with nothing in it.
  {
    std::vector<double> v;
    for (int i = 0; i < 1001; ++i) {
      uint64_t t0 = hw::ticks();
      hw::full_fence();
      v.push_back(double(hw::ticks() - t0));
    }
    cal.timer_overhead_cycles = pct(v, 0.5) * cpt;
    std::vector<double> pv, fv;
    for (int i = 0; i < 101; ++i) {
      uint64_t t0 = hw::ticks();
      for (int k = 0; k < 100; ++k) hw::cpu_relax();
      uint64_t t1 = hw::ticks();
      for (int k = 0; k < 100; ++k) hw::full_fence();
      uint64_t t2 = hw::ticks();
      pv.push_back(double(t1 - t0) * cpt / 100);
      fv.push_back(double(t2 - t1) * cpt / 100);
    }
    cal.pause_cycles = pct(pv, 0.5);
    cal.fence_cycles = pct(fv, 0.5);
  }

  // A pool of lines, one per page plus one line, so consecutive repetitions touch unrelated
  // sets and pages in an order no stride prefetcher follows.
  const size_t kLines = 61, kStride = 4096 + 64;
  Arena pool(kLines * kStride + 64);
  auto line = [&](size_t i) { return reinterpret_cast<uint64_t*>(pool.base() + ((i * 37) % kLines) * kStride); };
  for (size_t i = 0; i < kLines; ++i) *line(i) = 0;

  const bool flush = hw::flush_supported();
  const char* ops[] = {"load", "store", "cas", "faa", "swap"};
  const int npairs = std::min(opt.pairs, int(topo.cpus.size()) - 1);
  if (!flush) cal.skipped.push_back("E and uncached: no user-space cache flush on this architecture");
  if (topo.cpus.size() < 3) cal.skipped.push_back("S: needs a third CPU to share the line");

  size_t next = 0;
  for (int pi = 1; pi <= npairs; ++pi) {
    const int b = topo.cpus[size_t(pi)].id;
    int cc = -1;  // a third CPU for the Shared state
    for (size_t k = 1; k < topo.cpus.size() && cc < 0; ++k)
      if (topo.cpus[k].id != b) cc = topo.cpus[k].id;
    auto mb_b = std::make_unique<Mailbox>();
    auto mb_c = std::make_unique<Mailbox>();
    std::thread tb(helper, b, mb_b.get());
    std::thread tc;
    if (cc >= 0) tc = std::thread(helper, cc, mb_c.get());

    for (const char* state : {"local", "M", "E", "S", "uncached"}) {
      const std::string st = state;
      if ((st == "E" || st == "uncached") && !flush) continue;
      if (st == "S" && cc < 0) continue;
      for (const char* op : ops) {
        std::vector<double> v;
        for (int r = 0; r < opt.reps; ++r) {
          uint64_t* p = line(next++);
          if (flush) hw::flush_line(p);
          if (st == "local") { __atomic_store_n(p, 1, __ATOMIC_SEQ_CST); hw::full_fence(); }
          else if (st == "M") post(*mb_b, Cmd::Store, p);
          else if (st == "E") post(*mb_b, Cmd::Load, p);
          else if (st == "S") { post(*mb_b, Cmd::Load, p); post(*mb_c, Cmd::Load, p); }
          hw::full_fence();
          double t = double(timed(op, p)) * cpt - cal.timer_overhead_cycles;
          v.push_back(std::max(0.0, t));
        }
        Measurement m;
        m.cpu_a = a;
        m.cpu_b = st == "local" || st == "uncached" ? -1 : b;
        m.cpu_c = st == "S" ? cc : -1;
        m.state = st;
        m.op = op;
        m.median = pct(v, 0.5);
        m.p10 = pct(v, 0.1);
        m.p90 = pct(v, 0.9);
        m.min = pct(v, 0.0);
        m.reps = opt.reps;
        // local and uncached do not depend on the partner: keep them from the first pair only.
        if (pi == 1 || (st != "local" && st != "uncached")) cal.table.push_back(m);
      }
    }
    post(*mb_b, Cmd::Quit, nullptr);
    tb.join();
    if (cc >= 0) { post(*mb_c, Cmd::Quit, nullptr); tc.join(); }
  }

  // L1 hit: one timed load is below the timer's resolution, so chase a pointer ring that
  // stays in L1 and divide (each load depends on the previous one).
  {
    Arena ring(8 * 64);
    auto* w = reinterpret_cast<uint64_t*>(ring.base());
    for (int i = 0; i < 8; ++i) w[i * 8] = reinterpret_cast<uint64_t>(&w[((i + 3) % 8) * 8]);
    std::vector<double> v;
    for (int r = 0; r < 21; ++r) {
      const int n = 20000;
      uint64_t* q = w;
      uint64_t t0 = hw::ticks();
      for (int i = 0; i < n; ++i) q = reinterpret_cast<uint64_t*>(*reinterpret_cast<volatile uint64_t*>(q));
      uint64_t t1 = hw::ticks();
      asm volatile("" ::"r"(q));
      v.push_back(double(t1 - t0) * cpt / n);
    }
    cal.hit_cycles = std::max(1, int(std::lround(pct(v, 0.5))));
  }

  // Fit: each remote (state, op) median, averaged over pairs, minus the hit, as a sum of the
  // simulator's costs:   M / E / S held elsewhere: request + data   uncached: request + memory
  // unknowns x = [request, data, memory]; least squares (Eigen) over every row.
  std::map<std::pair<std::string, std::string>, std::vector<double>> by;
  for (const auto& m : cal.table) by[{m.state, m.op}].push_back(m.median);
  std::vector<std::array<double, 3>> rows;
  std::vector<double> rhs;
  double local_load = 0, local_rmw = 0;
  int n_rmw = 0;
  for (const auto& [k, v] : by) {
    double mean = 0;
    for (double x : v) mean += x;
    mean /= double(v.size());
    const auto& [st, op] = k;
    if (st == "local") {
      if (op == "load") local_load = mean;
      if (op == "cas" || op == "faa" || op == "swap") { local_rmw += mean; ++n_rmw; }
      continue;
    }
    rows.push_back(st == "uncached" ? std::array<double, 3>{1, 0, 1} : std::array<double, 3>{1, 1, 0});
    rhs.push_back(mean - cal.hit_cycles);
  }
  // Only request + data is observed for remote lines: a prior row splits it in the
  // simulator's default ratio (request : data = 2 : 8).
  rows.push_back({4, -1, 0});
  rhs.push_back(0);
  Eigen::MatrixXd A(Eigen::Index(rows.size()), 3);
  Eigen::VectorXd y(Eigen::Index(rows.size()));
  for (size_t i = 0; i < rows.size(); ++i) {
    for (int j = 0; j < 3; ++j) A(Eigen::Index(i), j) = rows[i][size_t(j)];
    y(Eigen::Index(i)) = rhs[i];
  }
  Eigen::VectorXd x = A.colPivHouseholderQr().solve(y);
  Eigen::VectorXd res = (A * x - y).head(A.rows() - 1);
  cal.fit_rms = A.rows() > 1 ? std::sqrt(res.squaredNorm() / double(A.rows() - 1)) : 0;
  auto pos = [](double v) { return std::max(1, int(std::lround(v))); };
  cal.request_cycles = pos(x(0));
  cal.data_cycles = pos(x(1));
  cal.memory_cycles = flush ? pos(x(2)) : 0;
  // Extra cost of a local atomic over a local load (both timed the same way).
  cal.atomic_cycles = n_rmw ? std::max(0, int(std::lround(local_rmw / n_rmw - local_load))) : 0;
  return cal;
}

std::string calibration_csv(const Calibration& c) {
  std::ostringstream o;
  o << "cpu_a,cpu_b,cpu_c,state,op,median_cycles,p10_cycles,p90_cycles,min_cycles,reps\n";
  for (const auto& m : c.table) {
    char buf[256];
    std::snprintf(buf, sizeof buf, "%d,%s,%s,%s,%s,%.1f,%.1f,%.1f,%.1f,%d\n", m.cpu_a,
                  m.cpu_b < 0 ? "" : std::to_string(m.cpu_b).c_str(), m.cpu_c < 0 ? "" : std::to_string(m.cpu_c).c_str(),
                  m.state.c_str(), m.op.c_str(), m.median, m.p10, m.p90, m.min, m.reps);
    o << buf;
  }
  return o.str();
}

std::string calibration_yaml(const Calibration& c, const std::string& host) {
  std::ostringstream o;
  o.precision(4);
  o << "# Measured by `lockstep calibrate` on " << host << ".\n"
    << "# Use it directly (lockstep run THIS.yaml) or under an experiment (extends: THIS.yaml).\n"
    << "# clock_ghz: " << (c.clock_estimated ? "estimated from a dependent-add loop" : "given with --clock-ghz")
    << "; timer overhead subtracted: " << c.timer_overhead_cycles << " cycles.\n"
    << "# Least-squares fit over " << c.table.size() << " medians, residual " << c.fit_rms
    << " cycles rms; request vs data split 1:4 by prior (only their sum is observed);\n"
    << "# l1.hit_cycles from a pointer chase in L1.\n";
  for (const auto& s : c.skipped) o << "# not measured: " << s << "\n";
  if (!c.memory_cycles) o << "# memory.latency_cycles left at the default: no uncached measurement.\n";
  o << "machine:\n"
    << "  cores: " << c.cores << "\n"
    << "  clock_ghz: " << std::round(c.clock_ghz * 1000) / 1000 << "\n"
    << "  protocol: MESI\n"
    << "  coherence: snoop\n"
    << "  core: {pause_cycles: " << std::max(1L, std::lround(c.pause_cycles)) << ", fence_cycles: "
    << std::max(1L, std::lround(c.fence_cycles)) << ", atomic_cycles: " << c.atomic_cycles << "}\n"
    << "  l1: {hit_cycles: " << c.hit_cycles << "}\n";
  if (c.memory_cycles) o << "  memory: {latency_cycles: " << c.memory_cycles << "}\n";
  o << "  interconnect: {topology: bus, request_cycles: " << c.request_cycles << ", data_cycles: " << c.data_cycles << "}\n";
  return o.str();
}

}  // namespace lockstep::native

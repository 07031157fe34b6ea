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

// k operations in one window, each on its own line, a full fence after each so they do not
// overlap: the window holds their sum.
inline uint64_t timed_batch(const std::string& op, uint64_t* const* p, int k) {
  uint64_t t0 = hw::ticks();
  for (int j = 0; j < k; ++j) {
    uint64_t* q = p[j];
    if (op == "load") { uint64_t v = __atomic_load_n(q, __ATOMIC_SEQ_CST); asm volatile("" ::"r"(v)); }
    else if (op == "store") __atomic_store_n(q, t0, __ATOMIC_SEQ_CST);
    else if (op == "cas") { uint64_t e = __atomic_load_n(q, __ATOMIC_RELAXED); __atomic_compare_exchange_n(q, &e, e + 1, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); }
    else if (op == "faa") __atomic_fetch_add(q, 1, __ATOMIC_SEQ_CST);
    else __atomic_exchange_n(q, t0, __ATOMIC_SEQ_CST);
    hw::full_fence();
  }
  return hw::ticks() - t0;
}

double pct(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = size_t(std::clamp(q, 0.0, 1.0) * double(v.size() - 1) + 0.5);
  return v[i];
}

// A ring of 8 lines in L1, each pointing 3 lines on: a chain of dependent loads.
struct Ring {
  Arena mem{8 * 64};
  uint64_t* head;
  Ring() {
    auto* w = reinterpret_cast<uint64_t*>(mem.base());
    for (int i = 0; i < 8; ++i) w[i * 8] = reinterpret_cast<uint64_t>(&w[((i + 3) % 8) * 8]);
    head = w;
  }
};

inline uint64_t* chase(uint64_t* q, int n) {
  for (int i = 0; i < n; ++i) q = reinterpret_cast<uint64_t*>(*reinterpret_cast<volatile uint64_t*>(q));
  return q;
}

}  // namespace

TimerInfo measure_timer() {
  TimerInfo t;
  uint64_t step = UINT64_MAX;
  std::vector<double> plain, fenced;
  for (int i = 0; i < 20001; ++i) {
    uint64_t t0 = hw::ticks(), t1 = hw::ticks();
    if (t1 > t0) step = std::min(step, t1 - t0);
    plain.push_back(double(t1 - t0));
  }
  for (int i = 0; i < 2001; ++i) {
    uint64_t t0 = hw::ticks();
    hw::full_fence();
    fenced.push_back(double(hw::ticks() - t0));
  }
  t.step_ticks = step == UINT64_MAX ? 1 : double(step);
  t.overhead_plain_ticks = pct(plain, 0.5);
  t.overhead_ticks = pct(fenced, 0.5);
  return t;
}

double hit_ticks_per_load() {
  Ring ring;
  std::vector<double> v;
  chase(ring.head, 20000);
  for (int r = 0; r < 21; ++r) {
    const int n = 20000;
    uint64_t t0 = hw::ticks();
    uint64_t* q = chase(ring.head, n);
    uint64_t t1 = hw::ticks();
    asm volatile("" ::"r"(q));
    v.push_back(double(t1 - t0) / n);
  }
  return pct(v, 0.5);
}

double chain_ticks(int k, int reps, const TimerInfo& t) {
  Ring ring;
  chase(ring.head, 1000);
  std::vector<double> v;
  for (int r = 0; r < reps; ++r) {
    uint64_t t0 = hw::ticks();
    uint64_t* q = chase(ring.head, k);
    uint64_t t1 = hw::ticks();
    asm volatile("" ::"r"(q));
    v.push_back(double(t1 - t0) - t.overhead_plain_ticks);
  }
  return pct(v, 0.5);
}

int batch_for(double single_ticks, double step_ticks) {
  if (single_ticks >= 4 * step_ticks) return 1;
  const double k = std::ceil(10 * step_ticks / std::max(single_ticks, step_ticks / 4));
  return int(std::clamp(k, 2.0, 32.0));
}

std::array<double, 3> constrained_fit(const std::vector<FitRow>& rows) {
  // Variables z = [request, data, memory - data] >= 0: remote rows are z0 + z1, uncached rows
  // z0 + z1 + z2, the prior 4 z0 - z1 = 0. Every subset of free variables is solved by least
  // squares with the others at 0; the feasible solution with the smallest residual wins.
  const Eigen::Index m = Eigen::Index(rows.size()) + 1;
  Eigen::MatrixXd A = Eigen::MatrixXd::Zero(m, 3);
  Eigen::VectorXd y = Eigen::VectorXd::Zero(m);
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto r = Eigen::Index(i);
    A(r, 0) = 1;
    A(r, 1) = 1;
    A(r, 2) = rows[i].is_memory ? 1 : 0;
    y(r) = rows[i].y;
  }
  A(m - 1, 0) = 4;
  A(m - 1, 1) = -1;
  Eigen::Vector3d best = Eigen::Vector3d::Zero();
  double best_res = (A * best - y).squaredNorm();
  for (int mask = 1; mask < 8; ++mask) {
    std::vector<int> cols;
    for (int j = 0; j < 3; ++j)
      if (mask & (1 << j)) cols.push_back(j);
    Eigen::MatrixXd S(m, Eigen::Index(cols.size()));
    for (size_t c = 0; c < cols.size(); ++c) S.col(Eigen::Index(c)) = A.col(cols[c]);
    Eigen::VectorXd zs = S.colPivHouseholderQr().solve(y);
    Eigen::Vector3d z = Eigen::Vector3d::Zero();
    bool ok = true;
    for (size_t c = 0; c < cols.size(); ++c) {
      z(cols[c]) = zs(Eigen::Index(c));
      if (!(z(cols[c]) >= -1e-9)) ok = false;
    }
    if (!ok) continue;
    const double res = (A * z - y).squaredNorm();
    if (res < best_res - 1e-12) { best_res = res; best = z.cwiseMax(0.0); }
  }
  return {best(0), best(1), best(1) + best(2)};
}

void fit_calibration(Calibration& cal) {
  // Fit: each remote (state, op) median, averaged over pairs, minus the hit, as a sum of the
  // simulator's costs:   M / E / S held elsewhere: request + data   uncached: request + memory
  // constrained least squares (constrained_fit) over every row.
  std::map<std::pair<std::string, std::string>, std::vector<double>> by;
  for (const auto& m : cal.table)
    if (m.measured) by[{m.state, m.op}].push_back(m.median);
  std::vector<FitRow> rows;
  bool has_uncached = false;
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
    has_uncached = has_uncached || st == "uncached";
    rows.push_back({st == "uncached", mean - cal.hit_cycles});
  }
  const std::array<double, 3> x = constrained_fit(rows);
  // Residual per measured row (not per averaged row): what a reader checks line by line.
  double ss = 0;
  int nfit = 0;
  for (auto& m : cal.table) {
    if (m.state == "local" || !m.measured) continue;
    m.fitted = true;
    m.fit = cal.hit_cycles + x[0] + (m.state == "uncached" ? x[2] : x[1]);
    m.residual = m.median - m.fit;
    ss += m.residual * m.residual;
    ++nfit;
    const double tol = std::max(2 * cal.timer_step_cycles / m.batch, 0.25 * m.fit);
    if (std::abs(m.residual) > tol) {
      m.note += std::string(m.note.empty() ? "" : "; ") + "does not fit";
      cal.warnings.push_back("row " + m.state + "/" + m.op + " (cpus " + std::to_string(m.cpu_a) + "," +
                             std::to_string(m.cpu_b) + ") does not fit: measured " +
                             std::to_string(int(std::lround(m.median))) + ", model " +
                             std::to_string(int(std::lround(m.fit))) + " cycles");
    }
  }
  cal.fit_rms = nfit ? std::sqrt(ss / nfit) : 0;
  cal.request_cycles = std::max(0, int(std::lround(x[0])));
  cal.data_cycles = std::max(1, int(std::lround(x[1])));
  cal.memory_cycles = has_uncached ? std::max(cal.data_cycles, int(std::lround(x[2]))) : 0;
  // Extra cost of a local atomic over a local load (both timed the same way).
  cal.atomic_cycles = n_rmw ? std::max(0, int(std::lround(local_rmw / n_rmw - local_load))) : 0;
}

Calibration calibrate(const CalibrateOptions& opt) {
  if (opt.reps < 1) throw InputError("calibrate: --reps must be at least 1");
  Calibration cal;
  Topology topo = read_topology();
  cal.cores = int(topo.cpus.size());
  if (topo.cpus.size() < 2) throw InputError("calibrate: needs at least 2 usable CPUs, this process has " + std::to_string(topo.cpus.size()));
  // The dependent-add loop runs about one iteration per core cycle on current cores, which
  // makes it a clock estimate that needs no privileges (TSC and CNTVCT do not follow the core).
  const int a = topo.cpus[0].id;
  pin_to_cpu(a);
  cal.counter_hz = tick_rate().hz;
  cal.counter_spread = tick_rate().spread;
  cal.counter_stated = tick_rate().stated;
  if (cal.counter_spread > 0.05)
    cal.warnings.push_back("the counter rate varied " + std::to_string(int(std::lround(cal.counter_spread * 100))) +
                           "% across its measuring windows");
  cal.clock_estimated = opt.clock_ghz <= 0;
  if (cal.clock_estimated) {
    const CoreClock cc = measure_core_clock();
    cal.clock_ghz = cc.ghz;
    cal.clock_spread = cc.spread;
    if (cc.drifted())
      cal.warnings.push_back("the core clock drifted " + std::to_string(int(std::lround(cc.spread * 100))) +
                             "% across its measuring windows: pass --clock-ghz for stable cycle figures");
  } else {
    cal.clock_ghz = opt.clock_ghz;
  }
  CycleClock clock(cal.clock_ghz);
  const double cpt = clock.cycles_per_tick();
  const TimerInfo timer = measure_timer();
  cal.timer_step_ticks = timer.step_ticks;
  cal.timer_step_cycles = timer.step_ticks * cpt;

  // Timer cost, measured exactly like a timed op with nothing in it; pause and fence timed
  // in batches of 100 (one alone is below the timer's step).
  {
    cal.timer_overhead_cycles = timer.overhead_ticks * cpt;
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

  const double fence_ticks = cal.fence_cycles / cpt;
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
        auto prepare = [&](uint64_t* p) {
          if (flush) hw::flush_line(p);
          if (st == "local") { __atomic_store_n(p, 1, __ATOMIC_SEQ_CST); hw::full_fence(); }
          else if (st == "M") post(*mb_b, Cmd::Store, p);
          else if (st == "E") post(*mb_b, Cmd::Load, p);
          else if (st == "S") { post(*mb_b, Cmd::Load, p); post(*mb_c, Cmd::Load, p); }
        };
        // One operation per window first; when its median is below a few timer steps, k
        // operations on k lines prepared in the same state, fenced one from the next, in
        // one window, divided by k.
        auto sample = [&](int k) {
          std::vector<double> v;
          uint64_t* batch[32];
          for (int r = 0; r < opt.reps; ++r) {
            for (int j = 0; j < k; ++j) prepare(batch[j] = line(next++));
            hw::full_fence();
            uint64_t t = 0;
            if (k == 1) t = timed(op, batch[0]);
            else t = timed_batch(op, batch, k);
            // The window's own overhead holds one fence; the k - 1 fences between the
            // operations are taken out at the cost measured for back-to-back fences.
            v.push_back(std::max(0.0, (double(t) - timer.overhead_ticks - (k - 1) * fence_ticks) / k));
          }
          return v;
        };
        std::vector<double> v = sample(1);
        const int k = batch_for(pct(v, 0.5), timer.step_ticks);
        if (k > 1) v = sample(k);
        for (double& x : v) x *= cpt;
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
        m.batch = k;
        // What one operation's figure can resolve: the step shared by the batch.
        if (m.median < 2 * cal.timer_step_cycles / k) {
          m.note = "within two timer steps of the resolution";
          cal.warnings.push_back(m.state + "/" + m.op + ": " + std::to_string(int(std::lround(m.median))) +
                                 " cycles is within two timer steps (" +
                                 std::to_string(int(std::lround(2 * cal.timer_step_cycles / k))) + " cycles) of the resolution");
        }
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
  cal.hit_cycles = std::max(1, int(std::lround(hit_ticks_per_load() * cpt)));

  fit_calibration(cal);
  return cal;
}

std::string calibration_csv(const Calibration& c) {
  std::ostringstream o;
  o << "cpu_a,cpu_b,cpu_c,state,op,median_cycles,p10_cycles,p90_cycles,min_cycles,reps,"
       "batch,timer_step_cycles,spread_cycles,fit_cycles,residual_cycles,note\n";
  for (const auto& m : c.table) {
    char buf[512];
    const std::string b = m.cpu_b < 0 ? "" : std::to_string(m.cpu_b), cc = m.cpu_c < 0 ? "" : std::to_string(m.cpu_c);
    if (m.measured)
      std::snprintf(buf, sizeof buf, "%d,%s,%s,%s,%s,%.1f,%.1f,%.1f,%.1f,%d,%d,%.1f,%.1f,", m.cpu_a, b.c_str(), cc.c_str(),
                    m.state.c_str(), m.op.c_str(), m.median, m.p10, m.p90, m.min, m.reps, m.batch, c.timer_step_cycles,
                    m.p90 - m.p10);
    else  // not taken: no figures, the note says why
      std::snprintf(buf, sizeof buf, "%d,%s,%s,%s,%s,,,,,%d,%d,%.1f,,", m.cpu_a, b.c_str(), cc.c_str(), m.state.c_str(),
                    m.op.c_str(), m.reps, m.batch, c.timer_step_cycles);
    o << buf;
    if (m.fitted) {
      std::snprintf(buf, sizeof buf, "%.1f,%.1f", m.fit, m.residual);
      o << buf;
    } else {
      o << ",";
    }
    o << "," << m.note << "\n";
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
    << "# counter_hz: " << std::llround(c.counter_hz) << "\n"
    << "# counter rate " << (c.counter_stated ? "stated by the architecture" : "measured against CLOCK_MONOTONIC_RAW")
    << ", spread " << c.counter_spread * 100 << "%; core clock spread " << c.clock_spread * 100
    << "%; cycles per tick " << c.clock_ghz * 1e9 / c.counter_hz << ".\n"
    << "# timer step: " << c.timer_step_ticks << " ticks = " << c.timer_step_cycles
    << " cycles; operations below a few steps were timed in batches (the CSV's batch column).\n"
    << "# Least-squares fit over " << c.table.size() << " medians, residual " << c.fit_rms
    << " cycles rms; request vs data split 1:4 by prior (only their sum is observed);\n"
    << "# constrained: request >= 0, memory >= cache-to-cache >= hit;\n"
    << "# l1.hit_cycles from a pointer chase in L1.\n";
  for (const auto& s : c.skipped) o << "# not measured: " << s << "\n";
  for (const auto& w : c.warnings) o << "# warning: " << w << "\n";
  if (!c.memory_cycles) o << "# memory.latency_cycles left at the default: no uncached measurement.\n";
  // The fit charges one cost to every remote state and folds the data transfer into
  // `memory`; the simulator's bus adds the data tenure after memory and, under MESI, would
  // fetch a shared line from memory. MESIF (a cache forwards S lines) and memory = fitted
  // memory + hit - data make the simulated table reproduce the fitted one (calibrate
  // --simulate round trip, docs/native.md).
  const long memory = std::max(1L, long(c.memory_cycles) + long(c.hit_cycles) - long(c.data_cycles));
  o << "machine:\n"
    << "  cores: " << c.cores << "\n"
    << "  clock_ghz: " << std::round(c.clock_ghz * 1000) / 1000 << "\n"
    << "  protocol: MESIF\n"
    << "  coherence: snoop\n"
    << "  core: {pause_cycles: " << std::max(1L, std::lround(c.pause_cycles)) << ", fence_cycles: "
    << std::max(1L, std::lround(c.fence_cycles)) << ", atomic_cycles: " << c.atomic_cycles << "}\n"
    << "  l1: {hit_cycles: " << c.hit_cycles << "}\n";
  if (c.memory_cycles) o << "  memory: {latency_cycles: " << memory << "}\n";
  o << "  interconnect: {topology: bus, request_cycles: " << c.request_cycles << ", data_cycles: " << c.data_cycles << "}\n";
  return o.str();
}

}  // namespace lockstep::native

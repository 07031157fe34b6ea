#include "experiment.hpp"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "clock.hpp"
#include "common/error.hpp"
#include "handwritten/locks.hpp"
#include "output/atomic_file.hpp"
#include "workload/lock_library.hpp"

namespace lockstep::native {

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

int threads_of(const config::Point& p) { return p.workload.threads > 0 ? p.workload.threads : p.machine.cores; }

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (char c : line) {
    if (c == '"') quoted = !quoted;
    if (c == ',' && !quoted) { out.push_back(cur); cur.clear(); continue; }
    cur += c;
  }
  out.push_back(cur);
  return out;
}

}  // namespace

ClockChoice choose_clock(const std::string& machine_file, double clock_ghz) {
  ClockChoice c;
  if (!machine_file.empty()) {
    const config::Experiment m = config::load_experiment(machine_file);
    if (m.points.empty()) throw InputError(machine_file + ": no machine");
    c.ghz = m.points.front().machine.clock_ghz;
    c.source = "machine " + machine_file;
    // calibrate writes "# counter_hz: N" beside the clock it measured with that counter.
    std::istringstream in(slurp(machine_file));
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("# counter_hz:", 0) == 0) c.recorded_counter_hz = std::atof(line.c_str() + 13);
    if (c.recorded_counter_hz > 0) {
      const double now = tick_rate().hz, d = std::abs(now - c.recorded_counter_hz) / c.recorded_counter_hz;
      if (d > 0.05)
        c.warning = "warning: the counter runs at " + std::to_string(now / 1e6) + " MHz now, " +
                    std::to_string(c.recorded_counter_hz / 1e6) + " MHz when " + machine_file +
                    " was calibrated: cycle figures are not comparable\n";
    }
    return c;
  }
  if (clock_ghz > 0) {
    c.ghz = clock_ghz;
    c.source = "--clock-ghz";
    return c;
  }
  const CoreClock cc = measure_core_clock();
  c.ghz = cc.ghz;
  c.spread = cc.spread;
  c.source = "measured";
  if (cc.drifted())
    c.warning = "warning: the core clock drifted " + std::to_string(int(std::lround(cc.spread * 100))) +
                "% across its measuring windows (median " + std::to_string(cc.ghz) +
                " GHz): pass --machine FILE or --clock-ghz G for stable cycle figures\n";
  return c;
}

void mark_unmeasured(const std::string& dir, const config::Experiment& exp, const output::RunResult& run,
                     const NativeOptions& opt, const ClockChoice& clock) {
  const bool throughput = opt.measure == Measure::Throughput;
  for (const auto& r : run.results) {
    const std::string path = (fs::path(output::point_dir(dir, *r.point)) / "stats.json").string();
    ojson j = ojson::parse(slurp(path));
    j["measured_on"] = "native";
    for (auto& [k, v] : j["coherence"].items())
      if (k != "messages_by_type") v = nullptr;
    for (const char* k : {"invalidations", "bus_transactions", "messages", "writebacks"}) j["per_acquisition"][k] = nullptr;
    for (auto& c : j["per_core"]) { c["l1_hits"] = nullptr; c["l1_misses"] = nullptr; }
    if (opt.handwritten) {
      j["per_acquisition"]["micro_ops"] = nullptr;
      for (auto& c : j["per_core"]) c["micro_ops"] = nullptr;
    }
    if (throughput) {
      // Not measured: handoffs need every acquisition's timestamps.
      j["fairness"]["handoff_ratio"] = nullptr;
      j["fairness"]["reacquires"] = nullptr;
      j["handoff_cycles"] = {{"count", nullptr}, {"mean", nullptr}, {"p50", nullptr}, {"p90", nullptr}, {"p99", nullptr}, {"max", nullptr}};
      for (auto& c : j["per_core"]) { c["cycles_acquiring"] = nullptr; c["cycles_in_cs"] = nullptr; }
    }
    const auto& x = r.stats.extra;
    auto get = [&x](const char* k) { auto it = x.find(k); return it == x.end() ? 0.0 : it->second; };
    ojson nat;
    nat["measure"] = throughput ? "throughput" : "latency";
    if (throughput) {
      nat["sample_every"] = get("native.sample_every");
      nat["samples"] = get("native.samples");
      nat["harness_overhead"] = get("native.harness_overhead");
    }
    nat["ticks"] = get("native.ticks");
    nat["counter_hz"] = get("native.tick_hz");
    nat["cycles_per_tick"] = get("native.cycles_per_tick");
    nat["clock_ghz"] = get("native.clock_ghz");
    nat["clock_source"] = clock.source.empty() ? "machine.clock_ghz" : clock.source;
    j["native"] = std::move(nat);
    output::write_file_atomic(path, j.dump(2) + "\n");
  }
  (void)exp;
  const std::string csv_path = (fs::path(dir) / "summary.csv").string();
  std::istringstream in(slurp(csv_path));
  std::string line, out;
  std::vector<size_t> blank, hoff;
  size_t count_col = SIZE_MAX;
  bool header = true;
  while (std::getline(in, line)) {
    auto cells = split_csv(line);
    if (header) {
      for (size_t i = 0; i < cells.size(); ++i) {
        if (cells[i] == "inv_per_acq" || cells[i] == "bus_per_acq" || cells[i] == "msgs_per_acq" || cells[i] == "wb_per_acq" ||
            (throughput && (cells[i] == "handoff_count" || cells[i] == "handoff_ratio")))
          blank.push_back(i);
        if (cells[i] == "handoff_count") count_col = i;
        if (cells[i] == "handoff_mean" || cells[i] == "handoff_p50" || cells[i] == "handoff_p99") hoff.push_back(i);
      }
      header = false;
    } else {
      for (size_t i : blank)
        if (i < cells.size()) cells[i].clear();
      // No handoff measured: its mean and percentiles are empty, never 0.
      if (throughput || (count_col < cells.size() && cells[count_col] == "0"))
        for (size_t i : hoff)
          if (i < cells.size()) cells[i].clear();
    }
    for (size_t i = 0; i < cells.size(); ++i) {
      if (i) out += ',';
      out += cells[i];
    }
    out += "\n";
  }
  output::write_file_atomic(csv_path, out);
}

std::string native_table(const config::Experiment& exp, const output::RunResult& run) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> head = {"point"};
  for (const auto& s : exp.swept_paths) head.push_back(s);
  for (const char* h : {"cycles", "acq", "acq/kcyc", "acq/s", "hoff p50", "hoff p99", "uops/acq", "jain"}) head.push_back(h);
  rows.push_back(head);
  auto num = [](double v, int prec) {
    std::ostringstream o;
    o.precision(prec);
    o << v;
    return o.str();
  };
  for (const auto& r : run.results) {
    std::vector<std::string> row = {r.point->name};
    for (const auto& s : exp.swept_paths) row.push_back(output::swept_value(*r.point, s));
    const auto& st = r.stats;
    auto it = st.extra.find("native.acq_per_second");
    row.push_back(std::to_string(st.cycles));
    row.push_back(std::to_string(st.acquisitions));
    row.push_back(num(st.acq_per_kcycle(), 4));
    row.push_back(it == st.extra.end() ? "" : num(it->second, 4));
    const bool hoff = st.handoff.count() > 0, hand = st.extra.count("native.handwritten") && st.extra.at("native.handwritten") > 0;
    row.push_back(hoff ? std::to_string(st.handoff.percentile(50)) : "-");
    row.push_back(hoff ? std::to_string(st.handoff.percentile(99)) : "-");
    row.push_back(hand ? "-" : num(st.acquisitions ? double(st.micro_ops()) / double(st.acquisitions) : 0.0, 4));
    row.push_back(num(st.jain(), 4));
    rows.push_back(row);
  }
  std::vector<size_t> w(head.size(), 0);
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size(); ++i) w[i] = std::max(w[i], row[i].size());
  std::string out;
  for (size_t k = 0; k < rows.size(); ++k) {
    for (size_t i = 0; i < rows[k].size(); ++i) {
      std::string c = rows[k][i];
      if (i == 0 || i <= exp.swept_paths.size()) c.resize(w[i], ' ');
      else c = std::string(w[i] - c.size(), ' ') + c;
      if (i) out += "  ";
      out += c;
    }
    out += "\n";
    if (k == 0) out += std::string(out.size() - 1, '-') + "\n";
  }
  return out;
}

std::string environment_warnings(const Environment& env, int max_threads, bool handwritten) {
  std::string s;
  if (env.virtualized)
    s += "note: running under a hypervisor (" + env.hypervisor +
         "): vCPUs may share physical cores and be descheduled; these timings describe the VM, not the hardware\n";
  if (max_threads > int(env.topo.cpus.size()))
    s += "note: " + std::to_string(max_threads) + " threads on " + std::to_string(env.topo.cpus.size()) +
         " usable CPUs (oversubscribed): pause yields the CPU, timings are not measurements\n";
  else if (env.topo.smt && max_threads > env.topo.cores)
    s += "note: more threads than physical cores: some threads share a core with an SMT sibling\n";
  if (handwritten) s += "note: hand-written C++ locks (--handwritten), not the interpreted .lock programs\n";
  return s;
}

void check_native_points(const config::Experiment& exp, const NativeOptions& opt, int usable_cpus) {
  for (size_t i = 0; i < exp.points.size(); ++i) {
    const config::Point& p = exp.points[i];
    const std::string where = exp.points.size() > 1 ? " (point " + p.name + ")" : "";
    try {
      const isa::Program prog = workload::load_lock(p);
      if (prog.entry_acquire < 0 || prog.entry_release < 0)
        throw InputError(prog.file + ": lock " + prog.name + " needs acquire: and release:");
      if (opt.handwritten && !make_handwritten(prog.name, 1)) {
        std::string names;
        for (const auto& h : handwritten_locks()) names += (names.empty() ? "" : ", ") + h;
        throw InputError("native --handwritten: no hand-written version of lock '" + prog.name + "' (have: " + names + ")");
      }
    } catch (const InputError& e) {
      throw InputError(config::locate_error(exp, i, e.what() + where));
    }
    if (threads_of(p) > usable_cpus && !opt.oversubscribe)
      throw InputError(exp.file + ": point " + p.name + " wants " + std::to_string(threads_of(p)) +
                       " threads but this machine has " + std::to_string(usable_cpus) +
                       " usable CPUs; pass --oversubscribe to run anyway (timings are then meaningless)");
  }
}

NativeRun run_native_experiment(const config::Experiment& exp, const NativeOptions& opt,
                                const std::vector<std::string>& argv, const ClockChoice& clock) {
  NativeRun nr;
  nr.env = read_environment();
  int max_threads = 0;
  for (const auto& p : exp.points) max_threads = std::max(max_threads, threads_of(p));
  check_native_points(exp, opt, int(nr.env.topo.cpus.size()));
  output::RunOptions ro;
  ro.jobs = 1;  // points run one after the other: they measure the same cores
  ro.argv = argv;
  nr.run = output::run_experiment(exp, ro, [&opt](const config::Point& p, const sim::SimOptions&) {
    return run_native(p, opt);
  });
  mark_unmeasured(nr.run.dir, exp, nr.run, opt, clock);

  // The environment facts, beside the driver's manifest.
  const std::string mpath = (fs::path(nr.run.dir) / "manifest.json").string();
  ojson m = ojson::parse(slurp(mpath));
  double ghz = opt.clock_ghz > 0 ? opt.clock_ghz : exp.points.empty() ? 0 : exp.points.front().machine.clock_ghz;
  ojson nat = environment_json(nr.env, ghz, max_threads);
  nat["handwritten"] = opt.handwritten;
  nat["watchdog_seconds"] = opt.watchdog_seconds;
  nat["memory_order"] = opt.order == Order::SeqCst ? "seq_cst" : "acq_rel";
  nat["warnings"] = environment_warnings(nr.env, max_threads, opt.handwritten) + clock.warning;
  nat["measure"] = opt.measure == Measure::Throughput ? "throughput" : "latency";
  nat["clock_source"] = clock.source.empty() ? "machine.clock_ghz" : clock.source;
  nat["clock_spread"] = clock.spread;
  m["native"] = std::move(nat);
  output::write_file_atomic(mpath, m.dump(2) + "\n");
  return nr;
}

}  // namespace lockstep::native

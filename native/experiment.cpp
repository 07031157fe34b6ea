#include "experiment.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "output/atomic_file.hpp"

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

void mark_unmeasured(const std::string& dir, const config::Experiment& exp, const output::RunResult& run) {
  for (const auto& r : run.results) {
    const std::string path = (fs::path(output::point_dir(dir, *r.point)) / "stats.json").string();
    ojson j = ojson::parse(slurp(path));
    j["measured_on"] = "native";
    for (auto& [k, v] : j["coherence"].items())
      if (k != "messages_by_type") v = nullptr;
    for (const char* k : {"invalidations", "bus_transactions", "messages", "writebacks"}) j["per_acquisition"][k] = nullptr;
    for (auto& c : j["per_core"]) { c["l1_hits"] = nullptr; c["l1_misses"] = nullptr; }
    output::write_file_atomic(path, j.dump(2) + "\n");
  }
  (void)exp;
  const std::string csv_path = (fs::path(dir) / "summary.csv").string();
  std::istringstream in(slurp(csv_path));
  std::string line, out;
  std::vector<size_t> blank;
  bool header = true;
  while (std::getline(in, line)) {
    auto cells = split_csv(line);
    if (header) {
      for (size_t i = 0; i < cells.size(); ++i)
        if (cells[i] == "inv_per_acq" || cells[i] == "bus_per_acq" || cells[i] == "msgs_per_acq" || cells[i] == "wb_per_acq")
          blank.push_back(i);
      header = false;
    } else {
      for (size_t i : blank)
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
    row.push_back(std::to_string(st.handoff.percentile(50)));
    row.push_back(std::to_string(st.handoff.percentile(99)));
    row.push_back(num(st.acquisitions ? double(st.micro_ops()) / double(st.acquisitions) : 0.0, 4));
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

NativeRun run_native_experiment(const config::Experiment& exp, const NativeOptions& opt,
                                const std::vector<std::string>& argv) {
  NativeRun nr;
  nr.env = read_environment();
  const int ncpu = int(nr.env.topo.cpus.size());
  int max_threads = 0;
  for (const auto& p : exp.points) {
    max_threads = std::max(max_threads, threads_of(p));
    if (threads_of(p) > ncpu && !opt.oversubscribe)
      throw InputError(exp.file + ": point " + p.name + " wants " + std::to_string(threads_of(p)) +
                       " threads but this machine has " + std::to_string(ncpu) +
                       " usable CPUs; pass --oversubscribe to run anyway (timings are then meaningless)");
  }
  output::RunOptions ro;
  ro.jobs = 1;  // points run one after the other: they measure the same cores
  ro.argv = argv;
  nr.run = output::run_experiment(exp, ro, [&opt](const config::Point& p, const sim::SimOptions&) {
    return run_native(p, opt);
  });
  mark_unmeasured(nr.run.dir, exp, nr.run);

  // The environment facts, beside the driver's manifest.
  const std::string mpath = (fs::path(nr.run.dir) / "manifest.json").string();
  ojson m = ojson::parse(slurp(mpath));
  double ghz = exp.points.empty() ? 0 : exp.points.front().machine.clock_ghz;
  ojson nat = environment_json(nr.env, ghz, max_threads);
  nat["handwritten"] = opt.handwritten;
  nat["watchdog_seconds"] = opt.watchdog_seconds;
  nat["memory_order"] = opt.order == Order::SeqCst ? "seq_cst" : "acq_rel";
  nat["warnings"] = environment_warnings(nr.env, max_threads, opt.handwritten);
  m["native"] = std::move(nat);
  output::write_file_atomic(mpath, m.dump(2) + "\n");
  return nr;
}

}  // namespace lockstep::native

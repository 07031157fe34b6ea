#include "validate.hpp"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <sstream>

#include "common/error.hpp"
#include "run/simulate.hpp"

namespace lockstep::native {

namespace {
double rel(double sim, double nat) { return nat != 0 ? (sim - nat) / nat : std::numeric_limits<double>::quiet_NaN(); }

std::string fmt(double v, const char* f = "%.4g") {
  if (std::isnan(v)) return "";
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

void flatten(const YAML::Node& n, const std::string& path, std::vector<std::string>& out) {
  if (n.IsMap()) {
    for (const auto& kv : n) flatten(kv.second, path + "." + kv.first.as<std::string>(), out);
  } else if (n.IsScalar()) {
    if (path != "machine.cores") out.push_back(path + "=" + n.Scalar());
  } else if (n.IsSequence()) {
    YAML::Emitter e;
    e << YAML::Flow << n;
    out.push_back(path + "=" + e.c_str());
  }
}
}  // namespace

double kendall_tau(const std::vector<double>& a, const std::vector<double>& b) {
  const size_t n = std::min(a.size(), b.size());
  if (n < 2) return std::numeric_limits<double>::quiet_NaN();
  double conc = 0, disc = 0, ta = 0, tb = 0;
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i + 1; j < n; ++j) {
      double x = a[i] - a[j], y = b[i] - b[j];
      if (x == 0 && y == 0) continue;
      if (x == 0) { ++ta; continue; }
      if (y == 0) { ++tb; continue; }
      if ((x > 0) == (y > 0)) ++conc; else ++disc;
    }
  double den = std::sqrt((conc + disc + ta) * (conc + disc + tb));
  return den > 0 ? (conc - disc) / den : std::numeric_limits<double>::quiet_NaN();
}

std::vector<std::string> machine_overrides(const std::string& file) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(file);
  } catch (const YAML::Exception& e) {
    throw InputError(file + ": " + e.what());
  }
  if (!root["machine"]) throw InputError(file + ": no machine: block");
  std::vector<std::string> out;
  flatten(root["machine"], "machine", out);
  return out;
}

Validation validate(const config::Experiment& exp, const NativeOptions& opt) {
  Validation v;
  for (const auto& p : exp.points) {
    ValidationRow r;
    r.point = p.name;
    r.lock = p.workload.lock;
    r.threads = p.workload.threads > 0 ? p.workload.threads : p.machine.cores;
    stats::Point s = sim::simulate(p);
    stats::Point n = run_native(p, opt);
    r.sim_tput = s.acq_per_kcycle();
    r.nat_tput = n.acq_per_kcycle();
    r.sim_p50 = double(s.handoff.percentile(50));
    r.nat_p50 = double(n.handoff.percentile(50));
    r.tput_err = rel(r.sim_tput, r.nat_tput);
    r.p50_err = rel(r.sim_p50, r.nat_p50);
    v.rows.push_back(r);
  }
  std::map<int, std::pair<std::vector<double>, std::vector<double>>> by;
  for (const auto& r : v.rows) {
    by[r.threads].first.push_back(r.sim_tput);
    by[r.threads].second.push_back(r.nat_tput);
  }
  for (const auto& [t, ab] : by) v.tau.push_back({t, kendall_tau(ab.first, ab.second)});
  return v;
}

std::string validation_csv(const Validation& v) {
  std::ostringstream o;
  o << "point,lock,threads,sim_acq_per_kcycle,native_acq_per_kcycle,acq_per_kcycle_rel_err,"
       "sim_handoff_p50,native_handoff_p50,handoff_p50_rel_err\n";
  for (const auto& r : v.rows)
    o << r.point << "," << r.lock << "," << r.threads << "," << fmt(r.sim_tput) << "," << fmt(r.nat_tput) << ","
      << fmt(r.tput_err) << "," << fmt(r.sim_p50, "%.0f") << "," << fmt(r.nat_p50, "%.0f") << "," << fmt(r.p50_err)
      << "\n";
  return o.str();
}

std::string validation_table(const Validation& v) {
  std::ostringstream o;
  char b[256];
  std::snprintf(b, sizeof b, "%-16s %7s  %10s %10s %8s  %9s %9s %8s\n", "lock", "threads", "sim acq/kc", "nat acq/kc",
                "err", "sim p50", "nat p50", "err");
  o << b << std::string(86, '-') << "\n";
  for (const auto& r : v.rows) {
    std::snprintf(b, sizeof b, "%-16s %7d  %10.4g %10.4g %8s  %9.0f %9.0f %8s\n", r.lock.c_str(), r.threads, r.sim_tput,
                  r.nat_tput, (std::isnan(r.tput_err) ? std::string("-") : fmt(100 * r.tput_err, "%+.0f%%")).c_str(),
                  r.sim_p50, r.nat_p50, (std::isnan(r.p50_err) ? std::string("-") : fmt(100 * r.p50_err, "%+.0f%%")).c_str());
    o << b;
  }
  o << "\nrank agreement of the locks by throughput (Kendall tau, 1 = same order, -1 = reversed):\n";
  for (const auto& [t, tau] : v.tau) {
    std::snprintf(b, sizeof b, "  threads %3d: %s\n", t, std::isnan(tau) ? "- (fewer than 2 locks)" : fmt(tau, "%+.2f").c_str());
    o << b;
  }
  return o.str();
}

}  // namespace lockstep::native

// `lockstep validate`: every point simulated (sim::simulate) and run natively, side by
// side: throughput and handoff p50 predicted vs measured, their relative error, and per
// thread count how well the simulator ranks the locks (Kendall's tau over throughput).
#pragma once
#include <string>
#include <vector>

#include "config/loader.hpp"
#include "runner.hpp"

namespace lockstep::native {

struct ValidationRow {
  std::string point, lock;
  int threads = 0;
  double sim_tput = 0, nat_tput = 0;      // acquisitions per kcycle
  double sim_p50 = 0, nat_p50 = 0;        // handoff p50, cycles
  double tput_err = 0, p50_err = 0;       // (sim - native) / native; NaN when native is 0
};

struct Validation {
  std::vector<ValidationRow> rows;
  std::vector<std::pair<int, double>> tau;   // threads -> Kendall tau (NaN: fewer than 2 locks)
};

Validation validate(const config::Experiment& exp, const NativeOptions& opt);
// tau-b over paired scores (ties in either ranking count as neither concordant nor discordant).
double kendall_tau(const std::vector<double>& a, const std::vector<double>& b);
std::string validation_csv(const Validation& v);
std::string validation_table(const Validation& v);
// --machine FILE: the `machine:` keys of a (calibrated) machine YAML as --set strings, all
// but machine.cores (the experiment's thread counts decide that).
std::vector<std::string> machine_overrides(const std::string& yaml_file);

}  // namespace lockstep::native

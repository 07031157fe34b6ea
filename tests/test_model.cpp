// The ticket-lock Markov model (models/ticket_markov.hpp): closed forms it must reduce to,
// the shape of its curve, agreement with the simulator on the MESI bus, and `lockstep model`.
#include <doctest/doctest.h>

#include <cmath>
#include <numeric>

#include "cli_helpers.hpp"
#include "common/error.hpp"
#include "run/simulate.hpp"
#include "sim_helpers.hpp"
#include "ticket_markov.hpp"

using namespace lockstep;

namespace {
// Machine repairman (M/M/1//n, Kleinrock vol. 1 §3.8), written out here independently of the
// model's matrix solve: p0 = 1 / sum_k n!/(n-k)! (s/a)^k, throughput = (1 - p0)/s.
double repairman_per_kcycle(double a, double s, int n) {
  double term = 1, sum = 1;
  for (int k = 1; k <= n; ++k) {
    term *= double(n - k + 1) * s / a;
    sum += term;
  }
  return 1000.0 * (1.0 - 1.0 / sum) / s;
}

// The simulator's ticket lock on the default MESI bus with exponential outside work.
config::Point ticket_point(int cores, double outside_mean) {
  auto p = testing::point(cores, "ticket", 300, 30);
  p.workload.outside = {"exponential", 0, 0, 0, outside_mean};
  p.seed = 11;
  return p;
}
}  // namespace

TEST_CASE("one core: the lock is free every time, throughput 1000/(a+s)") {
  for (double c : {0.0, 100.0}) {
    const auto pr = models::predict({500, 90, c}, 1);
    CHECK(pr.acq_per_kcycle == doctest::Approx(1000.0 / 590.0).epsilon(1e-12));
    CHECK(pr.mean_waiting == doctest::Approx(90.0 / 590.0).epsilon(1e-12));  // fraction of time holding
  }
}

TEST_CASE("c = 0 is the machine-repairman model") {
  for (int n : {1, 2, 3, 8, 32, 128, 256})
    for (double a : {100.0, 1000.0, 20000.0}) {
      CAPTURE(n);
      CAPTURE(a);
      const auto pr = models::predict({a, 150, 0}, n);
      CHECK(pr.acq_per_kcycle == doctest::Approx(repairman_per_kcycle(a, 150, n)).epsilon(1e-9));
    }
}

TEST_CASE("pi is a distribution, and Little's law holds outside the lock") {
  for (int n : {1, 5, 64, 256})
    for (double c : {0.0, 20.0, 130.0}) {
      CAPTURE(n);
      CAPTURE(c);
      const double a = 3000;
      const auto pr = models::predict({a, 100, c}, n);
      REQUIRE(pr.pi.size() == size_t(n + 1));
      for (double v : pr.pi) CHECK(v >= 0.0);
      CHECK(std::accumulate(pr.pi.begin(), pr.pi.end(), 0.0) == doctest::Approx(1.0).epsilon(1e-12));
      // Cores outside = n - L; each leaves at rate 1/a, and in steady state leaving = returning.
      CHECK((double(n) - pr.mean_waiting) / a * 1000.0 == doctest::Approx(pr.acq_per_kcycle).epsilon(1e-9));
    }
}

TEST_CASE("the collapse: with c > 0 throughput rises then falls; with c = 0 it never falls") {
  std::vector<double> with_c, without_c;
  for (int n = 1; n <= 128; ++n) {
    with_c.push_back(models::predict({2000, 100, 50}, n).acq_per_kcycle);
    without_c.push_back(models::predict({2000, 100, 0}, n).acq_per_kcycle);
  }
  for (size_t i = 1; i < without_c.size(); ++i) CHECK(without_c[i] >= without_c[i - 1] - 1e-12);
  const size_t peak = size_t(std::max_element(with_c.begin(), with_c.end()) - with_c.begin());
  CHECK(peak > 2);                    // it does scale at first ...
  CHECK(peak < with_c.size() / 2);
  for (size_t i = peak + 1; i < with_c.size(); ++i) CHECK(with_c[i] < with_c[i - 1]);  // ... then only falls
  CHECK(with_c.back() < 0.5 * with_c[peak]);
  // Saturated, each handoff costs s + (n-1)c: the tail approaches that rate.
  CHECK(with_c.back() == doctest::Approx(1000.0 / (100 + 127 * 50.0)).epsilon(0.05));
}

TEST_CASE("bad parameters are input errors") {
  CHECK_THROWS_AS(models::predict({0, 100, 10}, 4), InputError);
  CHECK_THROWS_AS(models::predict({100, 0, 10}, 4), InputError);
  CHECK_THROWS_AS(models::predict({100, 100, -1}, 4), InputError);
  CHECK_THROWS_AS(models::predict({100, 100, 1}, 0), InputError);
  auto p = testing::point(4);
  p.machine.coherence = "directory";
  CHECK_THROWS_AS(models::ticket_model_for(p), InputError);
}

TEST_CASE("derived s and c on the default MESI bus") {
  const auto t = models::ticket_model_for(ticket_point(8, 1500));
  CHECK(t.outside_mean == 1500);
  // s: 50 CS + faa GetM 10 + owner GetS 10 + CS line GetS 10 + Upgrade 2 + release Upgrade 2.
  CHECK(t.service_cycles == 84);
  // c: a re-read of `owner` from memory (S copies do not supply in MESI): 2 + 8 + 120.
  CHECK(t.per_waiter_cycles == 130);
  auto p = ticket_point(8, 1500);
  p.machine.protocol = "MOESI";
  CHECK(models::ticket_model_for(p).per_waiter_cycles == 10);  // the O copy answers
}

TEST_CASE("model and simulator: ticket lock on the MESI bus, exponential outside work") {
  // a = 1500 puts the model's peak between 4 and 8 cores (s + (n-1)c = a/(n-1) or so), so the
  // points 2, 4, 8, 16 cross from scaling into collapse in both.
  const std::vector<int> cores = {2, 4, 8, 16};
  std::vector<double> model, simulated;
  for (int n : cores) {
    const auto p = ticket_point(n, 1500);
    model.push_back(models::predict(models::ticket_model_for(p), n).acq_per_kcycle);
    simulated.push_back(sim::simulate(p).acq_per_kcycle());
  }
  for (size_t i = 0; i < cores.size(); ++i) {
    CAPTURE(cores[i]);
    CAPTURE(model[i]);
    CAPTURE(simulated[i]);
    // Measured (docs/models.md): within 12% at these points over seeds 1..5; the error is
    // largest next to the cliff (8 cores here), where a small shift in s moves the knee.
    CHECK(std::abs(model[i] - simulated[i]) / simulated[i] < 0.25);
  }
  // The same trend: both rise from 2 to 4 cores and both fall from 8 to 16.
  CHECK(model[1] > model[0]);
  CHECK(simulated[1] > simulated[0]);
  CHECK(model[3] < model[2]);
  CHECK(simulated[3] < simulated[2]);
  // and both peak at the same core count.
  const auto argmax = [](const std::vector<double>& v) { return std::max_element(v.begin(), v.end()) - v.begin(); };
  CHECK(argmax(model) == argmax(simulated));
}

TEST_CASE("lockstep model ticket: the table, --from, and input errors") {
  auto r = testing::lockstep("model ticket --cores 1,4 --outside 500 --service 90 --per-waiter 0");
  REQUIRE(r.status == 0);
  CHECK(r.out.find("a = 500, s = 90, c = 0") != std::string::npos);
  CHECK(r.out.find("1.695") != std::string::npos);  // 1000/590
  CHECK(testing::lockstep("model ticket --cores 1,x").status == 2);
  CHECK(testing::lockstep("model nosuch").status == 2);

  testing::TempDir d;
  const std::string exp = d.write("e.yaml",
                                  "name: m\nworkload:\n  lock: ticket\n  acquisitions_per_thread: 50\n"
                                  "  warmup_acquisitions: 5\n  outside: {dist: exponential, mean: 1000}\n"
                                  "sweep:\n  machine.cores: [2, 4]\n");
  r = testing::lockstep("model ticket --from '" + exp + "'");
  REQUIRE(r.status == 0);
  CHECK(r.out.find("sim acq/kc") != std::string::npos);
  CHECK(r.out.find("cores-4") != std::string::npos);
  const std::string mcs = d.write("mcs.yaml", "name: m\nworkload: {lock: mcs}\n");
  r = testing::lockstep("model ticket --from '" + mcs + "'");
  CHECK(r.status == 2);
  CHECK(r.err.find("ticket") != std::string::npos);
}

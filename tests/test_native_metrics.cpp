// Issue 12, native figures you can quote: the two measuring modes (throughput: sampled
// timestamps, exact counts, mutual exclusion still caught; latency: handoff / wait / hold /
// release and lockstat), null where nothing was measured, the hand-written locks' layout,
// calibration's timer step and batch timing, the constrained fit, one clock between
// calibrate and native run. Small counts: this suite runs on a loaded 2-CPU machine.
#include <doctest/doctest.h>

#include <cmath>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_helpers.hpp"
#include "common/error.hpp"
#include "config/config.hpp"
#include "isa/program.hpp"
#include "native/calibrate.hpp"
#include "native/clock.hpp"
#include "native/handwritten/locks.hpp"
#include "native/runner.hpp"
#include "native/topology.hpp"

using namespace lockstep;
using testing::slurp;
using testing::TempDir;

namespace {

config::Point point(const std::string& lock, int threads, int64_t acq) {
  config::Point p;
  p.machine.cores = threads;
  p.workload.lock = lock;
  p.workload.threads = threads;
  p.workload.acquisitions_per_thread = acq;
  p.workload.warmup_acquisitions = 5;
  p.workload.critical_section = {20, 0, 1};
  p.workload.outside.cycles = 50;
  return p;
}

native::NativeOptions opts(native::Measure m) {
  native::NativeOptions o;
  o.measure = m;
  o.oversubscribe = true;
  o.perf = false;
  o.watchdog_seconds = 20;
  return o;
}

isa::Program open_door() {
  isa::AssembleOptions a;
  a.file = "open_door.lock";
  a.ncpu = 4;
  return isa::assemble("lock open_door\n.shared word\nacquire:\n  faa r1, [word], 1\n  ret\nrelease:\n  ret\n", a);
}

nlohmann::json stats_of(const std::string& dir, const std::string& pt) {
  return nlohmann::json::parse(slurp(std::filesystem::path(dir) / "points" / pt / "stats.json"));
}

}  // namespace

TEST_CASE("hand-written locks: every lock word and every per-thread node starts a line of its own") {
  for (const auto& name : native::handwritten_locks()) {
    CAPTURE(name);
    auto lock = native::make_handwritten(name, 4);
    REQUIRE(lock);
    const auto layout = lock->layout();
    std::set<uintptr_t> lines;
    for (const auto& [what, addr] : layout) {
      CAPTURE(what);
      CHECK(reinterpret_cast<uintptr_t>(addr) % native::kHandLine == 0);
      lines.insert(reinterpret_cast<uintptr_t>(addr) / native::kHandLine);
    }
    CHECK(lines.size() == layout.size());  // no two on one line
  }
  // MCS: tail, the node array's pointer, and 4 nodes.
  CHECK(native::make_handwritten("mcs", 4)->layout().size() == 6);
  CHECK(native::make_handwritten("ticket", 4)->layout().size() == 2);
}

TEST_CASE("throughput mode: k keeps one record plus the check under 5% of a pair") {
  // record 200 ns, pair 10 ns: budget 0.5 ns -> k = 400; a 0.1 ns check leaves 0.4 -> 500.
  CHECK(native::sample_every_for(200, 10) == 400);
  CHECK(native::sample_every_for(200, 10, 0.1) == 500);
  // A check dearer than 2.5% of the pair: the budget stays 2.5% (0.25 ns) -> 800.
  CHECK(native::sample_every_for(200, 10, 1.0) == 800);
  CHECK(native::sample_every_for(1e9, 10) == 4096);
  CHECK(native::sample_every_for(1, 100) == 1);
  CHECK(native::sample_every_for(200, 0) == 1);
  native::Sampling s{400, 200, 10, 0};
  CHECK(s.overhead() == doctest::Approx(0.05));
}

TEST_CASE("throughput mode: exact counts, every k-th acquisition sampled") {
  auto o = opts(native::Measure::Throughput);
  o.sample_every = 10;
  stats::Point st = native::run_native(point("ticket", 2, 300), o);
  CHECK(st.acquisitions == 600);
  REQUIRE(st.per_core.size() == 2);
  CHECK(st.per_core[0].acquisitions == 300);
  CHECK(st.per_core[1].acquisitions == 300);
  // Acquisitions 10, 20, ..., 300 of each thread: 30 samples each.
  CHECK(st.wait.count() == 60);
  CHECK(st.hold.count() == 60);
  CHECK(st.release.count() == 60);
  CHECK(st.handoff.count() == 0);
  CHECK_FALSE(st.lockstat.present);
  CHECK(st.micro_ops() >= 600 * 8);  // ticket: 5 + 3 micro-ops uncontended, more while spinning
  CHECK(st.extra.at("native.sample_every") == 10);
  CHECK(st.cycles > 0);
}

TEST_CASE("latency mode: every acquisition timed; one thread has no handoff, contention or bounce") {
  stats::Point st = native::run_native(point("mcs", 1, 200), opts(native::Measure::Latency));
  CHECK(st.acquisitions == 200);
  CHECK(st.wait.count() == 200);
  CHECK(st.hold.count() == 200);
  CHECK(st.release.count() == 200);
  CHECK(st.handoff.count() == 0);
  CHECK(st.reacquires == 0);
  REQUIRE(st.lockstat.present);
  CHECK(st.lockstat.acquisitions == 200);
  CHECK(st.lockstat.contentions == 0);
  CHECK(st.lockstat.acq_bounces == 0);
  CHECK(st.lockstat.con_bounces == 0);
  CHECK(st.lockstat.waittime_total == 0);
  // Hold time is measured: the critical section's 20 cycles at least, for every acquisition.
  CHECK(st.lockstat.holdtime_min >= 1);
  CHECK(st.lockstat.holdtime_total >= 200 * 20 * 9 / 10);

  stats::Point two = native::run_native(point("ticket", 2, 300), opts(native::Measure::Latency));
  CHECK(two.acquisitions == 600);
  CHECK(two.wait.count() == 600);
  CHECK(two.lockstat.acquisitions == 600);
  CHECK(two.lockstat.contentions <= 600);
  CHECK(two.lockstat.con_bounces <= two.lockstat.contentions);
  CHECK(two.lockstat.acq_bounces <= 600);
  CHECK(two.handoff.count() <= two.lockstat.contentions);
  CHECK(two.reacquires <= 600);
}

TEST_CASE("throughput sampling keeps mutual-exclusion detection: a racy lock is caught with no sample taken") {
  config::Point pt = point("open_door", 4, 20000);
  pt.workload.critical_section = {1000, 0, 0};  // no counter line: only the ownership tag can see it
  pt.workload.outside.cycles = 0;
  pt.workload.warmup_acquisitions = 0;  // warm-up acquisitions are all timed, with the holder count
  auto o = opts(native::Measure::Throughput);
  o.sample_every = 1000000000;
  o.watchdog_seconds = 5;
  std::string msg;
  try {
    native::run_native_program(open_door(), pt, o);
  } catch (const CorrectnessError& e) {
    msg = e.what();
  }
  CHECK(msg.find("mutual exclusion violated natively") != std::string::npos);
  INFO(msg);
  CHECK(msg.find("ownership tag") != std::string::npos);
  CHECK(msg.find("open_door") != std::string::npos);

  // The command: exit 3 in the default (throughput) mode.
  TempDir d;
  d.write("open.lock", "lock open\n.shared w\nacquire:\n  ret\nrelease:\n  ret\n");
  d.write("exp.yaml",
          "name: racy\nmachine: {cores: 4}\nworkload:\n  lock: " + (d.path / "open.lock").string() +
              "\n  threads: 4\n  acquisitions_per_thread: 20000\n  critical_section: {cycles: 1000}\n"
              "  outside: {dist: fixed, cycles: 0}\n");
  auto r = testing::shell(std::string(LOCKSTEP_BINARY) + " native run " + (d.path / "exp.yaml").string() + " -o " +
                          (d.path / "out").string() + " --oversubscribe --clock-ghz 3");
  CHECK(r.status == 3);
  CHECK(r.err.find("mutual exclusion violated") != std::string::npos);
}

TEST_CASE("time-window mode: threads loop until workload.duration_cycles closes") {
  config::Point pt = point("ttas", 2, 0);
  // 30 ms at 3 GHz: long enough that a host busy with other work (a parallel build) still
  // schedules both threads inside the window (2 ms once saw no acquisition at all).
  pt.workload.duration_cycles = 90000000;
  auto o = opts(native::Measure::Throughput);
  o.clock_ghz = 3;
  stats::Point st = native::run_native(pt, o);
  CHECK(st.acquisitions > 0);
  REQUIRE(st.per_core.size() == 2);
  CHECK(st.per_core[0].acquisitions + st.per_core[1].acquisitions == st.acquisitions);
  // The window is closed at its deadline, never before.
  CHECK(st.cycles >= 90000000 * 99 / 100);
  CHECK(st.extra.at("native.clock_ghz") == doctest::Approx(3));
}

TEST_CASE("stats.json: null where nothing was measured, numbers where something was") {
  TempDir d;
  d.write("exp.yaml",
          "name: nulls\nmachine: {cores: 2}\nworkload:\n  lock: ticket\n  threads: 1\n  acquisitions_per_thread: 200\n"
          "  warmup_acquisitions: 5\n");
  const std::string bin = LOCKSTEP_BINARY, exp = (d.path / "exp.yaml").string();
  // One thread, latency: no handoff can happen (null, count 0), but wait and hold were measured.
  auto r = testing::shell(bin + " native run " + exp + " -o " + (d.path / "lat").string() +
                          " --measure latency --clock-ghz 3 --no-perf");
  REQUIRE(r.status == 0);
  auto j = stats_of((d.path / "lat").string(), "default");
  CHECK(j["handoff_cycles"]["count"] == 0);
  CHECK(j["handoff_cycles"]["mean"].is_null());
  CHECK(j["handoff_cycles"]["p50"].is_null());
  CHECK(j["wait_cycles"]["count"] == 200);
  CHECK(j["wait_cycles"]["p50"].is_number());
  CHECK(j["hold_cycles"]["mean"].is_number());
  CHECK(j["lockstat"]["contentions"] == 0);
  CHECK(j["lockstat"]["acquisitions"] == 200);
  CHECK(j["per_acquisition"]["micro_ops"] == 8);   // interpreted ticket: 8 micro-ops per pair
  CHECK(j["per_acquisition"]["invalidations"].is_null());
  CHECK(j["native"]["measure"] == "latency");
  std::string csv = slurp(d.path / "lat" / "summary.csv");
  CHECK(csv.find("handoff_mean,handoff_p50,handoff_p99") != std::string::npos);
  // handoff_mean, p50, p99 empty; handoff_count 0.
  CHECK(csv.find(",200,") != std::string::npos);

  // Hand-written, throughput: no micro-ops (null), no handoff ratio or reacquires (not counted).
  r = testing::shell(bin + " native run " + exp + " -o " + (d.path / "hand").string() +
                     " --handwritten --clock-ghz 3 --no-perf");
  REQUIRE(r.status == 0);
  j = stats_of((d.path / "hand").string(), "default");
  CHECK(j["per_acquisition"]["micro_ops"].is_null());
  CHECK(j["per_core"][0]["micro_ops"].is_null());
  CHECK(j["fairness"]["handoff_ratio"].is_null());
  CHECK(j["fairness"]["reacquires"].is_null());
  CHECK(j["handoff_cycles"]["count"].is_null());
  CHECK(j["acquisitions"] == 200);
  CHECK(j["fairness"]["jain"] == 1);
  CHECK(j["native"]["measure"] == "throughput");
  CHECK(j["native"]["sample_every"].get<double>() >= 1);
  CHECK(j.contains("lockstat") == false);
}

TEST_CASE("calibration knows its timer: the step, and a chain of k L1 hits timed as k x hit within one step") {
  native::pin_to_cpu(native::read_topology().cpus.at(0).id);
  const native::TimerInfo t = native::measure_timer();
  CHECK(t.step_ticks >= 1);
  CHECK(t.overhead_ticks >= 0);
  // 64 dependent loads: long enough to span several steps on a coarse (VM) counter. Both
  // figures are medians, but on a shared machine a preemption can still skew one of the two;
  // up to three fresh measurements, and the instrument must agree with itself in one.
  const int k = 64;
  double hit = 0, chain = 0;
  bool agree = false;
  for (int attempt = 0; attempt < 3 && !agree; ++attempt) {
    hit = native::hit_ticks_per_load();
    chain = native::chain_ticks(k, 301, t);
    agree = std::abs(chain - k * hit) <= t.step_ticks + 0.1 * k * hit;
  }
  CHECK(hit > 0);
  INFO("hit/load " << hit << " ticks, chain " << chain << " ticks, step " << t.step_ticks);
  CHECK(agree);
  // Batch sizes: 10 steps' worth, 2..32, none once a single op spans 4 steps.
  CHECK(native::batch_for(100, 26) == 3);
  CHECK(native::batch_for(0, 26) == 32);
  CHECK(native::batch_for(104, 26) == 1);
  CHECK(native::batch_for(60, 26) == 5);
}

TEST_CASE("the calibrate fit obeys physics: memory >= cache-to-cache >= hit") {
  // Unconstrained least squares would put memory 20 cycles below cache-to-cache here.
  auto x = native::constrained_fit({{false, 100}, {false, 100}, {false, 100}, {true, 80}});
  // memory - data pinned at 0: request + data = (3 x 100 + 80) / 4 = 95, split 1:4.
  CHECK(x[0] == doctest::Approx(19));
  CHECK(x[1] == doctest::Approx(76));
  CHECK(x[2] == doctest::Approx(76));
  // A consistent table is fitted exactly.
  x = native::constrained_fit({{false, 100}, {true, 300}});
  CHECK(x[0] == doctest::Approx(20));
  CHECK(x[1] == doctest::Approx(80));
  CHECK(x[2] == doctest::Approx(280));
}

TEST_CASE("one clock: native run converts ticks with calibrate's clock and says so") {
  if (native::read_topology().cpus.size() < 2) return;  // calibration needs a pair of cores
  TempDir d;
  const std::string bin = LOCKSTEP_BINARY;
  auto r = testing::shell(bin + " calibrate --reps 3 --pairs 1 -o " + (d.path / "m.yaml").string());
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  const std::string yaml = slurp(d.path / "m.yaml");
  const size_t at = yaml.find("# counter_hz: ");
  REQUIRE(at != std::string::npos);
  const double counter_hz = std::atof(yaml.c_str() + at + 14);
  const size_t g = yaml.find("clock_ghz: ", yaml.find("machine:"));
  REQUIRE(g != std::string::npos);
  const double ghz = std::atof(yaml.c_str() + g + 11);
  CHECK(ghz > 0.1);
  std::string csv = slurp(d.path / "m.csv");
  CHECK(csv.rfind("cpu_a,cpu_b,cpu_c,state,op,median_cycles,p10_cycles,p90_cycles,min_cycles,reps,"
                  "batch,timer_step_cycles,spread_cycles,fit_cycles,residual_cycles,note\n", 0) == 0);

  d.write("exp.yaml", "name: clk\nmachine: {cores: 1}\nworkload:\n  lock: ttas\n  threads: 1\n  acquisitions_per_thread: 100\n");
  r = testing::shell(bin + " native run " + (d.path / "exp.yaml").string() + " -o " + (d.path / "out").string() +
                     " --machine " + (d.path / "m.yaml").string() + " --no-perf");
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  auto j = stats_of((d.path / "out").string(), "default");
  CHECK(j["native"]["clock_ghz"].get<double>() == doctest::Approx(ghz));
  CHECK(j["native"]["clock_source"].get<std::string>().rfind("machine ", 0) == 0);
  // The counter rate is measured again by the run: the same counter, within 5%.
  CHECK(j["native"]["counter_hz"].get<double>() == doctest::Approx(counter_hz).epsilon(0.05));
  CHECK(j["native"]["cycles_per_tick"].get<double>() ==
        doctest::Approx(ghz * 1e9 / j["native"]["counter_hz"].get<double>()).epsilon(0.001));
  CHECK(j["native"]["ticks"].get<double>() > 0);

  // Without --machine or --clock-ghz the clock is measured, and the run says so.
  r = testing::shell(bin + " native run " + (d.path / "exp.yaml").string() + " -o " + (d.path / "out2").string() +
                     " --no-perf");
  REQUIRE(r.status == 0);
  CHECK(r.out.find("(measured)") != std::string::npos);
  j = stats_of((d.path / "out2").string(), "default");
  CHECK(j["native"]["clock_source"] == "measured");
  // Both at once is refused.
  r = testing::shell(bin + " native run " + (d.path / "exp.yaml").string() + " -o " + (d.path / "out3").string() +
                     " --machine " + (d.path / "m.yaml").string() + " --clock-ghz 3");
  CHECK(r.status == 2);
  CHECK(r.err.find("not both") != std::string::npos);
}

// The sampling profiler (sim/observe/profiler.hpp): symbols, exact attribution, nmi and irq
// delivery — first on hand-made event sequences, then on simulated runs.
#include <doctest/doctest.h>

#include <cmath>
#include <map>

#include <nlohmann/json.hpp>

#include "cli_helpers.hpp"
#include "config/loader.hpp"
#include "isa/program.hpp"
#include "observe/profiler.hpp"
#include "output/driver.hpp"
#include "run/machine.hpp"
#include "sim_helpers.hpp"

using namespace lockstep;
using observe::Ev;
using observe::Event;

namespace {

const char* kSrc =
    "lock t\n"
    ".shared x\n"
    "acquire:\n"
    "  li r1, 1\n"        // pc 0  acquire
    "spin:\n"
    "  pause\n"           // pc 1  acquire:spin
    "  jmp spin\n"        // pc 2  acquire:spin
    "release:\n"
    "  st [x], 0\n"       // pc 3  release
    "out:\n"
    "  ret\n";            // pc 4  release:out

isa::Program prog() {
  isa::AssembleOptions o;
  o.file = "t.lock";
  return isa::assemble(kSrc, o);
}

Event exec(const isa::Program& p, Cycle at, int pc) {
  Event e{Ev::Exec, at, 0, 0, p.code[size_t(pc)].line, uint64_t(pc)};
  e.prog = &p;
  return e;
}

Event ev(Ev k, Cycle at, const char* what = nullptr) {
  Event e{k, at, 0, 0, 0, 0};
  e.what = what;
  return e;
}

// One core, ticks every 100 cycles from 0: acquire 0..20, spin 20..460 with interrupts off
// from 10 to 450, release 460..500, outside 500..1000.
stats::ProfileFigures run(const isa::Program& p, const std::string& delivery, const char* restore) {
  observe::Profiler prof(1, 100, delivery, nullptr);
  prof.on(exec(p, 0, 0));
  prof.on(ev(Ev::IrqsOff, 10));
  prof.on(exec(p, 20, 1));
  prof.on(exec(p, 21, 2));
  prof.on(exec(p, 22, 1));  // ... the loop (its cycles are the interval's, whatever the ops)
  prof.on(ev(Ev::IrqsOn, 450, restore));
  prof.on(exec(p, 460, 3));
  prof.on(ev(Ev::ReleaseReturn, 500));
  stats::Point s;
  prof.fill(s, 1000);
  return s.profile;
}

}  // namespace

TEST_CASE("profiler: every pc's symbol is its section and the last label before it") {
  const isa::Program p = prog();
  CHECK(observe::Profiler::symbols_of(p) ==
        std::vector<std::string>{"acquire", "acquire:spin", "acquire:spin", "release", "release:out"});
}

TEST_CASE("profiler: nmi samples land where the core is; exact cycles per symbol") {
  const isa::Program p = prog();
  const auto f = run(p, "nmi", nullptr);
  CHECK(f.delivery == "nmi");
  CHECK(f.exact.at("acquire") == 20);
  CHECK(f.exact.at("acquire:spin") == 440);
  CHECK(f.exact.at("release") == 40);
  CHECK(f.exact.at("outside") == 500);
  CHECK(f.samples == 10);  // ticks 0, 100, ..., 900
  CHECK(f.sampled.at("acquire") == 1);
  CHECK(f.sampled.at("acquire:spin") == 4);  // 100..400
  CHECK(f.sampled.at("release") == 0);
  CHECK(f.sampled.at("outside") == 5);
}

TEST_CASE("profiler: irq delivery defers the ticks while interrupts are off to the next micro-op") {
  const isa::Program p = prog();
  const auto f = run(p, "irq", nullptr);
  CHECK(f.samples == 7);  // the four ticks 100..400 coalesce into one pending interrupt
  CHECK(f.sampled.at("acquire") == 1);
  CHECK(f.sampled.at("acquire:spin") == 0);
  CHECK(f.sampled.at("release") == 1);  // the op right after interrupts came back on
  CHECK(f.sampled.at("outside") == 5);
  CHECK(f.exact.at("acquire:spin") == 440);  // the truth does not move
}

// workload.irqsave's shape: the harness's save (1 cycle) before acquire, its restore (1 cycle)
// right after release returns, then outside work.
stats::ProfileFigures irqsave_run(const isa::Program& p, const std::string& delivery) {
  observe::Profiler prof(1, 100, delivery, nullptr, 1);
  prof.on(ev(Ev::IrqsOff, 0, "lock_irqsave"));
  prof.on(exec(p, 1, 0));
  prof.on(exec(p, 20, 1));
  prof.on(exec(p, 400, 3));
  prof.on(ev(Ev::ReleaseReturn, 440));
  prof.on(ev(Ev::IrqsOn, 440, "unlock_irqrestore"));
  stats::Point s;
  prof.fill(s, 1000);
  return s.profile;
}

TEST_CASE("profiler: with irqsave the deferred ticks all land on unlock_irqrestore") {
  const isa::Program p = prog();
  const auto irq = irqsave_run(p, "irq");
  const std::map<std::string, uint64_t> exact{{"lock_irqsave", 1}, {"acquire", 19}, {"acquire:spin", 380},
                                              {"release", 40}, {"unlock_irqrestore", 1}, {"outside", 559}};
  for (const auto& kv : exact) CHECK_MESSAGE(irq.exact.at(kv.first) == kv.second, kv.first);
  CHECK(irq.samples == 6);  // ticks 0..400 coalesce into one pending interrupt
  CHECK(irq.sampled.at("unlock_irqrestore") == 1);
  CHECK(irq.sampled.at("outside") == 5);
  const auto nmi = irqsave_run(p, "nmi");
  CHECK(nmi.exact == irq.exact);
  CHECK(nmi.samples == 10);
  CHECK(nmi.sampled.at("lock_irqsave") == 1);  // tick 0
  CHECK(nmi.sampled.at("acquire:spin") == 3);  // 100, 200, 300
  CHECK(nmi.sampled.at("release") == 1);       // 400
  CHECK(nmi.sampled.at("unlock_irqrestore") == 0);
  CHECK(nmi.sampled.at("outside") == 5);
  const std::string t = observe::Profiler::report_text(irq);
  CHECK(t.rfind("# Samples: 6 of event 'cpu-clock' (delivery: irq, one sample per core every 100 cycles)\n", 0) == 0);
  CHECK(t.find("    83.33%         5  [.] outside                     55.90%           559\n") != std::string::npos);
  CHECK(t.find("    16.67%         1  [.] unlock_irqrestore            0.10%             1\n") != std::string::npos);
  // then the symbols without samples, by exact cycles
  CHECK(t.find("acquire:spin") < t.find("[.] release"));
  CHECK(t.find("[.] release") < t.find("[.] acquire "));
}

TEST_CASE("profiler: ticks are per core and staggered; the warm-up is forgotten at WindowOpen") {
  const isa::Program p = prog();
  observe::Profiler prof(4, 100, "nmi", nullptr);  // core k ticks at 25k, 25k + 100, ...
  for (int c = 0; c < 4; ++c) {
    Event e = exec(p, 0, 0);
    e.core = c;
    prof.on(e);
  }
  prof.on(Event{Ev::WindowOpen, 200, 0, -1, 0, 0});
  stats::Point s;
  prof.fill(s, 400);  // window 200..400: core k ticks at 200 + 25k and 300 + 25k
  CHECK(s.profile.samples == 8);
  CHECK(s.profile.exact.at("acquire") == 4 * 200);
}

TEST_CASE("profiler: on a contended ticket lock nmi shares match the exact shares") {
  auto p = testing::point(4, "ticket", 400, 20);
  p.workload.critical_section = {60, 0, 1};
  p.workload.outside.cycles = 100;
  p.profile.period_cycles = 97;
  p.profile.delivery = "nmi";
  sim::Machine m(p);
  const stats::Point s = m.run();
  const auto& f = s.profile;
  REQUIRE(f.present);
  CHECK(f.samples >= 10000);
  uint64_t exact_total = 0;
  for (const auto& [sym, n] : f.exact) exact_total += n;
  // Every core-cycle of the window is attributed (the run-ahead of a core at the window's
  // opening is at most a few cycles).
  CHECK(double(exact_total) == doctest::Approx(double(s.cycles) * 4).epsilon(0.001));
  for (const auto& kv : f.exact) {  // (no structured binding: CHECK_MESSAGE captures in a lambda)
    const std::string& sym = kv.first;
    const uint64_t n = kv.second;
    const double exact = 100.0 * double(n) / double(exact_total);
    const double sampled = 100.0 * double(f.sampled.at(sym)) / double(f.samples);
    CHECK_MESSAGE(std::fabs(exact - sampled) < 3.0, sym << ": exact " << exact << "% sampled " << sampled << "%");
  }
  CHECK(f.exact.at("acquire:spin") > f.exact.at("release"));  // the ticket lock waits in its loop
  CHECK(f.exact.at("cs") > 0);
  CHECK(f.exact.count("unlock_irqrestore"));  // listed, 0 without irqsave
  // The same figures with fast-forward requested: the profiler turns it off, nothing changes.
  p.run.fast_forward = false;
  sim::Machine m2(p);
  const stats::Point s2 = m2.run();
  CHECK(s2.profile.sampled == f.sampled);
  CHECK(s2.profile.exact == f.exact);
  CHECK(s2.cycles == s.cycles);
}

TEST_CASE("profiler: profile.delivery is sweepable; profile.txt and stats.json profile beside each point") {
  testing::TempDir t;
  const auto e = config::load_experiment_text(
      "machine: {cores: 2}\n"
      "workload: {lock: ticket, acquisitions_per_thread: 50, warmup_acquisitions: 5}\n"
      "profile: {period_cycles: 100}\n"
      "sweep: {profile.delivery: [nmi, irq]}\n"
      "output: {dir: " + t.path.string() + "}\n",
      (t.path / "p.yaml").string());
  output::RunOptions o;
  const auto r = output::run_experiment(e, o, sim::simulate);
  REQUIRE(r.results.size() == 2);
  for (const char* name : {"000_delivery-nmi", "001_delivery-irq"}) {
    const auto dir = t.path / "points" / name;
    const auto j = nlohmann::json::parse(testing::slurp(dir / "stats.json"));
    const std::string delivery = std::string(name).substr(13);
    CHECK(j["profile"]["delivery"] == delivery);
    CHECK(j["profile"]["period_cycles"] == 100);
    uint64_t n = 0;
    for (const auto& [sym, v] : j["profile"]["sampled"].items()) n += v.get<uint64_t>();
    CHECK(j["profile"]["samples"] == n);
    CHECK(j["profile"]["exact"]["acquire:spin"].get<uint64_t>() > 0);
    CHECK(!j.contains("irqsoff"));  // the ticket lock cannot turn interrupts off
    const std::string txt = testing::slurp(dir / "profile.txt");
    CHECK(txt.rfind("# Samples: " + std::to_string(n) + " of event '" + (delivery == "irq" ? "cpu-clock" : "cycles"), 0) == 0);
  }
  // Interrupts are never off here: irq delivery samples exactly as nmi does.
  const auto a = nlohmann::json::parse(testing::slurp(t.path / "points" / "000_delivery-nmi" / "stats.json"));
  const auto b = nlohmann::json::parse(testing::slurp(t.path / "points" / "001_delivery-irq" / "stats.json"));
  CHECK(a["profile"]["sampled"] == b["profile"]["sampled"]);
}

TEST_CASE("perf-misattribution.yaml: nmi matches the exact attribution, irq blames unlock_irqrestore") {
  const auto e = config::load_experiment(std::string(LOCKSTEP_SOURCE_DIR) + "/configs/experiments/perf-misattribution.yaml");
  REQUIRE(e.points.size() == 4);
  for (const auto& p : e.points) {
    const stats::Point s = sim::simulate(p);
    const auto& f = s.profile;
    REQUIRE(f.present);
    uint64_t total = 0;
    for (const auto& [sym, n] : f.exact) total += n;
    auto exact = [&](const std::string& sym) { return 100.0 * double(f.exact.at(sym)) / double(total); };
    auto sampled = [&](const std::string& sym) { return 100.0 * double(f.sampled.at(sym)) / double(f.samples); };
    // The truth: the lock's wait loops take most of the time; the restore one cycle per acquisition.
    double waiting = 0;
    for (const auto& kv : f.exact)
      if (kv.first.rfind("acquire:", 0) == 0) waiting += exact(kv.first);
    CHECK_MESSAGE(waiting > 60.0, p.name);
    CHECK(exact("unlock_irqrestore") < 0.1);
    CHECK(s.irq.present);
    CHECK(s.irq.irqsoff.all.sections > 300);  // one per acquisition (the save .. the restore)
    if (f.delivery == "nmi") {
      CHECK(f.samples >= 10000);
      for (const auto& kv : f.exact)
        CHECK_MESSAGE(std::fabs(exact(kv.first) - sampled(kv.first)) < 3.0,
                      p.name << " " << kv.first << ": exact " << exact(kv.first) << "% sampled " << sampled(kv.first) << "%");
    } else {
      // Every tick of an irqs-off section (thousands of cycles) is deferred to its restore; the
      // 200-cycle outside work holds one tick per core: about half the samples each.
      CHECK_MESSAGE(sampled("unlock_irqrestore") >= 5 * exact("unlock_irqrestore"), p.name);
      CHECK_MESSAGE(sampled("unlock_irqrestore") > 45.0, p.name);
      CHECK(sampled("unlock_irqrestore") + sampled("outside") == doctest::Approx(100.0));
    }
  }
}

// Interrupts-off / preemption-off sections and interrupt latency (sim/observe/irqsoff.hpp),
// from hand-made event sequences (the contract of DESIGN.md §5 and sim/observe/event.hpp).
#include <doctest/doctest.h>

#include <map>
#include <sstream>

#include "isa/program.hpp"
#include "observe/irqsoff.hpp"
#include "run/machine.hpp"
#include "sim_helpers.hpp"

using namespace lockstep;
using observe::Ev;
using observe::Event;

namespace {

isa::Program prog() {
  isa::AssembleOptions o;
  o.file = "t.lock";
  return isa::assemble("lock t\n.shared x\nacquire:\n  li r1, 1\n  faa r2, [x], 1\n  ret\nrelease:\n  ret\n", o);
}

Event ev(Ev k, Cycle at, int core, const char* what = nullptr, uint64_t arg = 0, int line = 0) {
  Event e{k, at, core, core, line, arg};
  e.what = what;
  return e;
}

std::map<std::string, std::string> files(const stats::Point& s) {
  std::map<std::string, std::string> m;
  for (const auto& [k, v] : s.files) m[k] = v;
  return m;
}

}  // namespace

TEST_CASE("irqsoff: sections, preempt sections, their union and interrupt latency per core") {
  const isa::Program p = prog();
  observe::IrqsOff o(2, "t.lock", 1.0);  // 1 GHz: 1000 cycles = 1 µs
  // core 0: preempt off 50..3000, irqs off 100..2600 (the harness's save/restore), then
  // irqs off 5000..5400 by the lock's own irq_save at line 7.
  o.on(ev(Ev::PreemptOff, 50, 0));
  o.on(ev(Ev::IrqsOff, 100, 0, "lock_irqsave"));
  Event x{Ev::Exec, 100, 0, 0, 4, 0};
  x.prog = &p;
  o.on(x);
  x.cycle = 110;
  x.arg = 1;
  x.line = 5;
  o.on(x);
  o.on(ev(Ev::IrqsOn, 2600, 0, "unlock_irqrestore"));
  o.on(ev(Ev::PreemptOn, 3000, 0));
  o.on(ev(Ev::IrqsOff, 5000, 0, nullptr, 0, 7));
  o.on(ev(Ev::IrqsOn, 5400, 0, nullptr, 0, 9));
  // core 1: a timer raised at 1000 enters its handler at 1300 (hardware turns irqs off for it)
  o.on(ev(Ev::IrqRaise, 1000, 1, "timer", 1));
  o.on(ev(Ev::IrqsOff, 1300, 1, nullptr, 1));
  o.on(ev(Ev::IrqEnter, 1300, 1, "timer", 1));
  o.on(ev(Ev::IrqExit, 1800, 1, "timer", 1));
  o.on(ev(Ev::IrqsOn, 1800, 1, nullptr, 1));

  stats::Point s;
  o.fill(s);
  REQUIRE(s.irq.present);
  const auto& irq = s.irq.irqsoff;
  CHECK(irq.all.sections == 3);
  CHECK(irq.all.max_cycles == 2500);
  CHECK(irq.all.total_cycles == 2500 + 400 + 500);
  CHECK(irq.all.p99_cycles == 2500);  // nearest rank: ceil(0.99 * 3) = 3rd of 400, 500, 2500
  REQUIRE(irq.per_core.size() == 2);
  CHECK(irq.per_core[0].sections == 2);
  CHECK(irq.per_core[0].max_cycles == 2500);
  CHECK(irq.per_core[0].total_cycles == 2900);
  CHECK(irq.per_core[1].sections == 1);
  CHECK(irq.per_core[1].max_cycles == 500);
  CHECK(s.irq.preemptoff.all.sections == 1);
  CHECK(s.irq.preemptoff.all.max_cycles == 2950);
  CHECK(s.irq.preemptoff.per_core[1].sections == 0);
  // either off: core 0 50..3000 and 5000..5400, core 1 1300..1800
  CHECK(s.irq.preemptirqsoff.all.sections == 3);
  CHECK(s.irq.preemptirqsoff.all.max_cycles == 2950);
  CHECK(s.irq.preemptirqsoff.all.total_cycles == 2950 + 400 + 500);
  CHECK(s.irq.preemptirqsoff.per_core[0].sections == 2);
  CHECK(s.irq.irq_latency.all.sections == 1);
  CHECK(s.irq.irq_latency.all.max_cycles == 300);
  CHECK(s.irq.irq_latency.per_core[1].p99_cycles == 300);
  CHECK(s.irq.irq_latency.per_core[0].sections == 0);

  auto f = files(s);
  CHECK(f.size() == 3 * 2 + 1);
  // CPU0 irqsoff: 2500 cycles = 2 µs, 400 cycles = 0 µs.
  CHECK(f["latency_hist/irqsoff/CPU0"] ==
        "#Minimum latency: 0 microseconds\n"
        "#Average latency: 1 microseconds\n"
        "#Maximum latency: 2 microseconds\n"
        "#Total samples: 2\n"
        "#There are 0 samples lower than 0 microseconds.\n"
        "#There are 0 samples greater or equal than 10240 microseconds.\n"
        "#usecs\t         samples\n"
        "     0\t               1\n"
        "     1\t               0\n"
        "     2\t               1\n");
  CHECK(f["latency_hist/preemptoff/CPU1"] ==
        "#Minimum latency: -- microseconds\n"
        "#Average latency: -- microseconds\n"
        "#Maximum latency: -- microseconds\n"
        "#Total samples: 0\n"
        "#There are 0 samples lower than 0 microseconds.\n"
        "#There are 0 samples greater or equal than 10240 microseconds.\n"
        "#usecs\t         samples\n");
  // The longest section, as the ftrace irqsoff tracer prints it.
  const std::string tr = f["irqsoff_trace.txt"];
  CHECK(tr.rfind("# tracer: irqsoff\n", 0) == 0);
  CHECK(tr.find("# latency: 2 us, #4/4, CPU#0 | (M:preempt VP:0, KP:0, SP:0 HP:0 #P:2)\n") != std::string::npos);
  CHECK(tr.find("#    | task: thread-0 (cycles 100 to 2600: 2500 cycles)\n") != std::string::npos);
  CHECK(tr.find("#  => started at: harness:lock_irqsave\n") != std::string::npos);
  CHECK(tr.find("#  => ended at:   harness:unlock_irqrestore\n") != std::string::npos);
  CHECK(tr.find("       0cy : lock_irqsave <-harness:lock_irqsave\n") != std::string::npos);
  CHECK(tr.find("       0cy : li r1, 1 <-t.lock:4\n") != std::string::npos);
  CHECK(tr.find("      10cy : faa r2, [x], 1 <-t.lock:5\n") != std::string::npos);
  CHECK(tr.find("    2500cy : unlock_irqrestore <-harness:unlock_irqrestore\n") != std::string::npos);
  CHECK(tr.find("\nthread-0-0     0d...       0cy : li r1, 1") != std::string::npos);
}

TEST_CASE("irqsoff: the warm-up's sections are cleared at WindowOpen; nothing counts after WindowClose") {
  observe::IrqsOff o(1, "t.lock", 3.0);
  o.on(ev(Ev::IrqsOff, 10, 0, nullptr, 0, 3));
  o.on(ev(Ev::IrqsOn, 99999, 0, nullptr, 0, 4));   // a long warm-up section: forgotten
  o.on(ev(Ev::WindowOpen, 100000, 0));
  o.on(ev(Ev::IrqsOff, 100010, 0, nullptr, 0, 3));
  o.on(ev(Ev::IrqsOn, 100310, 0, nullptr, 0, 4));  // 300 cycles, ended by t.lock:4
  o.on(ev(Ev::IrqsOff, 100400, 0, nullptr, 0, 3));  // open when the window closes: not counted
  o.on(ev(Ev::WindowClose, 100500, -1));
  o.on(ev(Ev::IrqsOn, 200000, 0, nullptr, 0, 4));
  stats::Point s;
  o.fill(s);
  CHECK(s.irq.irqsoff.all.sections == 1);
  CHECK(s.irq.irqsoff.all.max_cycles == 300);
  CHECK(s.irq.preemptirqsoff.all.sections == 1);
  const auto f = files(s);
  const std::string tr = f.at("irqsoff_trace.txt");
  CHECK(tr.find("#  => started at: t.lock:3\n#  => ended at:   t.lock:4\n") != std::string::npos);
  CHECK(tr.find("# latency: 0 us, #2/2, CPU#0") != std::string::npos);
  CHECK(tr.find("# (micro-ops not listed: run with run.fast_forward: false or a profile to see them)\n") != std::string::npos);
  CHECK(f.at("latency_hist/irqsoff/CPU0").find("#Total samples: 1\n") != std::string::npos);
}

TEST_CASE("irqsoff: latency_hist puts 1 µs buckets at machine.clock_ghz and counts the overflow") {
  // 3 GHz: 2999 cycles = 0 µs, 3000 = 1 µs, 9000 = 3 µs, 40 M cycles = 13333 µs (>= 10240)
  const std::string t = observe::IrqsOff::latency_hist_text({2999, 3000, 9000, 9001, 40000000}, 3.0);
  CHECK(t.find("#Minimum latency: 0 microseconds\n") != std::string::npos);
  CHECK(t.find("#Average latency: 2668 microseconds\n") != std::string::npos);  // (0+1+3+3+13333)/5
  CHECK(t.find("#Maximum latency: 13333 microseconds\n") != std::string::npos);
  CHECK(t.find("#Total samples: 5\n") != std::string::npos);
  CHECK(t.find("#There are 1 samples greater or equal than 10240 microseconds.\n") != std::string::npos);
  CHECK(t.find("     3\t               2\n") != std::string::npos);
  CHECK(t.substr(t.size() - 24) == "     3\t               2\n");  // rows stop at the largest bucket held
}

TEST_CASE("irqsoff on a simulated irqsave ticket lock: same figures with fast-forward on and off") {
  auto p = testing::point(4, "ticket", 100, 10);
  p.workload.irqsave = true;
  p.workload.critical_section = {60, 0, 1};
  p.workload.outside.cycles = 100;
  p.run.fast_forward = false;
  sim::Machine off(p);
  const stats::Point a = off.run();
  p.run.fast_forward = true;
  sim::Machine on(p);
  const stats::Point b = on.run();
  REQUIRE(a.irq.present);
  // One irqs-off section per acquisition, from the save before acquire to the restore after
  // release (at the release's return cycle). A section counts when it ends after WindowOpen:
  // every measured acquisition's, plus the one of the warm-up's last acquisition (its acquire
  // return opened the window; its restore comes after).
  CHECK(a.irq.irqsoff.all.sections == a.acquisitions + 1);
  CHECK(a.irq.preemptoff.all.sections == 0);
  CHECK(a.irq.preemptirqsoff.all.sections == a.irq.irqsoff.all.sections);
  CHECK(a.irq.irqsoff.all.max_cycles > 60);  // at least the critical section
  for (const auto* s : {&a.irq.irqsoff, &a.irq.preemptirqsoff, &a.irq.irq_latency}) {
    const auto* t = s == &a.irq.irqsoff ? &b.irq.irqsoff : s == &a.irq.preemptirqsoff ? &b.irq.preemptirqsoff : &b.irq.irq_latency;
    CHECK(s->all.sections == t->all.sections);
    CHECK(s->all.max_cycles == t->all.max_cycles);
    CHECK(s->all.p99_cycles == t->all.p99_cycles);
    CHECK(s->all.total_cycles == t->all.total_cycles);
  }
  auto fa = files(a), fb = files(b);
  CHECK(fa["latency_hist/irqsoff/CPU3"] == fb["latency_hist/irqsoff/CPU3"]);
  // The trace: the same section; its micro-ops listed only when they were emitted (ff off).
  const std::string ta = fa["irqsoff_trace.txt"], tb = fb["irqsoff_trace.txt"];
  CHECK(ta.find("faa r1, [next], 1 <-builtin:ticket:10") != std::string::npos);
  CHECK(tb.find("faa r1") == std::string::npos);
  CHECK(tb.find("# (micro-ops not listed") != std::string::npos);
  CHECK(ta.find("#  => started at: harness:lock_irqsave\n#  => ended at:   harness:unlock_irqrestore\n") != std::string::npos);
  CHECK(ta.substr(ta.find("| task:"), 60) == tb.substr(tb.find("| task:"), 60));
}

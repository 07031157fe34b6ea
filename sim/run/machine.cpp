#include "run/machine.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "common/error.hpp"
#include "coherence/split_table.hpp"
#include "cpu/functional.hpp"
#include "isa/program.hpp"
#include "workload/lock_library.hpp"

namespace lockstep::sim {

struct Machine::Port : cpu::MemPort {
  coherence::SnoopL1& l1;
  explicit Port(coherence::SnoopL1& l) : l1(l) {}
  bool access(uint64_t line, bool write) override { return l1.access(line, write); }
  void touch(uint64_t line) override { l1.touch(line); }
  bool hits_while_busy(uint64_t line, bool write) override { return l1.would_hit(line, write); }
};

struct Machine::DirPort : cpu::MemPort {
  coherence::DirL1& l1;
  explicit DirPort(coherence::DirL1& l) : l1(l) {}
  bool access(uint64_t line, bool write) override { return l1.access(line, write); }
  void touch(uint64_t line) override { l1.touch(line); }
};

Machine::Machine(const config::Point& p, const SimOptions& opt, const isa::Program* lock)
    : p_(p), memory_(p.machine.l1.line_bytes), heartbeat_(opt.heartbeat) {
  if (p_.workload.threads <= 0) p_.workload.threads = p_.machine.cores;
  if (p_.machine.coherence != "snoop" && p_.machine.coherence != "directory")
    throw InputError("machine.coherence: '" + p_.machine.coherence + "' is not supported (use snoop or directory)");
  protocol_ = coherence::load_protocol(p_.machine.protocol);
  lock_ = lock ? *lock : workload::load_lock(p_);
  cs_ = workload::critical_section_program(p_.workload.critical_section, p_.machine.l1.line_bytes);

  metrics_ = std::make_unique<observe::LockMetrics>(p_.workload.threads, lock_.capacity, lock_.file);
  metrics_->set_kind(lock_.trylock_info, lock_.entry_read_acquire >= 0);
  stream_.subscribe(metrics_.get());
  // irqsoff/preemptoff/irq_latency. The longest section's micro-ops need Exec events, which
  // need fast-forward off: asked for only when the run has it off anyway (or the profiler
  // turns it off), so interrupt runs keep fast-forward by default (docs/observe.md).
  if (irq_possible()) {
    irqsoff_ = std::make_unique<observe::IrqsOff>(p_.workload.threads, lock_.file, p_.machine.clock_ghz);
    stream_.subscribe(irqsoff_.get(), !p_.run.fast_forward);
  }
  if (p_.profile.period_cycles > 0) {
    profiler_ = std::make_unique<observe::Profiler>(p_.workload.threads, uint64_t(p_.profile.period_cycles),
                                                    p_.profile.delivery, &cs_, Cycle(p_.machine.core.alu_cycles));
    stream_.subscribe(profiler_.get(), true);
  }
  if (lock_.trace_mode != isa::TraceMode::Off && !lock_.trace_names.empty()) {
    tracepoints_ = std::make_unique<observe::TracepointCounter>(lock_.trace_names);
    stream_.subscribe(tracepoints_.get());
  }
  harness_ = std::make_unique<workload::Harness>(engine_, p_, lock_, cs_, kArenaBase, stream_);
  if (p_.machine.llc.enabled)
    llc_ = std::make_unique<cache::Llc>(p_.machine.llc, p_.machine.l1.line_bytes, p_.machine.memory.latency_cycles, ctr_);
  if (p_.machine.coherence == "snoop") build_snoop(protocol_.controller(snoop_kind()));
  else build_directory();

  std::vector<cpu::Core*> cores;
  for (int t = 0; t < used_cores(); ++t) {
    cores_.push_back(std::make_unique<cpu::Core>(t, engine_, p_, *harness_, ports_[size_t(t)].get(), kArenaBase));
    if (fabric_) dir_l1s_[size_t(t)]->set_client(cores_.back().get());
    else l1s_[size_t(t)]->set_client(cores_.back().get());
    cores.push_back(cores_.back().get());
  }
  // Interrupts (machine.interrupts) and the irq/preempt micro-ops: each core's state and handler.
  irq_bodies_[0] = cpu::irq_handler_program(cpu::IrqKind::Timer, p_.machine.interrupts.timer_handler_cycles);
  irq_bodies_[1] = cpu::irq_handler_program(cpu::IrqKind::Device, p_.machine.interrupts.device_handler_cycles);
  for (auto& c : cores_) {
    cpu::IrqSetup s;
    s.cfg = p_.machine.interrupts;
    s.lock = &lock_;
    s.arena_base = kArenaBase;
    s.body[0] = &irq_bodies_[0];
    s.body[1] = &irq_bodies_[1];
    s.handler_tid = p_.workload.threads + c->id();
    s.cores = p_.machine.cores;
    s.seed = p_.seed;
    c->configure_irq(s);
    c->set_stream(&stream_);
  }
  // Caches with no thread still snoop; give them a client that ignores everything.
  harness_->set_cores(cores);
  if (os::needed(p_, lock_)) {  // more threads than cores, preemption, or a lock that parks
    os_ = std::make_unique<os::Scheduler>(engine_, p_, *harness_, harness_->threads());
    os_->attach(cores, [this](uint64_t addr, unsigned size) { return peek(addr, size); });
    for (auto* c : cores) c->set_os(os_.get());
    harness_->set_os(os_.get());
    harness_->on_describe([this] { return os_->describe(); });
  }
  if (fabric_) harness_->on_idle_query([this] { return fabric_->idle(); });
  else harness_->on_idle_query([this] { return bus_->idle(); });
  harness_->on_reset([this] {
    for (auto& c : cores_) c->irq_reset();
    ctr_ = stats::Coherence{};
    if (os_) os_->reset_stats();
    if (fabric_) fabric_->reset_stats();
  });
  harness_->on_close([this](Cycle) { closed_ = std::make_unique<stats::Point>(collect()); });

  if (!opt.snapshot_path.empty()) {
    observe::Snapshots::Options so;
    so.threads = p_.workload.threads;
    so.cores = p_.machine.cores;
    so.lock = lock_.name + " (" + lock_.file + ")";
    so.capacity = lock_.capacity;
    so.every = Cycle(opt.snapshot_every);
    so.symbol = [this](int core) -> std::string {
      if (size_t(core) >= cores_.size()) return "idle";  // a core without a thread
      const cpu::Thread* t = cores_[size_t(core)]->thread();
      if (!t) return "idle";
      switch (t->phase) {
        case cpu::Phase::CS: return "cs";
        case cpu::Phase::Outside: return "outside";
        case cpu::Phase::Done: return "done";
        default: return t->ctx && t->ctx->prog ? observe::symbol_at(*t->ctx->prog, t->pc) : "idle";
      }
    };
    snapshots_ = std::make_unique<observe::Snapshots>(std::move(so));
    snapshot_path_ = opt.snapshot_path;
    stream_.subscribe(snapshots_.get());
  }
  if (!opt.trace_format.empty()) {
    trace::Options to;
    to.warmup = opt.trace_warmup;
    const std::string text = opt.trace_path.empty() ? "trace.txt" : opt.trace_path;
    for (const auto& f : trace::parse_formats(opt.trace_format)) {
      writers_.push_back(trace::make_writer(f, trace::file_for(f, text), trace_context(), to));
      subscribe(writers_.back().get());
    }
  }
}

// Can this run turn interrupts or preemption off? (irq micro-ops in the lock; the harness's
// irqsave; interrupts raised.) Only then are the irqsoff figures measured and written.
bool Machine::irq_possible() const {
  const auto& irq = p_.machine.interrupts;
  if (p_.workload.irqsave || irq.timer_period_cycles > 0 || irq.device_rate_per_mcycle > 0) return true;
  for (const auto& in : lock_.code) {
    const std::string n = isa::op_name(in.op);
    if (n.rfind("irq_", 0) == 0 || n.rfind("preempt_", 0) == 0) return true;
  }
  return false;
}

// The split bus runs the table's snoop-split controller (its race cells) where the table has
// one; the atomic bus, and a table without one, run the snoop controller.
std::string Machine::snoop_kind() const {
  return p_.machine.interconnect.mode == "split" && protocol_.controllers.count("snoop-split") ? "snoop-split" : "snoop";
}

void Machine::subscribe(observe::Observer* o, bool wants_exec) {
  stream_.subscribe(o, wants_exec);
  if (bus_) bus_->set_stream(&stream_);
  if (fabric_) fabric_->set_stream(&stream_);
}

trace::Context Machine::trace_context() {
  trace::Context c;
  c.lock = &lock_;
  c.arena_base = kArenaBase;
  c.cs_base = kArenaBase + lock_.arena_bytes;
  c.cs_lines = p_.workload.critical_section.lines_read + p_.workload.critical_section.lines_written;
  c.line_bytes = p_.machine.l1.line_bytes;
  c.cores = p_.machine.cores;
  c.threads = p_.workload.threads;
  c.warmup = p_.workload.warmup_acquisitions > 0;
  const coherence::ControllerSpec& spec = fabric_ ? dir_l1s_[0]->spec() : l1s_[0]->spec();
  for (const auto& st : spec.states) c.states.push_back(st.name);
  c.invalid_state = 0;  // states[0] is I in every table
  c.state = [this](int core, uint64_t line) {
    const coherence::CacheLine* l = fabric_ ? dir_l1s_[size_t(core)]->find(line) : l1s_[size_t(core)]->find(line);
    return l ? int(l->state) : 0;
  };
  c.op = [this](int core) -> std::string {
    if (size_t(core) >= cores_.size()) return "";
    const cpu::Thread* t = cores_[size_t(core)]->thread();
    if (!t || !t->ctx || t->phase == cpu::Phase::Done || t->phase == cpu::Phase::Outside) return "";
    // Single-spaced ("faa r1, [next], 1"): the listing's column alignment is for whole files.
    std::string op;
    for (char ch : isa::disassemble_instr(*t->ctx->prog, size_t(t->pc)))
      if (ch != ' ' || (!op.empty() && op.back() != ' ')) op += ch;
    while (!op.empty() && op.back() == ' ') op.pop_back();
    return op;
  };
  c.miss_addr = [this](int core) {
    return size_t(core) < cores_.size() ? cores_[size_t(core)]->miss_addr() : UINT64_MAX;
  };
  return c;
}

std::vector<bool> Machine::stable_states() const {
  std::vector<bool> out;
  const coherence::ControllerSpec& spec = fabric_ ? dir_l1s_[0]->spec() : l1s_[0]->spec();
  for (const auto& st : spec.states) out.push_back(st.stable);
  return out;
}

void Machine::finish_traces() {
  if (writers_done_) return;
  writers_done_ = true;
  for (auto& w : writers_) w->finish(engine_.now());
}

void Machine::build_snoop(const coherence::ControllerSpec& spec) {
  bus_ = std::make_unique<coherence::SnoopBus>(engine_, p_.machine, ctr_);
  std::vector<coherence::SnoopL1*> raw;
  for (int c = 0; c < p_.machine.cores; ++c) {
    l1s_.push_back(std::make_unique<coherence::SnoopL1>(c, spec, p_.machine.l1, engine_, *bus_, memory_, ctr_));
    raw.push_back(l1s_.back().get());
  }
  bus_->attach(raw);
  bus_->set_check(p_.run.check_invariants);
  if (spec.kind == "snoop-split") {  // split bus: the table's race cells
    coherence::check_split_table(spec, protocol_.file);
    bus_->set_races(true);
  }
  bus_->set_llc(llc_.get());
  for (int t = 0; t < used_cores(); ++t) ports_.push_back(std::make_unique<Port>(*l1s_[size_t(t)]));
}

// Directory coherence: L1s and home controllers exchanging messages over the network.
void Machine::build_directory() {
  const auto& cache = protocol_.controller("cache");
  const auto& home = protocol_.controller("directory");
  const int cores = p_.machine.cores;
  net_ = net::make_network(p_.machine.interconnect, cores);
  std::vector<int> home_nodes;
  const std::string& where = p_.machine.directory.home;
  if (where == "interleaved") {
    for (int h = 0; h < cores; ++h) home_nodes.push_back(net_->home_node(h));
  } else {
    long n = std::stol(where.substr(5));  // "node:N", digits checked by the loader
    if (n < 0 || n >= net_->nodes())
      throw InputError("machine.directory.home: " + where + " is not a node of the " + net_->describe() + " (nodes 0.." +
                       std::to_string(net_->nodes() - 1) + ")");
    home_nodes.push_back(int(n));
  }
  fabric_ = std::make_unique<coherence::DirFabric>(engine_, p_.machine, *net_, home_nodes, memory_, ctr_);
  fabric_->set_llc(llc_.get());
  dir_ = std::make_unique<coherence::Directory>(home, p_.machine, engine_, *fabric_);
  std::vector<coherence::DirL1*> raw;
  for (int c = 0; c < cores; ++c) {
    dir_l1s_.push_back(std::make_unique<coherence::DirL1>(c, cache, p_.machine.l1, engine_, *fabric_));
    raw.push_back(dir_l1s_.back().get());
  }
  fabric_->attach(raw, dir_.get());
  fabric_->set_check(p_.run.check_invariants);
  for (int t = 0; t < used_cores(); ++t) ports_.push_back(std::make_unique<DirPort>(*dir_l1s_[size_t(t)]));
}

Machine::~Machine() {
  // A run that stopped with an error still leaves whole files (valid JSON, a VCD that ends).
  try {
    finish_traces();
  } catch (...) {
  }
}

uint64_t Machine::peek(uint64_t addr, unsigned size) {
  uint64_t lb = uint64_t(p_.machine.l1.line_bytes), line = addr / lb, v = 0;
  for (auto& l1 : l1s_) {
    auto* c = l1->find(line);
    if (c && l1->spec().states[size_t(c->state)].dirty) {
      std::memcpy(&v, c->data + addr % lb, size);
      return v;
    }
  }
  for (auto& l1 : dir_l1s_) {
    auto* c = l1->find(line);
    if (c && l1->spec().states[size_t(c->state)].dirty) {
      std::memcpy(&v, c->data + addr % lb, size);
      return v;
    }
  }
  std::memcpy(&v, memory_.raw(line) + addr % lb, size);
  return v;
}

// Exit 3 and 4 always leave a snapshot of who held and who waited (docs/observe.md).
stats::Point Machine::run() {
  try {
    stats::Point out = run_workload();
    write_snapshots("");
    return out;
  } catch (const CorrectnessError& e) {
    write_snapshots(std::string("exit 3: ") + e.what());
    throw;
  } catch (const NoProgressError& e) {
    write_snapshots(std::string("exit 4: ") + e.what());
    throw;
  }
}

void Machine::write_snapshots(const std::string& final_reason) {
  if (!snapshots_) return;
  if (!final_reason.empty()) snapshots_->take(engine_.now(), final_reason.substr(0, final_reason.find('\n')));
  if (snapshots_->taken() == 0) return;
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(snapshot_path_).parent_path(), ec);
  std::ofstream f(snapshot_path_, std::ios::binary | std::ios::trunc);
  f << "# lockstep holder snapshots: point " << p_.name << ", lock " << lock_.name << ", " << p_.workload.threads
    << " threads on " << p_.machine.cores << " cores; cycles count from the start of the run (warm-up included)\n"
    << snapshots_->text();
  if (!f) throw std::runtime_error("cannot write " + snapshot_path_);
}

stats::Point Machine::run_workload() {
  struct NullClient : coherence::MemClient {
    void perform(uint8_t*) override {}
    void miss_done() override {}
    void line_changed(uint64_t, bool) override {}
  } idle;
  for (size_t c = cores_.size(); c < l1s_.size(); ++c) l1s_[c]->set_client(&idle);
  for (size_t c = cores_.size(); c < dir_l1s_.size(); ++c) dir_l1s_[c]->set_client(&idle);

  if (lock_.entry_init >= 0) {
    uint64_t regs[16] = {};
    cpu::run_functional(lock_, lock_.entry_init, memory_, kArenaBase, 0, regs);
  }
  if (p_.workload.warmup_acquisitions == 0) harness_->on_reset([] {});
  // A fast-forwarded spin executes no micro-ops to announce: an observer that wants every
  // micro-op gets a run without it (the stats are identical either way).
  if (stream_.wants_exec()) p_.run.fast_forward = false;
  for (auto& c : cores_) c->begin_run();
  harness_->start(0);
  engine_.set_limit(Cycle(p_.run.max_cycles));
  if (heartbeat_)
    engine_.set_poll(SimOptions::kHeartbeatEvents, [](void* self) {
      auto& m = *static_cast<Machine*>(self);
      m.heartbeat_(m.engine_.now(), m.harness_->total_acquisitions());
    }, this);
  engine_.run();
  finish_traces();
  if (engine_.hit_limit()) {
    std::string m = "no progress: run.max_cycles (" + std::to_string(p_.run.max_cycles) +
                    ") reached before the workload finished; " + std::to_string(harness_->total_acquisitions()) + " acquisitions done";
    for (auto& c : cores_) m += "\n  " + c->where();
    throw NoProgressError(m);
  }
  if (!harness_->all_done()) harness_->report_stuck(engine_.now(), "nothing left to happen: every waiting core waits for a change no core will make");

  // The critical section's counter: one increment per acquisition, warm-up included.
  // (With capacity > 1 several holders legitimately race on the counter; reads of a
  // reader-writer lock only read it.)
  if (p_.workload.critical_section.lines_written > 0 && lock_.capacity == 1) {
    uint64_t counter = peek(kArenaBase + lock_.arena_bytes);
    uint64_t expect = uint64_t(harness_->total_acquisitions() - harness_->total_read_acquisitions());
    if (counter != expect)
      throw CorrectnessError("mutual exclusion violated: the critical section's counter is " + std::to_string(counter) +
                             " after " + std::to_string(expect) + " acquisitions of lock '" + lock_.name + "' (lost updates)");
  }

  stats::Point out = closed_ ? *closed_ : collect();
  out.events = engine_.events();
  return out;
}

stats::Point Machine::collect() const {
  stats::Point out;
  out.cycles = harness_->end_cycle() - harness_->reset_cycle();
  out.acquisitions = harness_->measured_acquisitions();
  metrics_->fill(out);
  if (irqsoff_) irqsoff_->fill(out);
  if (profiler_) profiler_->fill(out, harness_->end_cycle());
  if (tracepoints_) tracepoints_->fill(out);
  out.coherence = ctr_;
  if (fabric_) {
    fabric_->fill_stats(out.coherence);
    // The network over the measured window: mean hops per message, busiest link's share
    // of the cycles (a link serializes bytes / bandwidth cycles per message).
    out.extra["net.mean_hops"] = net_->mean_hops();
    uint64_t busiest = 0, busy = 0;
    auto links = net_->link_stats();
    for (auto& l : links) {
      busiest = std::max(busiest, l.busy_cycles);
      busy += l.busy_cycles;
    }
    double cyc = double(std::max<uint64_t>(out.cycles, 1));
    out.extra["net.max_link_utilisation"] = double(busiest) / cyc;
    out.extra["net.mean_link_utilisation"] = links.empty() ? 0.0 : double(busy) / cyc / double(links.size());
  }
  for (const auto& t : harness_->threads()) out.per_core.push_back(t.ctr);
  const auto& irq = p_.machine.interrupts;
  out.interrupts.present = irq.timer_period_cycles > 0 || irq.device_rate_per_mcycle > 0;
  if (out.interrupts.present)
    for (const auto& c : cores_) out.interrupts.per_core.push_back(c->irq_counters());
  // CPU time and sleep still running at the end of the window.
  const Cycle at = harness_->end_cycle(), reset = harness_->reset_cycle();
  if (os_) {
    os_->add_open_intervals(out.per_core, at, reset);
    out.preemptions = os_->preemptions();
  } else {
    auto& threads = harness_->threads();
    for (size_t i = 0; i < threads.size(); ++i)
      if (threads[i].core >= 0 && threads[i].phase != cpu::Phase::Done && at > std::max(threads[i].on_cpu_since, reset))
        out.per_core[i].cycles_on_cpu += at - std::max(threads[i].on_cpu_since, reset);
  }
  return out;
}

stats::Point simulate(const config::Point& point, const SimOptions& opt) {
  Machine m(point, opt);
  return m.run();
}

}  // namespace lockstep::sim

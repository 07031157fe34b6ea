#include "output/stats_json.hpp"

#include "output/format.hpp"

#include <cstdio>

namespace lockstep::output {

using ojson = nlohmann::ordered_json;

namespace {
// A distribution's fields; null where nothing was measured (count 0), never a made-up 0.
ojson distribution(const stats::Histogram& h) {
  if (h.count() == 0)
    return {{"count", 0}, {"mean", nullptr}, {"p50", nullptr}, {"p90", nullptr}, {"p99", nullptr}, {"max", nullptr}};
  return {{"count", h.count()},      {"mean", round_sig(h.mean())}, {"p50", h.percentile(50)},
          {"p90", h.percentile(90)}, {"p99", h.percentile(99)},     {"max", h.max()}};
}

ojson lockstat_json(const stats::Lockstat& l) {
  auto avg = [](uint64_t total, uint64_t n) { return n ? round_sig(double(total) / double(n)) : 0.0; };
  ojson j = {{"contentions", l.contentions},       {"con_bounces", l.con_bounces},
             {"acq_bounces", l.acq_bounces},       {"acquisitions", l.acquisitions},
             {"waittime_min", l.waittime_min},     {"waittime_max", l.waittime_max},
             {"waittime_total", l.waittime_total}, {"waittime_avg", avg(l.waittime_total, l.contentions)},
             {"holdtime_min", l.holdtime_min},     {"holdtime_max", l.holdtime_max},
             {"holdtime_total", l.holdtime_total}, {"holdtime_avg", avg(l.holdtime_total, l.acquisitions)}};
  ojson pts = ojson::object();
  for (const auto& [where, n] : l.contention_points) pts[where] = n;
  j["contention_points"] = std::move(pts);
  return j;
}

// A distribution in µs (cycles / (clock_ghz * 1000)); null where nothing was measured.
ojson distribution_us(const stats::Histogram& h, double ghz) {
  const double k = 1.0 / (ghz * 1000.0);
  if (h.count() == 0) return {{"mean", nullptr}, {"p50", nullptr}, {"p90", nullptr}, {"p99", nullptr}, {"max", nullptr}};
  return {{"mean", round_sig(h.mean() * k)},
          {"p50", round_sig(double(h.percentile(50)) * k)},
          {"p90", round_sig(double(h.percentile(90)) * k)},
          {"p99", round_sig(double(h.percentile(99)) * k)},
          {"max", round_sig(double(h.max()) * k)}};
}

double per(uint64_t count, uint64_t acquisitions) {
  return acquisitions ? round_sig(double(count) / double(acquisitions)) : 0.0;
}
}  // namespace

ojson stats_json(const config::Point& point, const stats::Point& st) {
  ojson j;
  j["schema"] = kStatsSchema;
  j["point"] = point.name;
  j["seed"] = point.seed;
  // The resolved tree is a plain (key-sorted) json; going through its text converts it to
  // ordered_json while keeping that sorted, deterministic order.
  j["config"] = point.resolved ? ojson::parse(point.resolved->dump()) : ojson();
  // Where results go is not part of what was simulated: leaving output.dir out keeps
  // stats.json byte-identical between runs written to different folders (-o, shards).
  if (j["config"].is_object()) j["config"].erase("output");
  // Likewise run.fast_forward: it changes how fast the simulator runs, never what it
  // simulates (DESIGN.md §3: on and off give byte-identical stats). The manifest's command
  // line still records it.
  if (j["config"].is_object() && j["config"].contains("run") && j["config"]["run"].is_object())
    j["config"]["run"].erase("fast_forward");
  j["cycles"] = st.cycles;
  j["acquisitions"] = st.acquisitions;
  j["throughput"] = {{"acq_per_kcycle", round_sig(st.acq_per_kcycle())}};

  j["handoff_cycles"] = distribution(st.handoff);
  j["wait_cycles"] = distribution(st.wait);
  j["hold_cycles"] = distribution(st.hold);
  j["release_cycles"] = distribution(st.release);
  // The same times in µs beside the cycles, at machine.clock_ghz (docs/stats.md).
  if (const double ghz = point.machine.clock_ghz; ghz > 0) {
    j["cycles_us"] = round_sig(double(st.cycles) / (ghz * 1000.0));
    j["handoff_us"] = distribution_us(st.handoff, ghz);
    j["wait_us"] = distribution_us(st.wait, ghz);
    j["hold_us"] = distribution_us(st.hold, ghz);
    j["release_us"] = distribution_us(st.release, ghz);
  }
  if (st.lockstat.present) j["lockstat"] = lockstat_json(st.lockstat);
  if (st.irq.present) {  // sim/observe/irqsoff.hpp: sections per core, interrupt latency
    auto fig = [](const stats::SectionFigures& f) {
      return ojson{{"sections", f.sections}, {"max_cycles", f.max_cycles}, {"p99_cycles", f.p99_cycles},
                   {"total_cycles", f.total_cycles}};
    };
    auto sections = [&fig](const stats::Sections& s) {
      ojson o = fig(s.all);
      o["per_core"] = ojson::array();
      for (const auto& f : s.per_core) o["per_core"].push_back(fig(f));
      return o;
    };
    j["irqsoff"] = sections(st.irq.irqsoff);
    j["preemptoff"] = sections(st.irq.preemptoff);
    j["preemptirqsoff"] = sections(st.irq.preemptirqsoff);
    j["irq_latency"] = sections(st.irq.irq_latency);
  }
  if (st.profile.present) {  // sim/observe/profiler.hpp
    const auto& f = st.profile;
    ojson sampled = ojson::object(), exact = ojson::object();
    for (const auto& [sym, n] : f.sampled) sampled[sym] = n;
    for (const auto& [sym, n] : f.exact) exact[sym] = n;
    j["profile"] = {{"delivery", f.delivery}, {"period_cycles", f.period_cycles}, {"samples", f.samples},
                    {"sampled", std::move(sampled)}, {"exact", std::move(exact)}};
  }
  if (!st.tracepoints.empty()) {
    ojson tp = ojson::object();
    for (const auto& [name, n] : st.tracepoints) tp[name] = n;
    j["tracepoints"] = std::move(tp);
  }
  {  // failed acquires (locks declaring .can_fail; 0 for the others)
    uint64_t failures = 0;
    for (const auto& pc : st.per_core) failures += pc.acquire_failures;
    j["acquire_failures"] = failures;
  }
  if (st.trylock.present) {
    ojson hist = ojson::object();
    for (const auto& [w, n] : st.trylock.waiters_seen_hist) hist[std::to_string(w)] = n;
    ojson holders = ojson::object();
    for (const auto& [h, n] : st.trylock.holder_seen) holders[h < 0 ? std::string("unknown") : std::to_string(h)] = n;
    j["trylock"] = {{"attempts", st.trylock.attempts},
                    {"failures", st.trylock.failures},
                    {"waiters_seen_hist", std::move(hist)},
                    {"holder_seen", std::move(holders)}};
  }
  if (st.rw.present)
    j["rw"] = {{"reads", st.rw.reads},
               {"writes", st.rw.writes},
               {"max_readers", st.rw.max_readers},
               {"overlapped_reads", st.rw.overlapped_reads},
               {"read_wait_cycles", distribution(st.rw.read_wait)},
               {"write_wait_cycles", distribution(st.rw.write_wait)}};

  const auto& c = st.coherence;
  ojson coh;
  coh["bus_transactions"] = c.bus_transactions;
  coh["messages"] = c.messages;
  coh["invalidations"] = c.invalidations;
  coh["gets"] = c.gets;
  coh["getm"] = c.getm;
  coh["upgrades"] = c.upgrades;
  coh["writebacks"] = c.writebacks;
  coh["cache_to_cache"] = c.cache_to_cache;
  coh["memory_reads"] = c.memory_reads;
  coh["llc_hits"] = c.llc_hits;
  coh["llc_misses"] = c.llc_misses;
  coh["llc_back_invalidations"] = c.llc_back_invalidations;
  coh["messages_by_type"] = ojson::object();
  for (const auto& [type, n] : c.messages_by_type) coh["messages_by_type"][type] = n;
  j["coherence"] = std::move(coh);

  const uint64_t acq = st.acquisitions;
  j["per_acquisition"] = {{"invalidations", per(c.invalidations, acq)},
                          {"bus_transactions", per(c.bus_transactions, acq)},
                          {"messages", per(c.messages, acq)},
                          {"writebacks", per(c.writebacks, acq)},
                          {"micro_ops", per(st.micro_ops(), acq)}};

  j["fairness"] = {{"jain", round_sig(st.jain())},
                   {"min_acquisitions", st.min_acquisitions()},
                   {"max_acquisitions", st.max_acquisitions()},
                   {"handoff_ratio", acq ? ojson(round_sig(double(st.handoff.count()) / double(acq))) : ojson(nullptr)},
                   {"reacquires", st.reacquires}};

  // spin_iterations_skipped is left out: it depends on whether fast-forward was on, and
  // stats.json must be identical either way.
  ojson cores = ojson::array();
  for (const auto& pc : st.per_core) {
    cores.push_back({{"acquisitions", pc.acquisitions},
                     {"micro_ops", pc.micro_ops},
                     {"l1_hits", pc.l1_hits},
                     {"l1_misses", pc.l1_misses},
                     {"cycles_acquiring", pc.cycles_acquiring},
                     {"cycles_in_cs", pc.cycles_in_cs},
                     {"cycles_spinning", pc.cycles_spinning},
                     {"cycles_parked", pc.cycles_parked},
                     {"context_switches", pc.context_switches},
                     {"wakeups", pc.wakeups},
                     {"cycles_on_cpu", pc.cycles_on_cpu},
                     {"acquire_failures", pc.acquire_failures}});
  }
  // machine.interrupts: totals, and each core's counts in its per_core entry.
  if (st.interrupts.present) {
    stats::IrqCore sum;
    for (size_t i = 0; i < st.interrupts.per_core.size(); ++i) {
      const auto& c = st.interrupts.per_core[i];
      sum.raised += c.raised;
      sum.delivered += c.delivered;
      sum.deferred_cycles += c.deferred_cycles;
      sum.handler_cycles += c.handler_cycles;
      sum.handler_micro_ops += c.handler_micro_ops;
      if (i < cores.size())
        cores[i]["interrupts"] = {{"raised", c.raised},
                                  {"delivered", c.delivered},
                                  {"deferred_cycles", c.deferred_cycles},
                                  {"handler_cycles", c.handler_cycles},
                                  {"handler_micro_ops", c.handler_micro_ops}};
    }
    j["interrupts"] = {{"raised", sum.raised},
                       {"delivered", sum.delivered},
                       {"deferred_cycles_total", sum.deferred_cycles},
                       {"handler_cycles_total", sum.handler_cycles},
                       {"handler_micro_ops", sum.handler_micro_ops}};
  }
  j["per_core"] = std::move(cores);

  // The OS model (docs/os.md): CPU time burnt per acquisition, switches, sleeps, preemptions.
  uint64_t cpu = 0, switches = 0, wakeups = 0, parked = 0, spinning = 0;
  for (const auto& pc : st.per_core) {
    cpu += pc.cycles_on_cpu;
    switches += pc.context_switches;
    wakeups += pc.wakeups;
    parked += pc.cycles_parked;
    spinning += pc.cycles_spinning;
  }
  j["os"] = {{"cpu_cycles", cpu},
             {"cpu_cycles_per_acquisition", per(cpu, acq)},
             {"spinning_cycles_per_acquisition", per(spinning, acq)},
             {"parked_cycles_per_acquisition", per(parked, acq)},
             {"context_switches", switches},
             {"wakeups", wakeups}};
  j["preemptions"] = {{"holder", st.preemptions.holder},
                      {"waiter", st.preemptions.waiter},
                      {"other", st.preemptions.other}};

  ojson extra = ojson::object();
  for (const auto& [k, v] : st.extra) extra[k] = round_sig(v);
  j["extra"] = std::move(extra);
  j["config_hash"] = config_hash(point);
  return j;
}

std::string config_hash(const config::Point& point) {
  // The config exactly as stats.json shows it (output.dir and run.fast_forward left out),
  // plus the seed and the schema: any change to what is simulated changes the hash.
  ojson cfg = point.resolved ? ojson::parse(point.resolved->dump()) : ojson();
  if (cfg.is_object()) cfg.erase("output");
  if (cfg.is_object() && cfg.contains("run") && cfg["run"].is_object()) cfg["run"].erase("fast_forward");
  return fnv1a64_hex(std::string(kStatsSchema) + "\n" + std::to_string(point.seed) + "\n" + cfg.dump());
}

std::string fnv1a64_hex(const std::string& text) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::string stats_json_text(const config::Point& point, const stats::Point& st) {
  return stats_json(point, st).dump(2) + "\n";
}

}  // namespace lockstep::output

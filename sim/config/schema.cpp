#include "config/schema.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "common/error.hpp"

namespace lockstep::config::schema {

namespace fs = std::filesystem;
using tree::Val;
using tree::fail;

namespace {

constexpr double kMaxInt = INT_MAX;
constexpr double kMaxI64 = 9.2e18;   // a little under INT64_MAX, so the double compare is exact enough

#define AT(member) [](Point& p) -> FieldRef { return &p.member; }

std::vector<Key> build_table() {
  using T = Type;
  return {
      {"name", T::String, AT(experiment_name), 0, 0, {}, "experiment name: output folder and report titles", "file stem"},
      {"extends", T::Extends, nullptr, 0, 0, {}, "built-in machine preset (lockstep list machines) or YAML file (relative to this file) merged underneath this one", "none"},
      {"seed", T::Int, AT(seed), 0, kMaxI64, {}, "seed of every random choice; --seed overrides it", ""},
      {"sweep", T::Sweep, nullptr, 0, 0, {}, "map of dotted path: [values]; the grid of all combinations gives the points", "none"},
      {"output.dir", T::String, AT(output_dir), 0, 0, {}, "where results go; -o overrides it", "results/local/*name*"},

      {"machine.cores", T::Int, AT(machine.cores), 1, 4096, {}, "number of cores, each with a private L1", ""},
      {"machine.clock_ghz", T::Float, AT(machine.clock_ghz), 0.001, 1000, {}, "clock, only to convert cycles to time in reports", ""},
      {"machine.protocol", T::Protocol, AT(machine.protocol), 0, 0, {"MSI", "MESI", "MOESI", "MESIF"},
       "coherence protocol: a built-in name (any case) or a path to a .table file (relative to the file it is written in)", ""},
      {"machine.coherence", T::Enum, AT(machine.coherence), 0, 0, {"snoop", "directory"},
       "snoop needs topology bus; directory needs a network topology", ""},

      {"machine.core.alu_cycles", T::Int, AT(machine.core.alu_cycles), 1, 1000, {}, "cycles of an ALU micro-op", ""},
      {"machine.core.pause_cycles", T::Int, AT(machine.core.pause_cycles), 0, 1000000, {}, "cycles of `pause`", ""},
      {"machine.core.fence_cycles", T::Int, AT(machine.core.fence_cycles), 0, 1000000, {}, "cycles of `fence`", ""},
      {"machine.core.atomic_cycles", T::Int, AT(machine.core.atomic_cycles), 0, 1000000, {},
       "extra cycles of an atomic read-modify-write on top of the L1 access", ""},
      {"machine.core.store_buffer", T::Int, AT(machine.core.store_buffer), 0, 4096, {},
       "store-buffer entries (TSO: stores retire into a FIFO and drain in order; loads forward from it; "
       "atomics, fence, ldx and stx drain it first); 0 = stores block until performed", "0"},
      {"machine.core.trace_nop_cycles", T::Int, AT(machine.core.trace_nop_cycles), 0, 1000000, {},
       "cycles of a `trace NAME` site with workload.tracepoints: nop (the patched-out NOP)", "1"},
      {"machine.core.trace_on_cycles", T::Int, AT(machine.core.trace_on_cycles), 0, 1000000, {},
       "cycles of an enabled tracepoint's probe (workload.tracepoints: on), beside its store to the core's "
       "trace-buffer line (docs/observe.md)", "300"},

      {"machine.l1.size_kib", T::Int, AT(machine.l1.size_kib), 1, 1048576, {}, "L1 capacity in KiB", ""},
      {"machine.l1.assoc", T::Int, AT(machine.l1.assoc), 1, 1024, {}, "ways per set; size/(line*assoc) must be a power of two", ""},
      {"machine.l1.hit_cycles", T::Int, AT(machine.l1.hit_cycles), 1, 1000, {}, "latency of an L1 hit", ""},
      {"machine.l1.line_bytes", T::Int, AT(machine.l1.line_bytes), 8, 4096, {}, "cache line size, a power of two", ""},

      {"machine.memory.latency_cycles", T::Int, AT(machine.memory.latency_cycles), 1, 1000000, {},
       "latency of memory (or the shared LLC)", ""},

      {"machine.llc.size_kib", T::Int, AT(machine.llc.size_kib), 1, 16777216, {},
       "shared last-level cache capacity in KiB (`machine.llc: none` = no LLC, the default)", ""},
      {"machine.llc.assoc", T::Int, AT(machine.llc.assoc), 1, 1024, {}, "LLC ways per set; size/(line*assoc) sets (any whole number: sets are indexed modulo)", ""},
      {"machine.llc.hit_cycles", T::Int, AT(machine.llc.hit_cycles), 1, 100000, {}, "latency of an LLC hit (the data phase follows)", ""},
      {"machine.llc.banks", T::Int, AT(machine.llc.banks), 1, 4096, {}, "LLC banks, lines interleaved over them by address", ""},
      {"machine.llc.bank_occupancy_cycles", T::Int, AT(machine.llc.bank_occupancy_cycles), 0, 100000, {},
       "cycles a bank is busy per request (one request at a time per bank)", ""},
      {"machine.llc.inclusive", T::Bool, AT(machine.llc.inclusive), 0, 0, {},
       "inclusive: an LLC eviction back-invalidates the L1 copies", ""},

      {"machine.interconnect.mode", T::Enum, AT(machine.interconnect.mode), 0, 0, {"atomic", "split"},
       "snooping bus: atomic (one tenure per transaction) or split (request and response tenures; free in between)", ""},
      {"machine.interconnect.topology", T::Enum, AT(machine.interconnect.topology), 0, 0,
       {"bus", "crossbar", "ring", "mesh", "numa", "custom"}, "bus (snooping) or a network (directory)", ""},
      {"machine.interconnect.arbitration", T::Enum, AT(machine.interconnect.arbitration), 0, 0, {"round_robin", "fifo"},
       "bus: who gets the bus next", ""},
      {"machine.interconnect.request_cycles", T::Int, AT(machine.interconnect.request_cycles), 1, 100000, {},
       "bus: occupancy of an address/command phase", ""},
      {"machine.interconnect.data_cycles", T::Int, AT(machine.interconnect.data_cycles), 1, 100000, {},
       "bus: occupancy of a 64-byte data transfer", ""},
      {"machine.interconnect.snoop_cycles", T::Int, AT(machine.interconnect.snoop_cycles), 0, 100000, {},
       "snooping bus: cycles until a snooped cache answers, charged when another cache supplies data or loses its copy", ""},
      {"machine.interconnect.inv_ack_cycles", T::Int, AT(machine.interconnect.inv_ack_cycles), 0, 100000, {},
       "snooping bus: extra cycles a GetM/Upgrade that removed copies waits for their acknowledgements", ""},
      {"machine.interconnect.sharer_inv_cycles", T::Int, AT(machine.interconnect.sharer_inv_cycles), 0, 100000, {},
       "snooping bus: extra cycles when a GetM/Upgrade removes sharers other than the line's owner (a probe filter that "
       "tracks owners only broadcasts those invalidations, as the Opteron of David et al. does)", ""},
      {"machine.interconnect.link_latency_cycles", T::Int, AT(machine.interconnect.link_latency_cycles), 1, 100000, {},
       "network: latency of one link", ""},
      {"machine.interconnect.link_bandwidth_bytes", T::Int, AT(machine.interconnect.link_bandwidth_bytes), 1, 1000000, {},
       "network: bytes per cycle per link", ""},
      {"machine.interconnect.router_cycles", T::Int, AT(machine.interconnect.router_cycles), 0, 100000, {},
       "network: cycles per hop in a router", ""},
      {"machine.interconnect.control_bytes", T::Int, AT(machine.interconnect.control_bytes), 1, 1000000, {},
       "network: size of a control message (GetS, Inv, Ack...)", ""},
      {"machine.interconnect.data_bytes", T::Int, AT(machine.interconnect.data_bytes), 1, 1000000, {},
       "network: size of a data message (header + line)", ""},
      {"machine.interconnect.width", T::Int, AT(machine.interconnect.width), 0, 1024, {},
       "mesh: columns; 0 = as square as the core count allows", ""},
      {"machine.interconnect.height", T::Int, AT(machine.interconnect.height), 0, 1024, {},
       "mesh: rows; 0 = as square as the core count allows", ""},
      {"machine.interconnect.sockets", T::Int, AT(machine.interconnect.sockets), 1, 1024, {}, "numa: number of sockets", ""},
      {"machine.interconnect.cores_per_socket", T::Int, AT(machine.interconnect.cores_per_socket), 0, 4096, {},
       "numa: 0 = cores / sockets", ""},
      {"machine.interconnect.inter_socket_latency_cycles", T::Int, AT(machine.interconnect.inter_socket_latency_cycles), 1,
       1000000, {}, "numa: latency of the link between sockets", ""},
      {"machine.interconnect.inter_socket_bandwidth_bytes", T::Int, AT(machine.interconnect.inter_socket_bandwidth_bytes),
       1, 1000000, {}, "numa: bytes per cycle between sockets", ""},
      {"machine.interconnect.nodes", T::Int, AT(machine.interconnect.nodes), 0, 4096, {}, "custom: number of nodes", ""},
      {"machine.interconnect.edges", T::Edges, AT(machine.interconnect.edges), 0, 0, {},
       "custom: links, [{from, to, latency_cycles, bandwidth_bytes}] (see below)", ""},
      {"machine.interconnect.attach", T::IntList, AT(machine.interconnect.attach), 0, 4095, {},
       "custom: node of each core; [] = core i on node i", ""},

      {"machine.directory.occupancy_cycles", T::Int, AT(machine.directory.occupancy_cycles), 0, 1000000, {},
       "cycles the home directory is busy per request", ""},
      {"machine.directory.home", T::Home, AT(machine.directory.home), 0, 0, {},
       "interleaved (by line over the nodes) or node:N (all lines at node N)", ""},

      {"machine.interrupts.timer_period_cycles", T::Int, AT(machine.interrupts.timer_period_cycles), 0, kMaxI64, {},
       "a timer interrupt per core every this many cycles (core c's first at period + c*period/cores); 0 = no timer", "0"},
      {"machine.interrupts.timer_handler_cycles", T::Int, AT(machine.interrupts.timer_handler_cycles), 0, 1e12, {},
       "cycles the timer interrupt's handler runs on the core", "0"},
      {"machine.interrupts.device_rate_per_mcycle", T::Float, AT(machine.interrupts.device_rate_per_mcycle), 0, 1e6, {},
       "device interrupts per core: a seeded Poisson process with this many raises per million cycles; 0 = none", "0"},
      {"machine.interrupts.device_handler_cycles", T::Int, AT(machine.interrupts.device_handler_cycles), 0, 1e12, {},
       "cycles the device interrupt's handler runs on the core", "0"},
      {"machine.interrupts.handler_takes_lock", T::Bool, AT(machine.interrupts.handler_takes_lock), 0, 0, {},
       "the handler acquires and releases the workload's lock around its cycles (without workload.irqsave an "
       "interrupt on the holder's core is the self-deadlock: exit 4)", "false"},

      {"workload.lock", T::Lock, AT(workload.lock), 0, 0, {},
       "a built-in lock (`lockstep list locks`) or a path to a .lock file (relative to the file it is written in)", ""},
      {"workload.lock_params", T::IntMap, AT(workload.lock_params), 0, 0, {},
       "values for the lock's `param`s, e.g. {backoff: 8}", ""},
      {"workload.threads", T::Int, AT(workload.threads), 0, 4096, {},
       "threads, one per core, at most machine.cores; 0 = machine.cores", "0 (= cores)"},
      {"workload.acquisitions_per_thread", T::Int, AT(workload.acquisitions_per_thread), 1, 1e12, {},
       "measured acquisitions per thread", ""},
      {"workload.warmup_acquisitions", T::Int, AT(workload.warmup_acquisitions), 0, 1e12, {},
       "acquisitions per thread before the counters are reset", ""},
      {"workload.duration_cycles", T::Int, AT(workload.duration_cycles), 0, kMaxI64, {},
       "time-window mode: after warm-up every thread loops until this many cycles have passed "
       "(acquisitions_per_thread is then ignored); 0 = quota mode", "0"},
      {"workload.tracepoints", T::Enum, AT(workload.tracepoints), 0, 0, {"off", "nop", "on"},
       "`trace NAME` sites: off = removed at assembly (and `.ontrace` lines), nop = patched out "
       "(trace_nop_cycles), on = the probe runs (trace_on_cycles + a trace-buffer store); docs/observe.md", "off"},
      {"workload.critical_section.cycles", T::Int, AT(workload.critical_section.cycles), 0, 1000000000, {},
       "local work inside the critical section", ""},
      {"workload.critical_section.lines_read", T::Int, AT(workload.critical_section.lines_read), 0, 4096, {},
       "shared lines read inside the critical section", ""},
      {"workload.critical_section.lines_written", T::Int, AT(workload.critical_section.lines_written), 0, 4096, {},
       "shared lines written inside the critical section", ""},
      {"workload.outside.dist", T::Enum, AT(workload.outside.dist), 0, 0, {"fixed", "uniform", "exponential"},
       "distribution of the work between a release and the next acquire", ""},
      {"workload.outside.cycles", T::Int, AT(workload.outside.cycles), 0, 1000000000, {}, "fixed: cycles", ""},
      {"workload.outside.min", T::Int, AT(workload.outside.min), 0, 1000000000, {}, "uniform: lowest, at most max", ""},
      {"workload.outside.max", T::Int, AT(workload.outside.max), 0, 1000000000, {}, "uniform: highest", ""},
      {"workload.outside.mean", T::Float, AT(workload.outside.mean), 0, 1e9, {}, "exponential: mean cycles", ""},
      {"workload.on_failure.retry_after_cycles", T::Int, AT(workload.on_failure.retry_after_cycles), 0, 1000000000, {},
       "a lock that can fail (`.can_fail`): cycles a thread waits after a failed acquire before calling it again", "0"},
      {"workload.read_fraction", T::Float, AT(workload.read_fraction), 0, 1, {},
       "reader-writer locks (a `read_acquire:` section): probability that an acquisition is a read (seeded)", "0"},

      {"workload.irqsave", T::Bool, AT(workload.irqsave), 0, 0, {},
       "spin_lock_irqsave: the harness does irq_save before acquire and irq_restore right after release returns "
       "(one ALU micro-op each)", "false"},

      {"run.max_cycles", T::Int, AT(run.max_cycles), 1, kMaxI64, {}, "stop with exit 4 when the workload is not done by then", ""},
      {"run.fast_forward", T::Bool, AT(run.fast_forward), 0, 0, {}, "skip spin iterations that hit in L1 (results are identical)", ""},
      {"run.check_invariants", T::Bool, AT(run.check_invariants), 0, 0, {}, "check coherence invariants after every transaction", ""},
      {"run.livelock_micro_ops", T::Int, AT(run.livelock_micro_ops), 0, kMaxI64, {},
       "stop with exit 4 (livelock) after this many micro-ops machine-wide without an acquire returning or a "
       "release being called; 0 = never", ""},

      {"os.threads", T::Int, AT(os.threads), 0, 4096, {},
       "threads of the workload (same as workload.threads; may exceed machine.cores: the OS model schedules them)",
       "0 (= workload.threads)"},
      {"os.timeslice_cycles", T::Int, AT(os.timeslice_cycles), 1, kMaxI64, {},
       "a thread runs this long before a waiting runnable thread takes its core", ""},
      {"os.context_switch_cycles", T::Int, AT(os.context_switch_cycles), 0, 100000000, {},
       "cycles a core spends switching a thread in", ""},
      {"os.park_cycles", T::Int, AT(os.park_cycles), 0, 100000000, {},
       "cycles of `park` (futex wait) on the core; a failed wait (word changed) costs this and returns", ""},
      {"os.wake_cycles", T::Int, AT(os.wake_cycles), 0, 100000000, {}, "cycles of `wake` (futex wake) on the core", ""},
      {"os.wakeup_latency_cycles", T::Int, AT(os.wakeup_latency_cycles), 0, 100000000, {},
       "from a `wake` to the woken thread being runnable", ""},
      {"os.yield_cycles", T::Int, AT(os.yield_cycles), 0, 100000000, {}, "cycles of `yield` (sched_yield) on the core", ""},
      {"os.preemption.mean_interval_cycles", T::Int, AT(os.preemption.mean_interval_cycles), 0, kMaxI64, {},
       "hypervisor preemption: mean of the exponential gap between preemptions of a core (vCPU); 0 = none", "0"},
      {"os.preemption.mean_duration_cycles", T::Int, AT(os.preemption.mean_duration_cycles), 0, kMaxI64, {},
       "mean of the exponential length of one preemption", "0"},
      {"profile.period_cycles", T::Int, AT(profile.period_cycles), 0, kMaxI64, {},
       "sampling profiler: one sample per core every this many cycles (profile.txt, stats.json profile); 0 = off", "0"},
      {"profile.delivery", T::Enum, AT(profile.delivery), 0, 0, {"nmi", "irq"},
       "sampling profiler: nmi samples at the exact cycle; irq is deferred while interrupts are off", ""},
  };
}

#undef AT

// Keys of one element of machine.interconnect.edges.
struct EdgeKey {
  const char* name;
  int EdgeCfg::*field;
  bool required;
  double lo, hi;
  const char* doc;
};
const EdgeKey kEdgeKeys[] = {
    {"from", &EdgeCfg::from, true, 0, 4095, "node at one end"},
    {"to", &EdgeCfg::to, true, 0, 4095, "node at the other end"},
    {"latency_cycles", &EdgeCfg::latency_cycles, false, -1, 100000, "-1 = interconnect.link_latency_cycles"},
    {"bandwidth_bytes", &EdgeCfg::bandwidth_bytes, false, -1, 1000000, "bytes per cycle; -1 = interconnect.link_bandwidth_bytes"},
};

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
  return s;
}

std::string num(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", d);
  return buf;
}

std::string range_text(const Key& k) {
  if (k.type == Type::Int || k.type == Type::IntList || k.type == Type::Float) {
    if (k.hi >= kMaxI64) return ">= " + num(k.lo);
    return num(k.lo) + ".." + num(k.hi);
  }
  return "";
}

const std::string& scalar(const std::string& path, const Val& v, const char* expected) {
  if (v.kind != Val::Kind::Scalar) fail(v.loc, path + ": expected " + expected + ", got " + tree::describe(v));
  return v.text;
}

int64_t parse_int(const std::string& path, const Val& v, double lo, double hi) {
  std::string s = scalar(path, v, "an integer");
  const char* b = s.data();
  const char* e = b + s.size();
  bool neg = false;
  if (b != e && (*b == '+' || *b == '-')) neg = *b++ == '-';
  int base = 10;
  if (e - b > 2 && b[0] == '0' && (b[1] == 'x' || b[1] == 'X')) { b += 2; base = 16; }
  uint64_t mag = 0;
  auto [ptr, ec] = std::from_chars(b, e, mag, base);
  if (b == e || ptr != e || (ec != std::errc() && ec != std::errc::result_out_of_range))
    fail(v.loc, path + ": expected an integer, got '" + s + "'");
  std::string range = lo >= 0 && hi >= kMaxI64 ? ">= " + num(lo) : num(lo) + ".." + num(hi);
  if (ec == std::errc::result_out_of_range || mag > static_cast<uint64_t>(INT64_MAX))
    fail(v.loc, path + ": " + s + " is out of range (" + range + ")");
  int64_t x = neg ? -static_cast<int64_t>(mag) : static_cast<int64_t>(mag);
  if (static_cast<double>(x) < lo || static_cast<double>(x) > hi)
    fail(v.loc, path + ": " + s + " is out of range (" + range + ")");
  return x;
}

double parse_float(const std::string& path, const Val& v, double lo, double hi) {
  const std::string& s = scalar(path, v, "a number");
  char* end = nullptr;
  double d = s.empty() ? 0 : std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0' || !std::isfinite(d)) fail(v.loc, path + ": expected a number, got '" + s + "'");
  if (d < lo || d > hi) fail(v.loc, path + ": " + s + " is out of range (" + num(lo) + ".." + num(hi) + ")");
  return d;
}

bool parse_bool(const std::string& path, const Val& v) {
  std::string s = lower(scalar(path, v, "true or false"));
  if (s == "true" || s == "yes" || s == "on") return true;
  if (s == "false" || s == "no" || s == "off") return false;
  fail(v.loc, path + ": expected true or false, got '" + v.text + "'");
}

std::string one_of(const std::string& path, const Val& v, const std::vector<std::string>& choices,
                   const std::string& extra = "") {
  const std::string& s = scalar(path, v, ("one of " + join(choices, ", ") + extra).c_str());
  for (const auto& c : choices)
    if (lower(c) == lower(s)) return c;
  std::vector<std::string> lowered;
  for (const auto& c : choices) lowered.push_back(lower(c));
  std::string near = nearest(lower(s), lowered);
  std::string hint;
  for (const auto& c : choices)
    if (!near.empty() && lower(c) == near) hint = " (did you mean '" + c + "'?)";
  fail(v.loc, path + ": '" + s + "' is not one of " + join(choices, ", ") + extra + hint);
}

// A file named in the config: looked up next to the file the value was written in (the
// experiment's folder for --set), then in the current directory, and stored absolute so
// that nothing downstream depends on the working directory.
std::string resolve_file(const std::string& path, const Val& v, const std::string& what, const std::string& exp_dir) {
  fs::path p(v.text);
  std::vector<fs::path> tries;
  if (p.is_absolute()) {
    tries.push_back(p);
  } else {
    fs::path dir = v.loc.line > 0 ? fs::absolute(fs::path(v.loc.file)).parent_path() : fs::path(exp_dir);
    tries.push_back(dir / p);
    tries.push_back(fs::current_path() / p);
  }
  std::error_code ec;
  for (auto& t : tries) {
    fs::path n = t.lexically_normal();
    if (fs::is_regular_file(n, ec)) return n.string();
  }
  std::vector<std::string> shown;
  for (auto& t : tries) shown.push_back(t.lexically_normal().string());
  fail(v.loc, path + ": " + what + " '" + v.text + "' not found (looked for " + join(shown, " and ") + ")");
}

bool looks_like_path(const std::string& s, const std::string& ext) {
  return s.find('/') != std::string::npos || (s.size() > ext.size() && s.compare(s.size() - ext.size(), ext.size(), ext) == 0);
}

void apply_edges(const std::string& path, const Val& v, std::vector<EdgeCfg>& out) {
  out.clear();
  if (v.kind == Val::Kind::Null) return;
  if (v.kind != Val::Kind::Seq)
    fail(v.loc, path + ": expected a list of {from, to, latency_cycles, bandwidth_bytes}, got " + tree::describe(v));
  for (size_t i = 0; i < v.items.size(); ++i) {
    const Val& item = v.items[i];
    std::string ipath = path + "[" + std::to_string(i) + "]";
    if (item.kind != Val::Kind::Map) fail(item.loc, ipath + ": expected a map {from, to, ...}, got " + tree::describe(item));
    EdgeCfg edge;
    std::vector<std::string> names;
    for (const auto& k : kEdgeKeys) names.push_back(k.name);
    for (const auto& e : item.entries) {
      const EdgeKey* k = nullptr;
      for (const auto& cand : kEdgeKeys)
        if (e.key == cand.name) k = &cand;
      if (!k) {
        std::string near = nearest(e.key, names);
        fail(e.key_loc, "unknown key '" + ipath + "." + e.key + "'" +
                            (near.empty() ? " (valid keys: " + join(names, ", ") + ")"
                                          : " (did you mean '" + ipath + "." + near + "'?)"));
      }
      edge.*(k->field) = static_cast<int>(parse_int(ipath + "." + e.key, e.val, k->lo, k->hi));
    }
    for (const auto& k : kEdgeKeys)
      if (k.required && !item.find(k.name)) fail(item.loc, ipath + ": missing '" + k.name + "'");
    if (edge.bandwidth_bytes == 0) {
      const Val& bw = item.find("bandwidth_bytes")->val;
      fail(bw.loc, ipath + ".bandwidth_bytes: must be -1 (the link default) or at least 1");
    }
    out.push_back(edge);
  }
}

}  // namespace

const std::vector<Key>& keys() {
  static const std::vector<Key> table = build_table();
  return table;
}

const Key* find(const std::string& path) {
  for (const auto& k : keys())
    if (k.path == path) return &k;
  return nullptr;
}

bool is_section(const std::string& path) {
  if (path.empty()) return true;
  for (const auto& k : keys())
    if (k.path.size() > path.size() && k.path.compare(0, path.size(), path) == 0 && k.path[path.size()] == '.')
      return true;
  return false;
}

std::vector<std::string> children(const std::string& section) {
  std::vector<std::string> out;
  std::string prefix = section.empty() ? "" : section + ".";
  for (const auto& k : keys()) {
    if (k.path.compare(0, prefix.size(), prefix) != 0) continue;
    std::string rest = k.path.substr(prefix.size());
    std::string first = rest.substr(0, rest.find('.'));
    if (std::find(out.begin(), out.end(), first) == out.end()) out.push_back(first);
  }
  return out;
}

bool settable(const std::string& path, bool allow_sections) {
  if (const Key* k = find(path)) return k->type != Type::Extends && k->type != Type::Sweep;
  if (allow_sections && is_section(path) && !path.empty()) return true;
  size_t dot = path.rfind('.');
  if (dot == std::string::npos || dot + 1 == path.size()) return false;
  const Key* owner = find(path.substr(0, dot));
  return owner && owner->type == Type::IntMap;
}

std::vector<std::string> settable_paths(bool allow_sections) {
  std::vector<std::string> out;
  for (const auto& k : keys()) {
    if (k.type == Type::Extends || k.type == Type::Sweep) continue;
    out.push_back(k.path);
    if (!allow_sections) continue;
    for (size_t dot = k.path.find('.'); dot != std::string::npos; dot = k.path.find('.', dot + 1)) {
      std::string section = k.path.substr(0, dot);
      if (std::find(out.begin(), out.end(), section) == out.end()) out.push_back(section);
    }
  }
  return out;
}

void apply(const Key& key, const Val& v, Point& p, const std::string& exp_dir) {
  const std::string& path = key.path;
  // Fetched where it is stored (not up front): extends/sweep have no field.
  auto ref = [&] { return key.field(p); };
  switch (key.type) {
    case Type::Int: {
      int64_t x = parse_int(path, v, key.lo, key.hi);
      FieldRef f = ref();
      if (auto* i = std::get_if<int*>(&f)) **i = static_cast<int>(x);
      else if (auto* l = std::get_if<int64_t*>(&f)) **l = x;
      else if (auto* u = std::get_if<uint64_t*>(&f)) **u = static_cast<uint64_t>(x);
      return;
    }
    case Type::Float:
      *std::get<double*>(ref()) = parse_float(path, v, key.lo, key.hi);
      return;
    case Type::Bool:
      *std::get<bool*>(ref()) = parse_bool(path, v);
      return;
    case Type::String:
      *std::get<std::string*>(ref()) = scalar(path, v, "a string");
      return;
    case Type::Enum:
      *std::get<std::string*>(ref()) = one_of(path, v, key.choices);
      return;
    case Type::Protocol: {
      const std::string& s = scalar(path, v, "a protocol name or a path to a .table file");
      *std::get<std::string*>(ref()) = looks_like_path(s, ".table")
                                         ? resolve_file(path, v, "protocol table", exp_dir)
                                         : one_of(path, v, key.choices, ", or a path to a .table file");
      return;
    }
    case Type::Lock: {
      const std::string& s = scalar(path, v, "a lock name or a path to a .lock file");
      if (s.empty()) fail(v.loc, path + ": expected a lock name or a path to a .lock file, got ''");
      // Built-in names stay as written: the lock library resolves them and names the nearest.
      *std::get<std::string*>(ref()) = looks_like_path(s, ".lock") ? resolve_file(path, v, "lock file", exp_dir) : s;
      return;
    }
    case Type::Home: {
      const std::string& s = scalar(path, v, "interleaved or node:N");
      bool ok = lower(s) == "interleaved";
      if (!ok && s.size() > 5 && s.compare(0, 5, "node:") == 0)
        ok = std::all_of(s.begin() + 5, s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
      if (!ok) fail(v.loc, path + ": expected interleaved or node:N, got '" + s + "'");
      *std::get<std::string*>(ref()) = lower(s) == "interleaved" ? "interleaved" : s;
      return;
    }
    case Type::IntMap: {
      auto& m = *std::get<std::map<std::string, int64_t>*>(ref());
      m.clear();
      if (v.kind == Val::Kind::Null) return;
      if (v.kind != Val::Kind::Map) fail(v.loc, path + ": expected a map of name: integer, got " + tree::describe(v));
      for (const auto& e : v.entries) m[e.key] = parse_int(path + "." + e.key, e.val, -kMaxI64, kMaxI64);
      return;
    }
    case Type::IntList: {
      auto& l = *std::get<std::vector<int>*>(ref());
      l.clear();
      if (v.kind == Val::Kind::Null) return;
      if (v.kind != Val::Kind::Seq) fail(v.loc, path + ": expected a list of integers, got " + tree::describe(v));
      for (size_t i = 0; i < v.items.size(); ++i)
        l.push_back(static_cast<int>(parse_int(path + "[" + std::to_string(i) + "]", v.items[i], key.lo, key.hi)));
      return;
    }
    case Type::Edges:
      apply_edges(path, v, *std::get<std::vector<EdgeCfg>*>(ref()));
      return;
    case Type::Extends:
    case Type::Sweep:
      return;   // consumed by the loader before a point is built
  }
}

namespace {

nlohmann::json field_json(const FieldRef& ref) {
  return std::visit(
      [](auto f) -> nlohmann::json {
        using F = std::remove_pointer_t<decltype(f)>;
        if constexpr (std::is_same_v<decltype(f), std::monostate>) {
          return nullptr;
        } else if constexpr (std::is_same_v<F, std::vector<EdgeCfg>>) {
          nlohmann::json a = nlohmann::json::array();
          for (const auto& e : *f)
            a.push_back({{"from", e.from}, {"to", e.to}, {"latency_cycles", e.latency_cycles},
                         {"bandwidth_bytes", e.bandwidth_bytes}});
          return a;
        } else if constexpr (std::is_same_v<F, std::map<std::string, int64_t>>) {
          nlohmann::json o = nlohmann::json::object();
          for (const auto& [k, v] : *f) o[k] = v;
          return o;
        } else {
          return *f;
        }
      },
      ref);
}

}  // namespace

nlohmann::json to_json(Point& p) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& k : keys()) {
    if (!k.field) continue;
    FieldRef ref = k.field(p);
    if (std::holds_alternative<std::monostate>(ref)) continue;
    nlohmann::json* at = &out;
    size_t start = 0;
    for (size_t dot; (dot = k.path.find('.', start)) != std::string::npos; start = dot + 1) at = &(*at)[k.path.substr(start, dot - start)];
    (*at)[k.path.substr(start)] = field_json(ref);
  }
  if (!p.machine.llc.enabled) out["machine"]["llc"] = "none";
  return out;
}

std::vector<std::string> documented_paths() {
  std::vector<std::string> out;
  for (const auto& k : keys()) {
    out.push_back(k.path);
    if (k.type == Type::Edges)
      for (const auto& e : kEdgeKeys) out.push_back(k.path + "[]." + e.name);
  }
  return out;
}

namespace {

std::string type_text(const Key& k) {
  switch (k.type) {
    case Type::Int: return "int";
    case Type::Float: return "float";
    case Type::Bool: return "bool";
    case Type::String: return "string";
    case Type::Enum: return "enum";
    case Type::Protocol: return "enum or path";
    case Type::Lock: return "name or path";
    case Type::Home: return "string";
    case Type::IntMap: return "map of int";
    case Type::IntList: return "list of int";
    case Type::Edges: return "list of edges";
    case Type::Extends: return "path";
    case Type::Sweep: return "map of lists";
  }
  return "";
}

std::string allowed_text(const Key& k) {
  switch (k.type) {
    case Type::Enum: return join(k.choices, " \\| ");
    case Type::Protocol: return join(k.choices, " \\| ") + " \\| *path*.table";
    case Type::Lock: return "*name* \\| *path*.lock";
    case Type::Home: return "interleaved \\| node:*N*";
    case Type::Bool: return "true \\| false";
    default: return range_text(k);
  }
}

}  // namespace

std::string markdown() {
  Point defaults;
  std::string s = "| key | type | default | allowed | description |\n| --- | --- | --- | --- | --- |\n";
  for (const auto& k : keys()) {
    std::string def = k.default_text;
    if (def.empty() && k.field) {
      nlohmann::json j = field_json(k.field(defaults));
      def = j.is_string() ? j.get<std::string>() : j.dump();
    }
    s += "| `" + k.path + "` | " + type_text(k) + " | " + def + " | " + allowed_text(k) + " | " + k.doc + " |\n";
    if (k.type == Type::Edges) {
      for (const auto& e : kEdgeKeys)
        s += std::string("| `") + k.path + "[]." + e.name + "` | int | " + (e.required ? "required" : "-1") + " | " +
             num(e.lo) + ".." + num(e.hi) + " | " + e.doc + " |\n";
    }
  }
  return s;
}

}  // namespace lockstep::config::schema

#include "check/random_tester.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>
#include <unistd.h>

#include "coherence/client.hpp"
#include "coherence/split_table.hpp"
#include "common/embedded.hpp"
#include "common/error.hpp"
#include "common/splitmix.hpp"
#include "config/config.hpp"
#include "cpu/core.hpp"
#include "isa/program.hpp"
#include "run/machine.hpp"

namespace lockstep::check {

namespace {

constexpr int kLineBytes = 64;
constexpr int kWordsPerLine = kLineBytes / 8;
// The tester's L1: 1 KiB, 2 ways, 64 B lines = 8 sets. Lines i, i+8, i+16 of the data
// array share a set, so 24 lines keep every set over-subscribed and evictions frequent.
constexpr int kSets = 8;
constexpr int kDataLines = 3 * kSets;
constexpr int kDataWords = kDataLines * kWordsPerLine;

using Rng = SplitMix64;  // the tester's own choices, deterministic on every host

// One core's stream: the same for a thread whatever the other threads, the core count or
// the stream length (a prefix), so minimising keeps the surviving streams as they were.
void emit_stream(std::ostringstream& o, uint64_t seed, int tid, int ops, int hot_lines) {
  Rng r{seed * 0x2545f4914f6cdd1dULL + uint64_t(tid) * 0x9e3779b97f4a7c15ULL + 7};
  // r5: this core's store values (unique per core: tid in the top bits, then a counter);
  // r9: a per-repetition index, so indexed accesses move between repetitions.
  o << "t" << tid << ":\n"
    << "  bne r5, 0, go" << tid << "\n"
    << "  li r5, " << (uint64_t(tid + 1) << 40) << "\n"
    << "go" << tid << ":\n"
    << "  add r9, r9, " << (2 * r.below(16) + 1) << "\n";
  for (int i = 0; i < ops; ++i) {
    int line = r.chance(75) ? int(r.below(uint64_t(hot_lines))) : int(r.below(kDataLines));
    int word = int(r.below(kWordsPerLine));
    int size = r.chance(85) ? 8 : r.chance(60) ? 4 : 1;
    int off = line * kLineBytes + word * 8 + (size == 8 ? 0 : size == 4 ? 4 * int(r.below(2)) : int(r.below(8)));
    std::string sfx = size == 8 ? "" : size == 4 ? ".32" : ".8";
    std::string a = "[data + " + std::to_string(off) + "]";
    int k = int(r.below(100));
    if (k < 35) {
      o << "  ld" << sfx << " r1, " << a << "\n";
    } else if (k < 60) {
      o << "  add r5, r5, 1\n  st" << sfx << " " << a << ", r5\n";
    } else if (k < 68) {
      o << "  faa" << sfx << " r1, " << a << ", " << (1 + r.below(5)) << "\n";
    } else if (k < 72) {
      o << "  add r5, r5, 1\n  xchg" << sfx << " r1, " << a << ", r5\n";
    } else if (k < 80) {  // read, then compare-and-swap what was read: succeeds unless someone wrote between
      o << "  ld" << sfx << " r2, " << a << "\n  add r5, r5, 1\n  cas" << sfx << " r1, " << a << ", r2, r5\n";
    } else if (k < 84) {
      const char* ops3[] = {"fetch_or", "fetch_and", "tas"};
      int w = int(r.below(3));
      // Operands fit the access width (the assembler checks): set or clear a few low bits.
      uint64_t mask = size == 1 ? 0xff : 0xffff;
      if (w == 2) o << "  tas" << sfx << " r1, " << a << "\n";
      else o << "  " << ops3[w] << sfx << " r1, " << a << ", " << (w == 0 ? r.below(256) : ~r.below(256) & mask) << "\n";
    } else if (k < 92) {  // LL/SC increment; the stx fails when another core wrote the line meanwhile
      o << "  ldx" << sfx << " r2, " << a << "\n  add r2, r2, 1\n  stx" << sfx << " r3, " << a << ", r2\n";
    } else {  // an access that moves with the repetition index
      o << "  add r8, r9, " << r.below(kDataWords) << "\n  mod r8, r8, " << kDataWords << "\n";
      if (r.chance(50)) o << "  ld r1, [data @ r8]\n";
      else o << "  add r5, r5, 1\n  st [data @ r8], r5\n";
    }
    if (r.chance(30)) o << "  work " << (1 + r.below(40)) << "\n";
    else if (r.chance(3)) o << "  fence\n";
  }
  o << "  ret\n";
}

std::string hex(uint64_t v) {
  std::ostringstream o;
  o << "0x" << std::hex << v;
  return o.str();
}

// One simulated case.
struct Case {
  uint64_t seed;
  int cores;
  int ops_per_core;
  int64_t reps;
};

struct Outcome {
  int exit_code = 0;  // 0 ok, 3, 4
  std::string message;
  int64_t operations = 0;
  std::vector<std::string> trace;
  std::string scope;  // "line 0x10040" or "all lines"
  std::vector<uint64_t> race_fired;  // per race cell of a snoop-split table, summed over the L1s
};

// Sits between a core and its L1 (as the core's port and as the L1's client) and checks
// every performed access against the golden memory.
class Golden {
 public:
  struct Tap : cpu::MemPort, coherence::MemClient {
    Golden* g = nullptr;
    int id = 0;
    cpu::Core* core = nullptr;
    coherence::SnoopL1* l1 = nullptr;    // the core's L1: a snooping one,
    coherence::DirL1* dir_l1 = nullptr;  // or a directory one
    uint64_t line = 0;  // of the access in flight (a core has at most one)
    bool access(uint64_t l, bool write) override {
      line = l;
      return l1 ? l1->access(l, write) : dir_l1->access(l, write);
    }
    void touch(uint64_t l) override {
      if (l1) l1->touch(l);
      else dir_l1->touch(l);
    }
    void perform(uint8_t* d) override {
      g->before(id, line, d);
      if (g->tracing_) g->site_ = site(core->where());  // the op about to run, not the next one
      core->perform(d);
      g->after(id, line, d);
    }
    // "core 1: in acquire at random-tester(seed 1):40 (ld), waiting ..." -> ":40 (ld)"
    static std::string site(const std::string& where) {
      static const std::regex re(R"((:\d+ \(\w+\)))");
      std::smatch sm;
      return std::regex_search(where, sm, re) ? "program line " + sm[1].str().substr(1) : where;
    }
    void miss_done() override { core->miss_done(); }
    void line_changed(uint64_t l, bool lost) override { core->line_changed(l, lost); }
  };

  Golden(sim::Machine& m, int cores, bool tracing) : m_(m), tracing_(tracing), taps_(size_t(cores)) {
    for (int i = 0; i < cores; ++i) {
      Tap& t = taps_[size_t(i)];
      t.g = this;
      t.id = i;
      t.core = &m.core(i);
      t.core->set_port(&t);
      if (m.directory_mode()) {
        t.dir_l1 = &m.dir_l1(i);
        t.dir_l1->set_client(&t);
      } else {
        t.l1 = &m.l1(i);
        t.l1->set_client(&t);
      }
    }
  }
  int64_t operations() const { return ops_; }
  std::vector<std::pair<uint64_t, std::string>>& events() { return events_; }

 private:
  struct Line {
    std::array<uint8_t, kLineBytes> data{};
    std::array<int, kWordsPerLine> writer{};  // core+1 of the latest write per word, 0 = none
    std::array<uint64_t, kWordsPerLine> when{};
  };
  Line& golden(uint64_t line) {
    return lines_.try_emplace(line).first->second;
  }
  static uint64_t word(const uint8_t* d, int w) {
    uint64_t v;
    std::memcpy(&v, d + w * 8, 8);
    return v;
  }
  void before(int core, uint64_t line, const uint8_t* d) {
    ++ops_;
    Line& g = golden(line);
    if (std::memcmp(g.data.data(), d, kLineBytes) == 0) return;
    int w = 0;
    while (word(g.data.data(), w) == word(d, w)) ++w;
    std::ostringstream m;
    m << "data-value invariant violated: core " << core << " accessed line " << hex(line * kLineBytes) << " at cycle "
      << m_.engine().now() << " and its copy holds " << hex(word(d, w)) << " at +" << w * 8
      << ", but the latest value written there is " << hex(word(g.data.data(), w));
    if (g.writer[size_t(w)]) m << " (core " << g.writer[size_t(w)] - 1 << ", cycle " << g.when[size_t(w)] << ")";
    else m << " (the initial value)";
    m << ": a load would return stale data";
    throw CorrectnessError(m.str());
  }
  void after(int core, uint64_t line, const uint8_t* d) {
    Line& g = golden(line);
    std::string what;
    for (int w = 0; w < kWordsPerLine; ++w) {
      if (word(g.data.data(), w) == word(d, w)) continue;
      g.writer[size_t(w)] = core + 1;
      g.when[size_t(w)] = m_.engine().now();
      if (tracing_) what += " +" + std::to_string(w * 8) + ": " + hex(word(g.data.data(), w)) + " -> " + hex(word(d, w));
    }
    std::memcpy(g.data.data(), d, kLineBytes);
    if (tracing_) {
      std::ostringstream e;
      e << m_.engine().now() << " core" << core << " " << (what.empty() ? "read" : "wrote") << " line "
        << hex(line * kLineBytes) << what << "   [" << site_ << "]";
      events_.emplace_back(m_.engine().now(), e.str());
    }
  }

  sim::Machine& m_;
  bool tracing_;
  std::string site_;
  std::vector<Tap> taps_;
  std::unordered_map<uint64_t, Line> lines_;
  int64_t ops_ = 0;
  std::vector<std::pair<uint64_t, std::string>> events_;
};

config::Point case_point(const TesterOptions& opt, const std::string& protocol_path, const Case& c) {
  config::Point p;
  p.name = "check";
  p.seed = c.seed;
  Rng r{c.seed ^ 0x6a09e667f3bcc909ULL};
  auto& m = p.machine;
  m.cores = c.cores;
  m.protocol = protocol_path;
  m.coherence = opt.coherence;
  m.interconnect.topology = opt.topology;
  // Randomised timing per seed: the same streams meet in different orders.
  m.interconnect.arbitration = r.chance(50) ? "round_robin" : "fifo";
  m.interconnect.request_cycles = int(1 + r.below(4));
  m.interconnect.data_cycles = int(1 + r.below(12));
  m.memory.latency_cycles = int(10 + r.below(150));
  // Directory fabrics: message latencies and home occupancy vary the same way.
  m.interconnect.link_latency_cycles = int(1 + r.below(6));
  m.interconnect.router_cycles = int(r.below(3));
  m.interconnect.link_bandwidth_bytes = int(4 + r.below(29));
  m.directory.occupancy_cycles = int(1 + r.below(20));
  m.interconnect.mode = opt.mode;
  if (opt.mode == "split") {
    m.interconnect.snoop_cycles = int(r.below(30));
    m.interconnect.inv_ack_cycles = int(r.below(30));
  }
  if (opt.llc) {
    // 1 KiB: 16 lines in 1..4 sets, smaller than the tester's lines, so it evicts constantly.
    m.llc.enabled = true;
    m.llc.size_kib = 1;
    m.llc.assoc = 4 << r.below(3);
    m.llc.hit_cycles = int(1 + r.below(40));
    m.llc.banks = int(1 + r.below(4));
    m.llc.bank_occupancy_cycles = int(r.below(10));
  }
  m.l1.size_kib = 1;
  m.l1.assoc = kDataLines / kSets - 1;
  m.l1.hit_cycles = int(1 + r.below(4));
  m.l1.line_bytes = kLineBytes;
  auto& w = p.workload;
  w.threads = c.cores;
  w.acquisitions_per_thread = c.reps;
  w.warmup_acquisitions = 0;
  w.critical_section = {0, 0, 0};
  w.outside.dist = "uniform";
  w.outside.min = 0;
  w.outside.max = int(r.below(80));
  p.run.check_invariants = true;
  p.run.fast_forward = true;
  // Generous: a correct run of these streams takes far fewer cycles; more is a livelock.
  p.run.max_cycles = int64_t(1000000) + int64_t(c.ops_per_core) * c.reps * c.cores * 2000;
  return p;
}

std::optional<uint64_t> line_in(const std::string& msg) {
  static const std::regex re("line 0x([0-9a-f]+)");
  std::smatch sm;
  if (!std::regex_search(msg, sm, re)) return std::nullopt;
  return std::stoull(sm[1].str(), nullptr, 16);
}

Outcome run_case(const TesterOptions& opt, const std::string& protocol_path, const Case& c, bool tracing) {
  isa::AssembleOptions ao;
  ao.file = "random-tester(seed " + std::to_string(c.seed) + ")";
  ao.ncpu = c.cores;
  ao.line_bytes = kLineBytes;
  const isa::Program prog = isa::assemble(tester_program(c.seed, c.cores, c.ops_per_core, opt.hot_lines), ao);
  const config::Point p = case_point(opt, protocol_path, c);
  sim::SimOptions so;
  std::string trace_file;
  if (tracing) {
    trace_file = (std::filesystem::temp_directory_path() /
                  ("lockstep-check-" + std::to_string(::getpid()) + "-bus.txt")).string();
    so.trace_format = "text";
    so.trace_path = trace_file;
  }
  Outcome out;
  std::vector<std::pair<uint64_t, std::string>> events;
  {
    sim::Machine m(p, so, &prog);
    Golden g(m, c.cores, tracing);
    try {
      m.run();
    } catch (const CorrectnessError& e) {
      out.exit_code = kExitCorrectness;
      out.message = e.what();
    } catch (const NoProgressError& e) {
      out.exit_code = kExitNoProgress;
      out.message = e.what();
    }
    out.operations = g.operations();
    events = std::move(g.events());
    if (!m.directory_mode() && m.l1(0).spec().kind == "snoop-split") {
      const auto& spec = m.l1(0).spec();
      for (auto [st, ev] : coherence::check_split_table(spec, protocol_path).race_cells) {
        uint64_t n = 0;
        for (int i = 0; i < c.cores; ++i) n += m.l1(i).fired(st, ev);
        out.race_fired.push_back(n);
      }
    }
  }
  if (!tracing) return out;

  // The bus's own trace (one line per transaction, at its grant) joins the accesses.
  std::ifstream in(trace_file);
  std::string l;
  while (std::getline(in, l)) {
    if (l.empty() || l[0] == '#') continue;
    events.emplace_back(std::stoull(l), l);
  }
  in.close();
  std::filesystem::remove(trace_file);
  std::stable_sort(events.begin(), events.end(), [](auto& a, auto& b) { return a.first < b.first; });
  // Only what touched the line the failure names, when it names one.
  std::optional<uint64_t> line = line_in(out.message);
  std::vector<std::string> kept;
  for (auto& [t, e] : events)
    if (!line || e.find("line " + hex(*line) + " ") != std::string::npos) kept.push_back(e);
  size_t from = kept.size() > size_t(opt.max_trace) ? kept.size() - size_t(opt.max_trace) : 0;
  out.trace.assign(kept.begin() + long(from), kept.end());
  out.scope = line ? "line " + hex(*line) : "all lines";
  return out;
}

}  // namespace

std::string tester_program(uint64_t seed, int cores, int ops_per_core, int hot_lines) {
  std::ostringstream o;
  o << "# generated by lockstep check protocol: seed " << seed << ", " << cores << " cores, " << ops_per_core
    << " operations per core\n"
    << "lock random_tester\ncapacity " << cores << "\n"
    << ".array data " << kDataWords << " packed\n\n"
    << "acquire:\n  mov r15, tid\n";
  for (int t = 0; t < cores; ++t) o << "  beq r15, " << t << ", t" << t << "\n";
  o << "  ret\n";
  for (int t = 0; t < cores; ++t) emit_stream(o, seed, t, ops_per_core, std::clamp(hot_lines, 1, kDataLines));
  o << "release:\n  ret\n";
  return o.str();
}

coherence::Protocol load_named_protocol(const std::string& name_or_path) {
  std::string low = name_or_path;
  for (auto& ch : low) ch = char(std::tolower(static_cast<unsigned char>(ch)));
  bool builtin = embedded::protocols().count(low) > 0;
  if (!builtin && !std::filesystem::exists(name_or_path)) {
    std::vector<std::string> names;
    for (auto& [k, v] : embedded::protocols()) names.push_back(k);
    std::string near = nearest(low, names);
    for (auto& ch : near) ch = char(std::toupper(static_cast<unsigned char>(ch)));
    throw InputError("unknown protocol '" + name_or_path + "': not a built-in (MSI, MESI, MOESI, MESIF) and no such file" +
                     (near.empty() ? "" : " (did you mean '" + near + "'?)"));
  }
  return coherence::load_protocol(name_or_path);
}

TesterReport run_random_tester(const TesterOptions& opt) {
  if (opt.cores < 1) throw InputError("check protocol: --cores must be at least 1");
  if (opt.seeds < 1) throw InputError("check protocol: --seeds must be at least 1");
  if (opt.ops < 1) throw InputError("check protocol: --ops must be at least 1");
  // Parse once up front: a malformed table is invalid input (exit 2), not a violation.
  coherence::Protocol proto = load_named_protocol(opt.protocol);
  std::string path = opt.protocol;
  if (std::filesystem::exists(path)) path = std::filesystem::absolute(path).string();
  (void)proto.controller(opt.coherence == "snoop" ? "snoop" : "cache");
  std::vector<std::string> race_names;
  if (opt.coherence == "snoop" && opt.mode == "split" && proto.controllers.count("snoop-split")) {
    const auto& spec = proto.controller("snoop-split");
    for (auto [st, ev] : coherence::check_split_table(spec, proto.file).race_cells) race_names.push_back(spec.describe(st, ev));
  }

  TesterReport rep;
  for (auto& n : race_names) rep.race_cells.push_back({n, 0});
  // Streams of at most 200 operations, repeated: long enough to mix every kind of access,
  // short enough that a failure minimises quickly.
  int64_t per_core = std::max<int64_t>(1, opt.ops / opt.cores);
  int stream = int(std::min<int64_t>(per_core, 200));
  int64_t reps = (per_core + stream - 1) / stream;
  auto t0 = std::chrono::steady_clock::now();
  for (int s = 0; s < opt.seeds; ++s) {
    Case c{opt.first_seed + uint64_t(s), opt.cores, stream, reps};
    Outcome o = run_case(opt, path, c, false);
    rep.operations += o.operations;
    ++rep.seeds_run;
    for (size_t i = 0; i < o.race_fired.size() && i < rep.race_cells.size(); ++i) rep.race_cells[i].second += o.race_fired[i];
    if (o.exit_code == 0) continue;
    rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    Failure f;
    f.seed = c.seed;
    int runs = 0;
    if (opt.minimise) {
      // Greedy: keep any smaller case that still fails the same way: same exit status and
      // the same kind of violation (the message up to its first ':' or '(', e.g. "data-value
      // invariant violated"), so the shrinking cannot wander off to a different bug. A case
      // the machine cannot be built for (numa with fewer cores than sockets) does not fail.
      auto kind = [](const std::string& m) { return m.substr(0, m.find_first_of(":(")); };
      auto still_fails = [&](const Case& k) {
        ++runs;
        try {
          Outcome r = run_case(opt, path, k, false);
          return r.exit_code == o.exit_code && kind(r.message) == kind(o.message);
        } catch (const InputError&) {
          return false;
        }
      };
      while (c.reps > 1) {
        Case k = c;
        k.reps = c.reps / 2;
        if (!still_fails(k)) break;
        c = k;
      }
      for (bool progress = true; progress && runs < 200;) {
        progress = false;
        for (int len : {c.ops_per_core / 2, c.ops_per_core * 3 / 4, c.ops_per_core - 1}) {
          if (len < 1 || len >= c.ops_per_core) continue;
          Case k = c;
          k.ops_per_core = len;
          if (still_fails(k)) { c = k; progress = true; break; }
        }
        for (int n = 1; n < c.cores && !progress; ++n) {  // fewest cores first
          Case k = c;
          k.cores = n;
          if (still_fails(k)) { c = k; progress = true; }
        }
        if (!progress && c.reps > 1) {
          Case k = c;
          k.reps = c.reps - 1;
          if (still_fails(k)) { c = k; progress = true; }
        }
      }
    }
    Outcome fin = run_case(opt, path, c, true);
    if (fin.exit_code == 0) fin = run_case(opt, path, Case{f.seed, opt.cores, stream, reps}, true);  // safety net
    f.exit_code = fin.exit_code ? fin.exit_code : o.exit_code;
    f.message = fin.exit_code ? fin.message : o.message;
    f.cores = c.cores;
    f.ops_per_core = c.ops_per_core;
    f.repetitions = c.reps;
    f.reruns = runs;
    f.trace = std::move(fin.trace);
    f.trace_scope = fin.scope;
    rep.failure = std::move(f);
    return rep;
  }
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return rep;
}

}  // namespace lockstep::check

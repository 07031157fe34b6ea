#include "check/lock_checker.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <string_view>

#include "common/error.hpp"
#include "isa/semantics.hpp"
#include "workload/lock_layout.hpp"

namespace lockstep::check {

namespace {

using isa::Op;

constexpr uint64_t kBase = 0x10000;  // the simulator's arena base too, so addresses match `lock show`
constexpr int kLineBytes = 64;       // LL/SC monitors watch one line
constexpr int kMaxCallDepth = 8;

enum Phase : uint8_t { Outside, Acquire, InCs, Release, Done, Hung };

struct Thread {
  uint64_t regs[16] = {};
  int32_t pc = 0;
  uint8_t phase = Outside;
  uint8_t done = 0;
  uint8_t depth = 0;
  bool mon = false;        // LL/SC: a reservation from ldx
  uint64_t mon_line = 0;   // its line (arena offset / line size)
  int32_t stack[kMaxCallDepth] = {};
};

struct State {
  std::vector<uint8_t> mem;
  std::vector<Thread> th;
};

// ---- compact state encoding (LEB128 varints) and the visited set -------------------------

void put(std::string& o, uint64_t v) {
  while (v >= 0x80) {
    o.push_back(char(uint8_t(v) | 0x80));
    v >>= 7;
  }
  o.push_back(char(v));
}

uint64_t get(const uint8_t*& p) {
  uint64_t v = 0;
  for (int shift = 0;; shift += 7) {
    const uint8_t b = *p++;
    v |= uint64_t(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
}

void encode(const State& s, std::string& o) {
  o.clear();
  for (size_t i = 0; i < s.mem.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, &s.mem[i], 8);
    put(o, w);
  }
  for (const Thread& t : s.th) {
    o.push_back(char(t.phase));
    o.push_back(char(t.done));
    put(o, uint64_t(t.pc));
    o.push_back(char(t.depth));
    for (int d = 0; d < t.depth; ++d) put(o, uint64_t(t.stack[d]));
    o.push_back(char(t.mon));
    if (t.mon) put(o, t.mon_line);
    for (uint64_t r : t.regs) put(o, r);
  }
}

void decode(const uint8_t* p, size_t arena_bytes, int threads, State& s) {
  s.mem.resize(arena_bytes);
  for (size_t i = 0; i < arena_bytes; i += 8) {
    const uint64_t w = get(p);
    std::memcpy(&s.mem[i], &w, 8);
  }
  s.th.assign(size_t(threads), Thread{});
  for (Thread& t : s.th) {
    t.phase = *p++;
    t.done = *p++;
    t.pc = int32_t(get(p));
    t.depth = *p++;
    for (int d = 0; d < t.depth; ++d) t.stack[d] = int32_t(get(p));
    t.mon = *p++ != 0;
    if (t.mon) t.mon_line = get(p);
    for (uint64_t& r : t.regs) r = get(p);
  }
}

// Every encoded state once, back to back in one pool, found through an open-addressing table.
class StateStore {
 public:
  StateStore() : table_(1 << 16, 0) {}
  size_t size() const { return start_.size(); }
  const uint8_t* data(size_t i) const { return pool_.data() + start_[i]; }
  // {index, true when new}
  std::pair<uint32_t, bool> insert(const std::string& enc) {
    if ((size() + 1) * 2 > table_.size()) grow();
    const size_t mask = table_.size() - 1;
    for (size_t h = hash(enc) & mask;; h = (h + 1) & mask) {
      const uint32_t slot = table_[h];
      if (slot == 0) {
        table_[h] = uint32_t(size() + 1);
        start_.push_back(pool_.size());
        len_.push_back(uint32_t(enc.size()));
        pool_.insert(pool_.end(), enc.begin(), enc.end());
        return {uint32_t(size() - 1), true};
      }
      if (view(slot - 1) == enc) return {slot - 1, false};
    }
  }

 private:
  static size_t hash(std::string_view s) { return std::hash<std::string_view>{}(s); }
  std::string_view view(size_t i) const { return {reinterpret_cast<const char*>(data(i)), len_[i]}; }
  void grow() {
    std::vector<uint32_t> t(table_.size() * 2, 0);
    const size_t mask = t.size() - 1;
    for (size_t i = 0; i < size(); ++i) {
      size_t h = hash(view(i)) & mask;
      while (t[h]) h = (h + 1) & mask;
      t[h] = uint32_t(i + 1);
    }
    table_.swap(t);
  }
  std::vector<uint8_t> pool_;
  std::vector<uint64_t> start_;
  std::vector<uint32_t> len_;
  std::vector<uint32_t> table_;  // 0 empty, else state index + 1
};

// ---- the transition relation ------------------------------------------------------------

struct Succ {
  State s;
  std::string violation;  // non-empty: this move breaks the lock (mutual exclusion, bad address)
  std::string effect;     // filled when describing (replay of a counterexample)
};

std::string hex(uint64_t v) {
  char b[32];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

class Explorer {
 public:
  Explorer(const isa::Program& p, const LockCheckOptions& o) : p_(p), o_(o) {}

  // The value as the step table shows it: an arena address by name ("&node[1]").
  std::string show(uint64_t v) const {
    if (v >= kBase && v < kBase + p_.arena_bytes) {
      const std::string s = workload::symbol_at(p_, v - kBase);
      if (!s.empty()) return "&" + s;
    }
    if (v < 1'000'000) return std::to_string(v);
    if (int64_t(v) < 0 && int64_t(v) > -1'000'000) return std::to_string(int64_t(v));
    return hex(v);
  }

  std::string memory(const State& s) const {
    std::string out;
    for (const auto& w : workload::layout_words(p_)) {
      uint64_t v;
      std::memcpy(&v, &s.mem[w.offset], 8);
      if (v == 0) continue;
      if (!out.empty()) out += " ";
      out += w.name + "=" + show(v);
    }
    return out.empty() ? "(all zero)" : out;
  }

  std::string where(int pc) const {
    std::string best;
    int at = -1;
    for (const auto& [name, idx] : p_.labels)
      if (idx <= pc && idx > at) {
        at = idx;
        best = name;
      }
    std::string s = best.empty() ? "@" + std::to_string(pc) : best;
    if (at >= 0 && pc > at) s += "+" + std::to_string(pc - at);
    return s + " (line " + std::to_string(p_.code[size_t(pc)].line) + ")";
  }

  std::string op_text(const State& s, int t) const {
    const Thread& th = s.th[size_t(t)];
    switch (th.phase) {
      case Outside: return "call acquire";
      case InCs: return "call release";
      case Acquire: case Release: {
        std::string d = isa::disassemble_instr(p_, size_t(th.pc));
        const auto b = d.find_first_not_of(' ');
        d = b == std::string::npos ? d : d.substr(b);
        // one space between mnemonic and operands in a table
        const auto sp = d.find(' ');
        if (sp != std::string::npos) d = d.substr(0, sp) + " " + d.substr(d.find_first_not_of(' ', sp));
        return d;
      }
      default: return "";
    }
  }

  std::string at_text(const State& s, int t) const {
    const Thread& th = s.th[size_t(t)];
    if (th.phase == Acquire || th.phase == Release) return where(th.pc);
    return "";
  }

  // Thread t's next visible action, then its local micro-ops up to the next one. Appends one
  // successor per outcome (several when a small `rand` branches).
  void step(const State& s, int t, std::vector<Succ>& out, bool describe) const {
    const Thread& cur = s.th[size_t(t)];
    if (cur.phase == Done || cur.phase == Hung) return;
    Succ c{s, "", ""};
    Thread& th = c.s.th[size_t(t)];
    if (th.phase == Outside || th.phase == InCs) {
      th.phase = th.phase == Outside ? Acquire : Release;
      th.pc = th.phase == Acquire ? p_.entry_acquire : p_.entry_release;
      th.depth = 0;
      run_local(std::move(c), t, out, describe);
      return;
    }
    const isa::Instr& in = p_.code[size_t(th.pc)];
    std::string why = memory_op(c.s, t, in, describe ? &c.effect : nullptr);
    if (!why.empty()) {
      c.violation = why;
      out.push_back(std::move(c));
      return;
    }
    ++th.pc;
    run_local(std::move(c), t, out, describe);
  }

  // Executes a memory micro-op of thread t on s; returns a violation text for a bad address.
  std::string memory_op(State& s, int t, const isa::Instr& in, std::string* effect) const {
    Thread& th = s.th[size_t(t)];
    const uint64_t a = isa::address(p_, in.addr, kBase, t, th.regs);
    if (a < kBase || a + in.size > kBase + p_.arena_bytes || a % in.size)
      return "thread " + std::to_string(t) + " accessed address " + hex(a) + " (" + std::to_string(in.size) +
             " bytes), outside the lock's variables or misaligned, at line " + std::to_string(in.line);
    const uint64_t off = a - kBase;
    const uint64_t line = off / kLineBytes;
    uint64_t old = 0;
    std::memcpy(&old, &s.mem[off], in.size);
    const uint64_t va = isa::value(in.a, t, th.regs), vb = isa::value(in.b, t, th.regs);
    uint64_t nv = old;
    bool wrote = false;
    std::string e;
    const std::string name = workload::symbol_at(p_, off);
    const std::string rd = "r" + std::to_string(in.rd);
    switch (in.op) {
      case Op::Ld:
        th.regs[in.rd] = old;
        e = rd + " = " + show(old);
        break;
      case Op::Ldx:
        th.regs[in.rd] = old;
        th.mon = true;
        th.mon_line = line;
        e = rd + " = " + show(old) + ", reserves the line";
        break;
      case Op::St:
        nv = isa::truncate(va, in.size);
        wrote = true;
        break;
      case Op::Stx:
        if (th.mon && th.mon_line == line) {
          nv = isa::truncate(va, in.size);
          wrote = true;
          th.regs[in.rd] = 1;
          e = rd + " = 1 (reservation held)";
        } else {
          th.regs[in.rd] = 0;
          e = rd + " = 0 (reservation lost: no store)";
        }
        th.mon = false;
        break;
      default:  // atomics
        nv = isa::rmw_new(in.op, old, va, vb, in.size);
        wrote = in.op != Op::Cas || isa::cas_succeeded(old, va, in.size);
        th.regs[in.rd] = old;
        e = rd + " = " + show(old);
        if (in.op == Op::Cas && !wrote) e += " (cas fails)";
        break;
    }
    if (wrote) {
      std::memcpy(&s.mem[off], &nv, in.size);
      for (size_t u = 0; u < s.th.size(); ++u)
        if (int(u) != t && s.th[u].mon && s.th[u].mon_line == line) s.th[u].mon = false;
      if (!e.empty()) e += ", ";
      e += name + ": " + show(old) + " -> " + show(nv);
    }
    if (effect) *effect = e;
    return "";
  }

  // Runs thread t's local micro-ops until its next visible action (a memory micro-op, or the
  // harness's next call after a routine returned).
  void run_local(Succ c, int t, std::vector<Succ>& out, bool describe) const {
    Thread& th = c.s.th[size_t(t)];
    auto note = [&](const std::string& s) {
      if (!describe) return;
      if (!c.effect.empty()) c.effect += "; ";
      c.effect += s;
    };
    for (int n = 0;; ++n) {
      if (n >= o_.local_step_limit) {
        th.phase = Hung;
        note("loops without touching shared memory");
        out.push_back(std::move(c));
        return;
      }
      if (th.pc < 0 || size_t(th.pc) >= p_.code.size()) {
        c.violation = "thread " + std::to_string(t) + " ran past the end of the program";
        out.push_back(std::move(c));
        return;
      }
      const isa::Instr& in = p_.code[size_t(th.pc)];
      if (isa::is_memory(in.op)) {
        out.push_back(std::move(c));
        return;
      }
      const uint64_t va = isa::value(in.a, t, th.regs), vb = isa::value(in.b, t, th.regs);
      switch (in.op) {
        case Op::Li: case Op::Mov: th.regs[in.rd] = va; ++th.pc; break;
        case Op::Lea: th.regs[in.rd] = isa::address(p_, in.addr, kBase, t, th.regs); ++th.pc; break;
        case Op::Jmp: th.pc = in.target; break;
        case Op::Call:
          if (th.depth >= kMaxCallDepth) {
            c.violation = "thread " + std::to_string(t) + ": calls nested deeper than " + std::to_string(kMaxCallDepth) +
                          " at line " + std::to_string(in.line);
            out.push_back(std::move(c));
            return;
          }
          th.stack[th.depth++] = th.pc + 1;
          th.pc = in.target;
          break;
        case Op::Ret:
          if (th.depth > 0) {
            th.pc = th.stack[--th.depth];
            break;
          }
          if (th.phase == Acquire && p_.can_fail && th.regs[0] == 0) {  // failed (.can_fail): try again
            th.phase = Outside;
            note("acquire returns r0 = 0: failed, will retry");
            out.push_back(std::move(c));
            return;
          }
          if (th.phase == Acquire) {
            th.phase = InCs;
            std::vector<int> holders;
            for (size_t u = 0; u < c.s.th.size(); ++u)
              if (c.s.th[u].phase == InCs) holders.push_back(int(u));
            note("acquire returns: in the critical section");
            if (int(holders.size()) > p_.capacity) {
              std::string m = "mutual exclusion violated: threads";
              for (size_t k = 0; k < holders.size(); ++k) m += (k ? k + 1 == holders.size() ? " and " : ", " : " ") + std::to_string(holders[k]);
              m += " are in the critical section at once (capacity " + std::to_string(p_.capacity) + ")";
              c.violation = m;
            }
          } else {
            ++th.done;
            th.phase = th.done >= o_.acquisitions ? Done : Outside;
            note(th.phase == Done ? "release returns: done" : "release returns");
          }
          out.push_back(std::move(c));
          return;
        case Op::Rand: {
          const uint64_t lo = va, hi = vb;
          if (hi > lo && hi - lo < uint64_t(o_.rand_branch_max)) {
            for (uint64_t v = lo + 1; v <= hi; ++v) {
              Succ f = c;
              f.s.th[size_t(t)].regs[in.rd] = v;
              ++f.s.th[size_t(t)].pc;
              if (describe) f.effect += std::string(f.effect.empty() ? "" : "; ") + "rand r" + std::to_string(in.rd) + " = " + std::to_string(v);
              run_local(std::move(f), t, out, describe);
            }
            note("rand r" + std::to_string(in.rd) + " = " + std::to_string(lo));
          }
          th.regs[in.rd] = lo;
          ++th.pc;
          break;
        }
        case Op::Now: th.regs[in.rd] = 0; ++th.pc; break;
        default:
          if (isa::is_branch(in.op)) th.pc = isa::branch_taken(in.op, va, vb) ? in.target : th.pc + 1;
          else if (isa::is_alu(in.op)) { th.regs[in.rd] = isa::alu(in.op, va, vb); ++th.pc; }
          else ++th.pc;  // fence, pause, wfe, sev, work: no value effect under SC without time
          break;
      }
    }
  }

  // The lock's init: once, as thread 0, before the threads start (the simulator does the same).
  std::string run_init(State& s) const {
    if (p_.entry_init < 0) return "";
    State scratch = s;
    scratch.th.assign(1, Thread{});
    Thread& th = scratch.th[0];
    th.phase = Acquire;
    th.pc = p_.entry_init;
    for (int n = 0; n < o_.local_step_limit; ++n) {
      if (th.pc < 0 || size_t(th.pc) >= p_.code.size()) return "init ran past the end of the program";
      const isa::Instr& in = p_.code[size_t(th.pc)];
      if (isa::is_memory(in.op)) {
        std::string why = memory_op(scratch, 0, in, nullptr);
        if (!why.empty()) return "init: " + why;
        ++th.pc;
        continue;
      }
      if (in.op == Op::Ret && th.depth == 0) {
        s.mem = scratch.mem;
        return "";
      }
      // One local micro-op (init runs alone: no interleaving, rand takes lo).
      const uint64_t va = isa::value(in.a, 0, th.regs), vb = isa::value(in.b, 0, th.regs);
      switch (in.op) {
        case Op::Li: case Op::Mov: case Op::Rand: th.regs[in.rd] = va; ++th.pc; break;
        case Op::Lea: th.regs[in.rd] = isa::address(p_, in.addr, kBase, 0, th.regs); ++th.pc; break;
        case Op::Jmp: th.pc = in.target; break;
        case Op::Call:
          if (th.depth >= kMaxCallDepth) return "init: calls nested too deep";
          th.stack[th.depth++] = th.pc + 1;
          th.pc = in.target;
          break;
        case Op::Ret: th.pc = th.stack[--th.depth]; break;
        case Op::Now: th.regs[in.rd] = 0; ++th.pc; break;
        default:
          if (isa::is_branch(in.op)) th.pc = isa::branch_taken(in.op, va, vb) ? in.target : th.pc + 1;
          else if (isa::is_alu(in.op)) { th.regs[in.rd] = isa::alu(in.op, va, vb); ++th.pc; }
          else ++th.pc;
          break;
      }
    }
    return "init did not return within " + std::to_string(o_.local_step_limit) + " micro-ops";
  }

  std::string stuck_text(const State& s, int t) const {
    const Thread& th = s.th[size_t(t)];
    std::string who = "thread " + std::to_string(t) + " (" + std::to_string(th.done) + " of " +
                      std::to_string(o_.acquisitions) + " acquisitions done): ";
    switch (th.phase) {
      case Outside: return who + "about to call acquire";
      case InCs: return who + "holds the lock, about to call release";
      case Done: return who + "finished";
      case Hung: return who + "loops at " + where(th.pc) + " without touching shared memory";
      default: {
        const isa::Instr& in = p_.code[size_t(th.pc)];
        std::string s2 = who + "in " + std::string(th.phase == Acquire ? "acquire" : "release") + ", next " + where(th.pc) +
                         ": " + op_text(s, t);
        const uint64_t a = isa::address(p_, in.addr, kBase, t, th.regs);
        if (a >= kBase && a + in.size <= kBase + p_.arena_bytes) {
          uint64_t v = 0;
          std::memcpy(&v, &s.mem[a - kBase], in.size);
          s2 += "   (" + workload::symbol_at(p_, a - kBase) + " = " + show(v) + ")";
        }
        return s2;
      }
    }
  }

 private:
  const isa::Program& p_;
  const LockCheckOptions& o_;
};

}  // namespace

int LockCheckReport::exit_code() const {
  switch (verdict) {
    case Verdict::Violation: return kExitCorrectness;
    case Verdict::NoProgress: return kExitNoProgress;
    default: return kExitOk;
  }
}

LockCheckReport check_lock(const isa::Program& p, const LockCheckOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  if (o.threads < 1 || o.threads > 8) throw InputError("check lock: --threads must be 1..8 (the state space grows fast: 2 or 3 is the useful range)");
  if (o.acquisitions < 1 || o.acquisitions > 255) throw InputError("check lock: --acquisitions must be 1..255");
  if (p.entry_acquire < 0 || p.entry_release < 0) throw InputError(p.file + ": the lock needs acquire: and release:");
  Explorer x(p, o);
  LockCheckReport r;
  State init;
  init.mem.assign(p.arena_bytes, 0);
  init.th.assign(size_t(o.threads), Thread{});
  const std::string init_fault = x.run_init(init);
  if (!init_fault.empty()) {
    r.verdict = LockCheckReport::Verdict::Violation;
    r.message = init_fault;
    return r;
  }

  StateStore store;
  std::vector<uint32_t> parent;
  std::vector<uint16_t> move;   // thread | successor index << 4
  std::vector<uint16_t> depth;
  std::vector<uint8_t> terminal;
  std::vector<uint8_t> progress;  // the state has a move that enters the CS or returns from release
  std::vector<std::pair<uint32_t, uint32_t>> edges;
  std::string enc;
  encode(init, enc);
  store.insert(enc);
  parent.push_back(UINT32_MAX);
  move.push_back(0);
  depth.push_back(0);

  // Replays the moves that lead to `last` (plus one more move, when given) as step rows.
  auto replay = [&](uint32_t last, int extra_thread, int extra_k) {
    std::vector<uint16_t> moves;
    for (uint32_t i = last; i != 0; i = parent[i]) moves.push_back(move[i]);
    std::reverse(moves.begin(), moves.end());
    if (extra_thread >= 0) moves.push_back(uint16_t(extra_thread | extra_k << 4));
    State cur = init;
    std::vector<Succ> succ;
    for (uint16_t m : moves) {
      const int t = m & 15, k = m >> 4;
      LockCheckStep row;
      row.thread = t;
      row.where = x.at_text(cur, t);
      row.op = x.op_text(cur, t);
      succ.clear();
      x.step(cur, t, succ, true);
      Succ& s = succ.at(size_t(k));
      row.effect = s.effect;
      row.memory = x.memory(s.s);
      r.steps.push_back(row);
      cur = std::move(s.s);
    }
    return cur;
  };

  State s;
  std::vector<Succ> succ;
  bool incomplete = false;
  for (size_t i = 0; i < store.size() && !incomplete; ++i) {
    decode(store.data(i), p.arena_bytes, o.threads, s);
    bool all_done = true;
    for (const Thread& th : s.th) all_done = all_done && th.phase == Done;
    terminal.push_back(all_done);
    progress.push_back(0);
    r.depth = std::max(r.depth, int(depth[i]));
    for (int t = 0; t < o.threads; ++t) {
      succ.clear();
      x.step(s, t, succ, false);
      if (succ.size() > 4095)  // a move is stored as thread | outcome << 4 in 16 bits
        throw InputError("check lock: one step of thread " + std::to_string(t) + " has " + std::to_string(succ.size()) +
                         " outcomes (too many small `rand`s in a row); the checker handles up to 4095");
      for (size_t k = 0; k < succ.size(); ++k) {
        ++r.transitions;
        if (!succ[k].violation.empty()) {
          r.verdict = LockCheckReport::Verdict::Violation;
          r.message = succ[k].violation;
          r.states = store.size();
          replay(uint32_t(i), t, int(k));
          r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
          return r;
        }
        const Thread& before = s.th[size_t(t)];
        const Thread& after = succ[k].s.th[size_t(t)];
        if ((after.phase == InCs && before.phase != InCs) || after.done > before.done) progress[i] = 1;
        encode(succ[k].s, enc);
        const auto [j, inserted] = store.insert(enc);
        if (inserted) {
          parent.push_back(uint32_t(i));
          move.push_back(uint16_t(t | int(k) << 4));
          depth.push_back(uint16_t(std::min<int>(depth[i] + 1, UINT16_MAX)));
          if (store.size() > o.max_states) incomplete = true;
        }
        if (j != i) edges.emplace_back(uint32_t(i), j);
      }
    }
  }
  r.states = store.size();
  auto done = [&] {
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
  };
  if (incomplete) {
    r.verdict = LockCheckReport::Verdict::Incomplete;
    r.message = "search incomplete: more than " + std::to_string(o.max_states) +
                " states (--max-states); no violation among those explored, progress not checked";
    return done();
  }

  // Progress. A state is dead when it is not the end (every thread done) and no schedule
  // from it ever lets a thread enter the critical section or return from release again: the
  // threads spin (or sit) for ever. Found by backward reachability from the states that
  // have such a move. (A state from which the end is unreachable always leads to a dead
  // one, because those moves are bounded: 2 per acquisition.)
  const size_t n = store.size();
  std::vector<uint32_t> first(n + 1, 0), from(edges.size());
  for (const auto& e : edges) ++first[e.second + 1];
  for (size_t i = 0; i < n; ++i) first[i + 1] += first[i];
  {
    std::vector<uint32_t> fill(first.begin(), first.end() - 1);
    for (const auto& e : edges) from[fill[e.second]++] = e.first;
  }
  std::vector<uint8_t> can_finish(n, 0);  // can still make progress
  std::vector<uint32_t> work;
  for (size_t i = 0; i < n; ++i)
    if (progress[i]) {
      can_finish[i] = 1;
      work.push_back(uint32_t(i));
    }
  while (!work.empty()) {
    const uint32_t v = work.back();
    work.pop_back();
    for (uint32_t k = first[v]; k < first[v + 1]; ++k)
      if (!can_finish[from[k]]) {
        can_finish[from[k]] = 1;
        work.push_back(from[k]);
      }
  }
  for (size_t i = 0; i < n; ++i) {
    if (can_finish[i] || terminal[i]) continue;
    // The first such state in BFS order: a shortest way into the trap.
    r.verdict = LockCheckReport::Verdict::NoProgress;
    State trap = replay(uint32_t(i), -1, 0);
    r.loop_from = r.steps.size();
    // Then show the trap: the unfinished threads take turns (first outcome of each move)
    // until a state repeats, so the table ends in the loop they are caught in.
    {
      std::vector<std::string> seen;
      std::string e2;
      std::vector<Succ> ss;
      for (int turn = 0, idle = 0; r.steps.size() < r.loop_from + 40 && idle < o.threads; ++turn) {
        const int t = turn % o.threads;
        ss.clear();
        x.step(trap, t, ss, true);
        if (ss.empty()) {
          ++idle;
          continue;
        }
        idle = 0;
        LockCheckStep row;
        row.thread = t;
        row.where = x.at_text(trap, t);
        row.op = x.op_text(trap, t);
        row.effect = ss[0].effect;
        row.memory = x.memory(ss[0].s);
        r.steps.push_back(row);
        trap = std::move(ss[0].s);
        encode(trap, e2);
        if (std::find(seen.begin(), seen.end(), e2) != seen.end()) break;
        seen.push_back(e2);
      }
    }
    int waiting = 0;
    for (int t = 0; t < o.threads; ++t) {
      if (trap.th[size_t(t)].phase != Done) ++waiting;
      r.stuck.push_back(x.stuck_text(trap, t));
    }
    r.message = "after step " + std::to_string(r.loop_from) + ", whatever the schedule, none of the " +
                std::to_string(waiting) + " unfinished thread(s) ever enters the critical section or leaves release " +
                "again (deadlock or livelock)";
    return done();
  }
  r.message = "every interleaving keeps mutual exclusion and can always finish";
  return done();
}

std::string format_report(const isa::Program& p, const LockCheckOptions& o, const LockCheckReport& r) {
  std::ostringstream os;
  const char* verdict = "ok";
  switch (r.verdict) {
    case LockCheckReport::Verdict::Ok: verdict = "ok"; break;
    case LockCheckReport::Verdict::Incomplete: verdict = "INCOMPLETE"; break;
    case LockCheckReport::Verdict::Violation: verdict = "VIOLATION"; break;
    case LockCheckReport::Verdict::NoProgress: verdict = "NO PROGRESS"; break;
  }
  char buf[256];
  std::snprintf(buf, sizeof buf, "%llu states, %llu transitions, depth %d, %.2f s",
                static_cast<unsigned long long>(r.states), static_cast<unsigned long long>(r.transitions), r.depth, r.seconds);
  os << "check lock " << p.name << " (" << o.threads << " threads, " << o.acquisitions
     << " acquisition(s) each, sequentially consistent): " << verdict << ": " << r.message << "\n  " << buf << "\n";
  if (r.steps.empty()) return os.str();
  os << "\nshortest counterexample (" << r.steps.size() << " steps; T = thread):\n";
  size_t wa = 2, wo = 8, we = 6;
  for (const auto& s : r.steps) {
    wa = std::max(wa, s.where.size());
    wo = std::max(wo, s.op.size());
    we = std::max(we, s.effect.size());
  }
  auto pad = [](const std::string& s, size_t w) { return s + std::string(w > s.size() ? w - s.size() : 0, ' '); };
  os << "  step  T  " << pad("at", wa) << "  " << pad("micro-op", wo) << "  " << pad("effect", we) << "  shared memory after\n";
  for (size_t i = 0; i < r.steps.size(); ++i) {
    const auto& s = r.steps[i];
    std::snprintf(buf, sizeof buf, "  %4zu  %d  ", i + 1, s.thread);
    if (r.verdict == LockCheckReport::Verdict::NoProgress && i == r.loop_from)
      os << "        -- no progress from here on: the threads take turns until a state repeats --\n";
    os << buf << pad(s.where, wa) << "  " << pad(s.op, wo) << "  " << pad(s.effect, we) << "  " << s.memory << "\n";
  }
  if (!r.stuck.empty()) {
    os << "\nwhere the threads are caught (at the end of the table):\n";
    for (const auto& s : r.stuck) os << "  " << s << "\n";
  }
  return os.str();
}

}  // namespace lockstep::check

// isa::assemble(): .lock text -> Program. Two passes over the source:
//   1. parse every line into declarations (lock, capacity, param, .shared/.percpu/.array),
//      labels and instructions whose operands are still names (syntax errors surface here,
//      in source order);
//   2. apply parameter overrides, lay the variables out in the arena, then resolve every
//      operand against params, variables and labels (so a branch may jump forward and a
//      variable may be declared below its first use).
#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>

#include "common/error.hpp"
#include "common/limits.hpp"
#include "isa/lexer.hpp"
#include "isa/ops.hpp"
#include "isa/program.hpp"

namespace lockstep::isa {

namespace {

using TK = Token::Kind;

// ---- pass-1 forms ---------------------------------------------------------------------------

// An address as written: [base (@ rX)? ((+|-) offset)?]
struct PMem {
  bool base_is_reg = false;
  uint8_t base_reg = 0;
  std::string base_name;
  int base_col = 0;
  bool indexed = false;
  uint8_t index_reg = 0;
  bool has_offset = false;
  bool negative = false;
  Token offset;                 // Number, or Ident naming a param / ncpu
};

struct POperand {
  enum class K { Reg, Num, Name, Mem } k = K::Num;
  int col = 0;
  uint8_t reg = 0;
  int64_t num = 0;
  std::string name;
  PMem mem;
};

struct PInstr {
  const OpInfo* info = nullptr;
  uint8_t size = 8;
  std::vector<POperand> ops;
  int line = 0, col = 0;
};

struct PVar {
  Variable::Kind kind = Variable::Kind::Shared;
  std::string name;
  Token count;                  // .percpu words / .array count: Number or Ident
  bool packed = false;
  int line = 0, col = 0, packed_col = 0;
};

struct PParam {
  int64_t value = 0;
  int line = 0;
};

struct PLabel {
  int index = 0;
  int line = 0, col = 0;
};

bool is_register_name(const std::string& s) {
  if (s.size() < 2 || s[0] != 'r') return false;
  return std::all_of(s.begin() + 1, s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string suggest(const std::string& word, const std::vector<std::string>& candidates) {
  std::string n = nearest(word, candidates);
  return n.empty() ? std::string() : " (did you mean '" + n + "'?)";
}

class Assembler {
 public:
  Assembler(const std::string& src, const AssembleOptions& opt) : src_(src), opt_(opt) {}

  Program run() {
    if (opt_.ncpu < 1) fail(1, 1, "ncpu must be at least 1, got " + std::to_string(opt_.ncpu));
    if (opt_.line_bytes < 8 || (opt_.line_bytes & (opt_.line_bytes - 1)) != 0)
      fail(1, 1, "line size must be a power of two of at least 8 bytes, got " + std::to_string(opt_.line_bytes));
    parse_all();
    prog_.file = opt_.file;
    prog_.trace_mode = opt_.tracepoints;
    if (prog_.name.empty()) fail(1, 1, "missing 'lock NAME' line");
    apply_overrides();
    layout();
    for (const auto& pi : pinstrs_) prog_.code.push_back(resolve(pi));
    finish_labels();
    return std::move(prog_);
  }

 private:
  const std::string& src_;
  const AssembleOptions& opt_;
  Program prog_;
  int line_ = 0;                         // line being parsed (pass 1)
  bool have_capacity_ = false;
  int lock_line_ = 0, capacity_line_ = 0;
  Token capacity_name_;                  // `capacity NAME`: resolved once the params are final
  std::vector<PVar> pvars_;
  std::map<std::string, PParam> pparams_;
  std::vector<std::string> param_order_;
  std::map<std::string, PLabel> plabels_;
  std::vector<PInstr> pinstrs_;

  [[noreturn]] void fail(int line, int col, const std::string& msg) const {
    throw InputError(located(opt_.file, line, col, msg));
  }

  // ---- pass 1 -------------------------------------------------------------------------------

  void parse_all() {
    size_t start = 0;
    while (start <= src_.size()) {
      size_t end = src_.find('\n', start);
      if (end == std::string::npos) end = src_.size();
      std::string text = src_.substr(start, end - start);
      if (!text.empty() && text.back() == '\r') text.pop_back();
      ++line_;
      parse_line(lex_line(text, opt_.file, line_));
      start = end + 1;
    }
  }

  // A declared name: no dots, not a register, not a reserved word.
  void check_name(const Token& t, const char* what) const {
    if (t.kind != TK::Ident) fail(line_, t.col, std::string("expected ") + what + " name, got '" + t.text + "'");
    if (t.text.find('.') != std::string::npos) fail(line_, t.col, "invalid name '" + t.text + "'");
    if (is_register_name(t.text)) fail(line_, t.col, "'" + t.text + "' is a register, not a name");
    if (t.text == "tid" || t.text == "ncpu" || t.text == "numa_node") fail(line_, t.col, "'" + t.text + "' is reserved");
  }

  void expect_end(const std::vector<Token>& t, size_t pos) const {
    if (pos < t.size()) fail(line_, t[pos].col, "unexpected '" + t[pos].text + "' at end of line");
  }

  void parse_line(const std::vector<Token>& t) {
    size_t pos = 0;
    // Labels: `name:` (several may precede one statement).
    while (pos + 1 < t.size() && t[pos].kind == TK::Ident && t[pos + 1].text == ":" &&
           t[pos + 1].kind == TK::Punct) {
      check_name(t[pos], "a label");
      auto it = plabels_.find(t[pos].text);
      if (it != plabels_.end())
        fail(line_, t[pos].col,
             "duplicate label '" + t[pos].text + "' (first defined at line " + std::to_string(it->second.line) + ")");
      plabels_[t[pos].text] = PLabel{int(pinstrs_.size()), line_, t[pos].col};
      pos += 2;
    }
    if (pos == t.size()) return;
    const Token& head = t[pos];
    if (head.kind != TK::Ident) fail(line_, head.col, "expected a statement, got '" + head.text + "'");
    // `.ontrace STATEMENT`: the statement exists only with workload.tracepoints: on (the
    // out-of-line code a tracepoint's static key jumps to, e.g. "are there waiters?").
    if (head.text == ".ontrace") {
      if (pos + 1 == t.size()) fail(line_, head.col, "expected an instruction after '.ontrace'");
      if (t[pos + 1].kind == TK::Ident && t[pos + 1].text[0] == '.')
        fail(line_, t[pos + 1].col, "'.ontrace' takes an instruction, not a directive");
      const size_t before = pinstrs_.size();
      parse_instr(t, pos + 1);
      if (opt_.tracepoints != TraceMode::On) pinstrs_.resize(before);
      return;
    }
    if (head.text[0] == '.') return parse_directive(t, pos);
    if (head.text == "lock") return parse_lock(t, pos);
    if (head.text == "capacity") return parse_capacity(t, pos);
    if (head.text == "param") return parse_param(t, pos);
    parse_instr(t, pos);
  }

  void parse_lock(const std::vector<Token>& t, size_t pos) {
    if (lock_line_) fail(line_, t[pos].col, "duplicate 'lock' line (first at line " + std::to_string(lock_line_) + ")");
    if (pos + 1 >= t.size()) fail(line_, t[pos].col, "expected a lock name after 'lock'");
    check_name(t[pos + 1], "a lock");
    prog_.name = t[pos + 1].text;
    lock_line_ = line_;
    expect_end(t, pos + 2);
  }

  void parse_capacity(const std::vector<Token>& t, size_t pos) {
    if (have_capacity_)
      fail(line_, t[pos].col, "duplicate 'capacity' line (first at line " + std::to_string(capacity_line_) + ")");
    if (pos + 1 < t.size() && t[pos + 1].kind == TK::Ident) {  // a param's name (or ncpu)
      capacity_name_ = t[pos + 1];
      capacity_name_.num = uint64_t(line_);  // remembered for the message
    } else {
      if (pos + 1 >= t.size() || t[pos + 1].kind != TK::Number)
        fail(line_, pos + 1 < t.size() ? t[pos + 1].col : t[pos].col, "expected a number or a parameter name after 'capacity'");
      if (t[pos + 1].num < 1 || t[pos + 1].num > 1000000)
        fail(line_, t[pos + 1].col, "capacity must be between 1 and 1000000, got " + t[pos + 1].text);
      prog_.capacity = int(t[pos + 1].num);
    }
    have_capacity_ = true;
    capacity_line_ = line_;
    expect_end(t, pos + 2);
  }

  // param NAME = VALUE   (VALUE: an integer, possibly negative, or ncpu)
  void parse_param(const std::vector<Token>& t, size_t pos) {
    if (pos + 1 >= t.size()) fail(line_, t[pos].col, "expected a parameter name after 'param'");
    const Token& name = t[pos + 1];
    check_name(name, "a parameter");
    auto it = pparams_.find(name.text);
    if (it != pparams_.end())
      fail(line_, name.col,
           "duplicate parameter '" + name.text + "' (first declared at line " + std::to_string(it->second.line) + ")");
    if (pos + 2 >= t.size() || t[pos + 2].text != "=")
      fail(line_, pos + 2 < t.size() ? t[pos + 2].col : name.col, "expected '=' after the parameter name");
    size_t v = pos + 3;
    if (v >= t.size()) fail(line_, t[pos + 2].col, "expected a value after '='");
    int64_t value;
    size_t next;
    if (t[v].kind == TK::Ident && t[v].text == "ncpu") {
      value = opt_.ncpu;
      next = v + 1;
    } else {
      auto n = signed_number(t, v, &next);
      if (!n) fail(line_, t[v].col, "expected an integer value for parameter '" + name.text + "', got '" + t[v].text + "'");
      value = *n;
    }
    expect_end(t, next);
    pparams_[name.text] = PParam{value, line_};
    param_order_.push_back(name.text);
  }

  // A Number or '-' Number at t[pos]; nullopt when t[pos] is neither. Decimal literals must fit
  // int64; hex literals are bit patterns (0xffffffffffffffff is -1).
  std::optional<int64_t> signed_number(const std::vector<Token>& t, size_t pos, size_t* next) const {
    bool neg = false;
    size_t p = pos;
    if (p < t.size() && t[p].kind == TK::Punct && t[p].text == "-" && p + 1 < t.size() && t[p + 1].kind == TK::Number) {
      neg = true;
      ++p;
    }
    if (p >= t.size() || t[p].kind != TK::Number) return std::nullopt;
    *next = p + 1;
    return number_value(t[p], neg, line_);
  }

  int64_t number_value(const Token& n, bool neg, int line) const {
    const uint64_t lim = uint64_t(1) << 63;
    bool hex = n.text.size() > 2 && (n.text[1] == 'x' || n.text[1] == 'X');
    if (neg) {
      if (n.num > lim) fail(line, n.col, "number '-" + n.text + "' is out of range");
      return n.num == lim ? std::numeric_limits<int64_t>::min() : -int64_t(n.num);
    }
    if (!hex && n.num >= lim) fail(line, n.col, "number '" + n.text + "' is out of range");
    return int64_t(n.num);
  }

  void parse_directive(const std::vector<Token>& t, size_t pos) {
    const Token& d = t[pos];
    if (d.text == ".can_fail" || d.text == ".trylock_info") {  // flags: a lock whose acquire can fail
      prog_.can_fail = true;
      if (d.text == ".trylock_info") prog_.trylock_info = true;
      return expect_end(t, pos + 1);
    }
    PVar v;
    if (d.text == ".shared") v.kind = Variable::Kind::Shared;
    else if (d.text == ".percpu") v.kind = Variable::Kind::PerCpu;
    else if (d.text == ".array") v.kind = Variable::Kind::Array;
    else
      fail(line_, d.col, "unknown directive '" + d.text + "'" + suggest(d.text, {".shared", ".percpu", ".array", ".can_fail", ".trylock_info"}));
    if (pos + 1 >= t.size()) fail(line_, d.col, "expected a variable name after '" + d.text + "'");
    const Token& name = t[pos + 1];
    check_name(name, "a variable");
    for (const auto& o : pvars_)
      if (o.name == name.text)
        fail(line_, name.col,
             "duplicate variable '" + name.text + "' (first declared at line " + std::to_string(o.line) + ")");
    v.name = name.text;
    v.line = line_;
    v.col = name.col;
    size_t p = pos + 2;
    if (v.kind != Variable::Kind::Shared) {
      const char* what = v.kind == Variable::Kind::PerCpu ? "a word count" : "an element count";
      if (p >= t.size()) fail(line_, name.col, std::string("expected ") + what + " after '" + name.text + "'");
      if (t[p].kind == TK::Punct) fail(line_, t[p].col, std::string("expected ") + what + ", got '" + t[p].text + "'");
      v.count = t[p++];
    }
    if (p < t.size()) {
      if (t[p].text != "packed") fail(line_, t[p].col, "expected 'packed' or end of line, got '" + t[p].text + "'");
      v.packed = true;
      v.packed_col = t[p].col;
      ++p;
    }
    expect_end(t, p);
    pvars_.push_back(std::move(v));
  }

  void parse_instr(const std::vector<Token>& t, size_t pos) {
    const Token& m = t[pos];
    std::string base = m.text, suffix;
    size_t dot = base.find('.');
    if (dot != std::string::npos) {
      suffix = base.substr(dot + 1);
      base = base.substr(0, dot);
    }
    PInstr pi;
    pi.line = line_;
    pi.col = m.col;
    pi.info = find_op(base);
    if (!pi.info) {
      std::vector<std::string> names;
      for (auto* o = op_table_begin(); o != op_table_end(); ++o) names.push_back(o->name);
      for (const char* kw : {"lock", "capacity", "param"}) names.push_back(kw);
      fail(line_, m.col, "unknown mnemonic '" + base + "'" + suggest(base, names));
    }
    if (dot != std::string::npos) {
      if (!pi.info->sized) fail(line_, m.col, "'" + base + "' takes no size suffix");
      if (suffix == "8") pi.size = 1;
      else if (suffix == "16") pi.size = 2;
      else if (suffix == "32") pi.size = 4;
      else if (suffix == "64") pi.size = 8;
      else fail(line_, m.col, "invalid size suffix '." + suffix + "' (expected .8, .16, .32 or .64)");
    }
    // Operands: split at top-level commas.
    size_t p = pos + 1;
    while (p < t.size()) {
      size_t e = p;
      int depth = 0;
      while (e < t.size()) {
        if (t[e].kind == TK::Punct) {
          if (t[e].text == "[") ++depth;
          else if (t[e].text == "]") --depth;
          else if (t[e].text == "," && depth == 0) break;
        }
        ++e;
      }
      if (e == p) fail(line_, t[p].col, "expected an operand before ','");
      pi.ops.push_back(parse_operand(t, p, e));
      if (e < t.size()) {
        if (e + 1 == t.size()) fail(line_, t[e].col, "expected an operand after ','");
        ++e;
      }
      p = e;
    }
    size_t want = std::string(pi.info->sig).size();
    if (pi.ops.size() != want) {
      std::string n = want == 0 ? "no operands" : want == 1 ? "1 operand" : std::to_string(want) + " operands";
      fail(line_, m.col, "'" + base + "' takes " + n + ": " + pi.info->usage);
    }
    // workload.tracepoints: off removes the site (zero cycles, no micro-op): a label on it
    // names the next instruction. Its operand is still checked.
    if (pi.info->op == Op::Trace) {
      const POperand& o = pi.ops[0];
      if (o.k != POperand::K::Name) fail(line_, o.col, "expected a tracepoint name, got " + describe(o));
      if (o.name == "tid" || o.name == "ncpu") fail(line_, o.col, "'" + o.name + "' is reserved");
      if (opt_.tracepoints == TraceMode::Off) return;
    }
    pinstrs_.push_back(std::move(pi));
  }

  uint8_t reg_number(const Token& t) const {
    unsigned long n = std::stoul(t.text.substr(1).substr(0, 6));
    if (t.text.size() > 7 || n > 15) fail(line_, t.col, "register '" + t.text + "' is out of range (r0-r15)");
    return uint8_t(n);
  }

  POperand parse_operand(const std::vector<Token>& t, size_t b, size_t e) const {
    POperand o;
    o.col = t[b].col;
    if (t[b].kind == TK::Punct && t[b].text == "[") {
      o.k = POperand::K::Mem;
      o.mem = parse_mem(t, b, e);
      return o;
    }
    size_t next = b;
    if (auto n = signed_number(t, b, &next)) {
      o.k = POperand::K::Num;
      o.num = *n;
    } else if (t[b].kind == TK::Ident) {
      if (is_register_name(t[b].text)) {
        o.k = POperand::K::Reg;
        o.reg = reg_number(t[b]);
      } else {
        if (t[b].text.find('.') != std::string::npos) fail(line_, t[b].col, "invalid name '" + t[b].text + "'");
        o.k = POperand::K::Name;
        o.name = t[b].text;
      }
      next = b + 1;
    } else {
      fail(line_, t[b].col, "expected an operand, got '" + t[b].text + "'");
    }
    if (next < e) fail(line_, t[next].col, "unexpected '" + t[next].text + "' after the operand");
    return o;
  }

  // [name] [name + k] [name - k] [name @ rX] [name @ rX + k] [rX] [rX + k]; k a number or param.
  PMem parse_mem(const std::vector<Token>& t, size_t b, size_t e) const {
    PMem m;
    if (t[e - 1].kind != TK::Punct || t[e - 1].text != "]" || e - b < 2)
      fail(line_, t[e - 1].col, "expected ']' to close the address");
    size_t p = b + 1, end = e - 1;
    if (p == end) fail(line_, t[end].col, "empty address");
    if (t[p].kind != TK::Ident) fail(line_, t[p].col, "expected a variable or register in the address, got '" + t[p].text + "'");
    m.base_col = t[p].col;
    if (is_register_name(t[p].text)) {
      m.base_is_reg = true;
      m.base_reg = reg_number(t[p]);
    } else {
      if (t[p].text.find('.') != std::string::npos) fail(line_, t[p].col, "invalid name '" + t[p].text + "'");
      m.base_name = t[p].text;
    }
    ++p;
    if (p < end && t[p].text == "@" && t[p].kind == TK::Punct) {
      if (m.base_is_reg) fail(line_, t[p].col, "only a variable can be indexed with '@'");
      if (p + 1 >= end) fail(line_, t[p].col, "expected an index register after '@'");
      const Token& r = t[p + 1];
      if (r.kind != TK::Ident || !is_register_name(r.text))
        fail(line_, r.col, "the index after '@' must be a register, got '" + r.text + "'");
      m.indexed = true;
      m.index_reg = reg_number(r);
      p += 2;
    }
    if (p < end && t[p].kind == TK::Punct && (t[p].text == "+" || t[p].text == "-")) {
      m.negative = t[p].text == "-";
      if (p + 1 >= end) fail(line_, t[p].col, "expected an offset after '" + t[p].text + "'");
      const Token& k = t[p + 1];
      if (k.kind == TK::Punct) fail(line_, k.col, "expected an offset, got '" + k.text + "'");
      m.has_offset = true;
      m.offset = k;
      p += 2;
    }
    if (p < end) fail(line_, t[p].col, "unexpected '" + t[p].text + "' in the address");
    return m;
  }

  // ---- pass 2 -------------------------------------------------------------------------------

  std::vector<std::string> param_names() const {
    std::vector<std::string> v;
    for (const auto& [k, _] : pparams_) v.push_back(k);
    return v;
  }

  void apply_overrides() {
    for (const auto& [k, p] : pparams_) prog_.params[k] = p.value;
    for (const auto& [k, v] : opt_.params) {
      if (!pparams_.count(k))
        fail(1, 1, "unknown parameter '" + k + "' in lock_params" + suggest(k, param_names()) +
                       (pparams_.empty() ? "; lock '" + prog_.name + "' has no parameters" : ""));
      prog_.params[k] = v;
    }
    if (!capacity_name_.text.empty()) {
      const int line = int(capacity_name_.num);
      auto k = constant(capacity_name_.text);
      if (!k) {
        const std::string near = suggest(capacity_name_.text, param_names());
        fail(line, capacity_name_.col,
             "capacity: unknown parameter '" + capacity_name_.text + "'" +
                 (near.empty() ? std::string(" (expected a number or a param)") : near));
      }
      if (*k < 1 || *k > 1000000)
        fail(line, capacity_name_.col,
             "capacity must be between 1 and 1000000, got " + std::to_string(*k) + " (from '" + capacity_name_.text + "')");
      prog_.capacity = int(*k);
      prog_.capacity_param = capacity_name_.text;
    }
  }

  // A constant written as a name: a parameter or ncpu.
  std::optional<int64_t> constant(const std::string& name) const {
    if (name == "ncpu") return opt_.ncpu;
    auto it = prog_.params.find(name);
    if (it != prog_.params.end()) return it->second;
    return std::nullopt;
  }

  [[noreturn]] void unknown_name(int line, int col, const std::string& name) const {
    for (const auto& v : prog_.vars)
      if (v.name == name)
        fail(line, col, "'" + name + "' is a variable, not a value (lea rD, " + name + " gives its address)");
    std::vector<std::string> c = param_names();
    c.push_back("tid");
    c.push_back("ncpu");
    c.push_back("numa_node");
    fail(line, col, "unknown name '" + name + "'" + suggest(name, c));
  }

  static uint64_t round_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

  // Layout rules (program.hpp): a variable starts on a fresh line unless it is a packed
  // .shared, which takes the next 8-byte slot on the line where the previous variable ends.
  void layout() {
    const uint64_t line = uint64_t(opt_.line_bytes);
    uint64_t end = 0;  // end of the last variable's data (not rounded)
    const PVar* prev = nullptr;
    for (const auto& pv : pvars_) {
      Variable v;
      v.kind = pv.kind;
      v.name = pv.name;
      v.packed = pv.packed;
      v.line = pv.line;
      if (pv.kind == Variable::Kind::Shared) {
        if (pv.packed) {
          if (!prev) fail(pv.line, pv.packed_col, "packed variable '" + pv.name + "' has no previous variable to share a line with");
          if (end % line == 0)
            fail(pv.line, pv.packed_col,
                 "packed variable '" + pv.name + "' does not fit on the line of '" + prev->name + "'");
          v.offset = end;
        } else {
          v.offset = round_up(end, line);
        }
        end = v.offset + 8;
      } else {
        int64_t n;
        const Token& c = pv.count;
        if (c.kind == TK::Number) {
          n = c.num > uint64_t(1) << 40 ? int64_t(1) << 40 : int64_t(c.num);
        } else {
          auto k = constant(c.text);
          if (!k) unknown_name(pv.line, c.col, c.text);
          n = *k;
        }
        bool percpu = pv.kind == Variable::Kind::PerCpu;
        const char* what = percpu ? "word count" : "element count";
        if (n < 1) fail(pv.line, c.col, std::string(what) + " of '" + pv.name + "' must be at least 1, got " + std::to_string(n));
        if (n > (int64_t(1) << 24)) fail(pv.line, c.col, std::string(what) + " of '" + pv.name + "' is too large: " + std::to_string(n));
        v.offset = round_up(end, line);
        if (percpu) {
          v.words = uint64_t(n);
          v.count = uint64_t(opt_.ncpu);
          v.stride = pv.packed ? v.words * 8 : round_up(v.words * 8, line);
        } else {
          v.words = 1;
          v.count = uint64_t(n);
          v.stride = pv.packed ? 8 : line;
        }
        end = v.offset + (v.count - 1) * v.stride + v.words * 8;
      }
      // The arena is real memory in the native harness and may all be touched in the
      // simulator: bound it (limits.hpp) where the variable that crosses the bound is.
      if (const uint64_t max_mib = limits::get(limits::Id::SimMemoryMiB); end > (max_mib << 20))
        fail(pv.line, 1,
             limits::exceeded(limits::Id::SimMemoryMiB, "the lock's memory (up to '" + pv.name + "')", (end + (1 << 20) - 1) >> 20));
      prog_.vars.push_back(v);
      prev = &pv;
    }
    prog_.arena_bytes = round_up(end, line);
  }

  static std::string describe(const POperand& o) {
    switch (o.k) {
      case POperand::K::Reg: return "register r" + std::to_string(o.reg);
      case POperand::K::Num: return "immediate " + std::to_string(o.num);
      case POperand::K::Name: return "'" + o.name + "'";
      case POperand::K::Mem: return "an address";
    }
    return "";
  }

  Operand dest(const POperand& o, int line) const {
    if (o.k != POperand::K::Reg) fail(line, o.col, "expected a destination register, got " + describe(o));
    return Operand{Operand::Kind::Reg, o.reg, 0};
  }

  // Register-like source: a register or tid.
  Operand source_reg(const POperand& o, int line) const {
    if (o.k == POperand::K::Reg) return Operand{Operand::Kind::Reg, o.reg, 0};
    if (o.k == POperand::K::Name && o.name == "tid") return Operand{Operand::Kind::Tid, 0, 0};
    if (o.k == POperand::K::Name && o.name == "numa_node") return Operand{Operand::Kind::Node, 0, 0};
    fail(line, o.col, "expected a register, got " + describe(o));
  }

  Operand immediate(const POperand& o, int line) const {
    if (o.k == POperand::K::Num) return Operand{Operand::Kind::Imm, 0, o.num};
    if (o.k == POperand::K::Name) {
      if (o.name == "tid") return Operand{Operand::Kind::Tid, 0, 0};
      if (o.name == "numa_node") return Operand{Operand::Kind::Node, 0, 0};
      auto k = constant(o.name);
      if (!k) unknown_name(line, o.col, o.name);
      return Operand{Operand::Kind::Imm, 0, *k};
    }
    fail(line, o.col, "expected an immediate, got " + describe(o));
  }

  Operand value(const POperand& o, int line) const {
    if (o.k == POperand::K::Reg) return Operand{Operand::Kind::Reg, o.reg, 0};
    if (o.k == POperand::K::Mem) fail(line, o.col, "expected a register or an immediate, got an address");
    return immediate(o, line);
  }

  int var_or_fail(const std::string& name, int line, int col) const {
    int i = prog_.var_index(name);
    if (i < 0) {
      std::vector<std::string> c;
      for (const auto& v : prog_.vars) c.push_back(v.name);
      fail(line, col, "unknown variable '" + name + "'" + suggest(name, c));
    }
    return i;
  }

  // `size` is the access width; 0 for lea (no access: no alignment or arena check).
  Address address(const POperand& o, int line, unsigned size) const {
    const PMem& m = o.mem;
    Address a;
    if (m.has_offset) {
      int64_t k;
      if (m.offset.kind == TK::Number) {
        k = number_value(m.offset, false, line);
      } else {
        if (m.offset.text == "tid") fail(line, m.offset.col, "an address offset must be a constant, got 'tid'");
        auto c = constant(m.offset.text);
        if (!c) unknown_name(line, m.offset.col, m.offset.text);
        k = *c;
      }
      a.offset = m.negative ? -k : k;
    }
    if (m.base_is_reg) {
      a.kind = Address::Kind::Reg;
      a.reg = m.base_reg;
    } else {
      a.var = var_or_fail(m.base_name, line, m.base_col);
      const Variable& v = prog_.vars[size_t(a.var)];
      if (m.indexed) {
        if (v.kind == Variable::Kind::Shared)
          fail(line, m.base_col, "'" + v.name + "' is a .shared variable; only .percpu and .array variables can be indexed with '@'");
        a.kind = Address::Kind::VarIndexed;
        a.reg = m.index_reg;
      } else {
        a.kind = Address::Kind::Var;
      }
    }
    if (size == 0) return a;
    if (a.offset % int64_t(size) != 0)
      fail(line, o.col, "misaligned access: offset " + std::to_string(a.offset) + " is not a multiple of the access size " +
                            std::to_string(size));
    if (a.kind != Address::Kind::Reg) {
      // Every thread/element the address can name must stay inside the arena.
      const Variable& v = prog_.vars[size_t(a.var)];
      bool spans = v.kind == Variable::Kind::PerCpu || a.kind == Address::Kind::VarIndexed;
      int64_t lo = int64_t(v.offset) + a.offset;
      int64_t hi = lo + (spans ? int64_t((v.count - 1) * v.stride) : 0) + int64_t(size);
      if (lo < 0 || hi > int64_t(prog_.arena_bytes))
        fail(line, o.col, "address is outside the arena (offset " + std::to_string(a.offset) + " from '" + v.name + "', arena " +
                              std::to_string(prog_.arena_bytes) + " bytes)");
    }
    return a;
  }

  Address mem_operand(const POperand& o, int line, unsigned size) const {
    if (o.k != POperand::K::Mem) fail(line, o.col, "expected an address [..], got " + describe(o));
    return address(o, line, size);
  }

  int label(const POperand& o, int line) const {
    if (o.k != POperand::K::Name) fail(line, o.col, "expected a label, got " + describe(o));
    auto it = plabels_.find(o.name);
    if (it == plabels_.end()) {
      std::vector<std::string> c;
      for (const auto& [k, _] : plabels_) c.push_back(k);
      fail(line, o.col, "unknown label '" + o.name + "'" + suggest(o.name, c));
    }
    return it->second.index;
  }

  // A sized op's immediate must be representable in its width, signed or unsigned
  // (st.8 [x], -1 and st.8 [x], 255 both write 0xff).
  void check_fits(const Operand& v, unsigned size, int line, int col) const {
    if (v.kind != Operand::Kind::Imm || size >= 8) return;
    int bits = int(size) * 8;
    int64_t lo = -(int64_t(1) << (bits - 1)), hi = (int64_t(1) << bits) - 1;
    if (v.imm < lo || v.imm > hi)
      fail(line, col, "immediate " + std::to_string(v.imm) + " does not fit in " + std::to_string(bits) + " bits");
  }

  // The index of a tracepoint name in Program::trace_names (added on first use).
  int64_t trace_id(const std::string& name) {
    auto& names = prog_.trace_names;
    for (size_t i = 0; i < names.size(); ++i)
      if (names[i] == name) return int64_t(i);
    names.push_back(name);
    return int64_t(names.size() - 1);
  }

  Instr resolve(const PInstr& pi) {
    Instr in;
    in.op = pi.info->op;
    in.size = pi.size;
    in.line = pi.line;
    in.col = pi.col;
    const std::string sig = pi.info->sig;
    const int L = pi.line;
    Operand* src[] = {&in.a, &in.b, &in.c};
    size_t next_src = 0;
    for (size_t i = 0; i < sig.size(); ++i) {
      const POperand& o = pi.ops[i];
      switch (sig[i]) {
        case 'D': in.rd = dest(o, L).reg; break;
        case 'R': *src[next_src++] = source_reg(o, L); break;
        case 'I': *src[next_src++] = immediate(o, L); break;
        case 'V': {
          Operand v = value(o, L);
          if (pi.info->sized) check_fits(v, in.size, L, o.col);
          *src[next_src++] = v;
          break;
        }
        case 'M': in.addr = mem_operand(o, L, in.size); break;
        case 'A':
          if (o.k == POperand::K::Name) {
            in.addr.kind = Address::Kind::Var;
            in.addr.var = var_or_fail(o.name, L, o.col);
          } else if (o.k == POperand::K::Mem) {
            in.addr = address(o, L, 0);
          } else {
            fail(L, o.col, "expected a variable name or an address, got " + describe(o));
          }
          break;
        case 'L': in.target = label(o, L); break;
        case 'N': in.a = Operand{Operand::Kind::Imm, 0, trace_id(o.name)}; break;
      }
    }
    if (in.op == Op::Work && in.a.kind == Operand::Kind::Imm && in.a.imm < 0)
      fail(L, pi.ops[0].col, "work needs a non-negative cycle count, got " + std::to_string(in.a.imm));
    if (in.op == Op::Rand && in.a.kind == Operand::Kind::Imm && in.b.kind == Operand::Kind::Imm && in.a.imm > in.b.imm)
      fail(L, pi.ops[1].col,
           "empty range: lo " + std::to_string(in.a.imm) + " is greater than hi " + std::to_string(in.b.imm));
    return in;
  }

  void finish_labels() {
    for (const auto& [name, l] : plabels_) {
      if (l.index >= int(prog_.code.size()))
        fail(l.line, l.col, "label '" + name + "' has no instruction after it");
      prog_.labels[name] = l.index;
    }
    auto entry = [&](const char* n) { auto it = prog_.labels.find(n); return it == prog_.labels.end() ? -1 : it->second; };
    prog_.entry_init = entry("init");
    prog_.entry_acquire = entry("acquire");
    prog_.entry_release = entry("release");
    prog_.entry_read_acquire = entry("read_acquire");
    prog_.entry_read_release = entry("read_release");
    if ((prog_.entry_read_acquire < 0) != (prog_.entry_read_release < 0)) {
      const auto& l = plabels_.at(prog_.entry_read_acquire < 0 ? "read_release" : "read_acquire");
      fail(l.line, l.col, prog_.entry_read_acquire < 0 ? "'read_release:' without 'read_acquire:'"
                                                       : "'read_acquire:' without 'read_release:'");
    }
    if (prog_.entry_acquire < 0) fail(1, 1, "missing 'acquire:' label");
    if (prog_.entry_release < 0) fail(1, 1, "missing 'release:' label");
    // Running past the last instruction has no meaning; the last one must leave.
    const Instr& last = prog_.code.back();
    if (last.op != Op::Ret && last.op != Op::Jmp)
      fail(last.line, last.col, "the program falls off its end: the last instruction must be ret or jmp");
  }
};

}  // namespace

Program assemble(const std::string& source, const AssembleOptions& opt) {
  return Assembler(source, opt).run();
}

}  // namespace lockstep::isa

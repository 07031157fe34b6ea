// The micro-op language (DESIGN.md §4, docs/isa.md): assembler, layout, errors,
// disassembly, semantics.hpp, the built-in locks and the lock library.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.hpp"
#include "config/config.hpp"
#include "isa/program.hpp"
#include "isa/semantics.hpp"
#include "workload/lock_library.hpp"

using namespace lockstep;
using namespace lockstep::isa;

namespace {

const char* kMcs = R"(lock mcs
.shared tail
.percpu node 2              # +0 next, +8 locked

acquire:
  lea   r1, node
  st    [r1], 0
  st    [r1 + 8], 1
  xchg  r2, [tail], r1
  beq   r2, 0, done
  st    [r2], r1
spin:
  ld    r3, [r1 + 8]
  beq   r3, 0, done
  pause
  jmp   spin
done:
  ret

release:
  lea   r1, node
  ld    r2, [r1]
  bne   r2, 0, handoff
  cas   r3, [tail], r1, 0
  beq   r3, r1, out
wait:
  ld    r2, [r1]
  bne   r2, 0, handoff
  pause
  jmp   wait
handoff:
  st    [r2 + 8], 0
out:
  ret
)";

AssembleOptions opts(int ncpu = 4, std::map<std::string, int64_t> params = {}) {
  AssembleOptions o;
  o.file = "t.lock";
  o.ncpu = ncpu;
  o.params = std::move(params);
  return o;
}

Program asm_(const std::string& src, const AssembleOptions& o = opts()) { return assemble(src, o); }

// A minimal valid program around `body` (instructions placed under acquire:).
std::string wrap(const std::string& decls, const std::string& body) {
  return "lock t\n" + decls + "acquire:\n" + body + "\n  ret\nrelease:\n  ret\n";
}

// The message of the InputError that assembling throws ("" when it does not throw).
std::string error_of(const std::string& src, const AssembleOptions& o = opts()) {
  try {
    assemble(src, o);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

// Error for a one-line body under wrap(): the offending line is line 3 with no decls.
std::string body_error(const std::string& body, const std::string& decls = "") { return error_of(wrap(decls, body)); }

bool same_operand(const Operand& x, const Operand& y) {
  return x.kind == y.kind && x.reg == y.reg && x.imm == y.imm;
}
bool same_instr(const Instr& x, const Instr& y) {
  return x.op == y.op && x.size == y.size && x.rd == y.rd && same_operand(x.a, y.a) && same_operand(x.b, y.b) &&
         same_operand(x.c, y.c) && x.addr.kind == y.addr.kind && x.addr.var == y.addr.var && x.addr.reg == y.addr.reg &&
         x.addr.offset == y.addr.offset && x.target == y.target;
}

void check_round_trip(const Program& p, const AssembleOptions& o) {
  std::string listing = disassemble(p);
  Program q = assemble(listing, o);
  INFO(listing);
  REQUIRE(q.code.size() == p.code.size());
  for (size_t i = 0; i < p.code.size(); ++i) CHECK_MESSAGE(same_instr(p.code[i], q.code[i]), "instruction " << i);
  CHECK(q.labels == p.labels);
  CHECK(q.params == p.params);
  CHECK(q.arena_bytes == p.arena_bytes);
  CHECK(q.name == p.name);
  CHECK(q.capacity == p.capacity);
  CHECK(q.entry_init == p.entry_init);
  REQUIRE(q.vars.size() == p.vars.size());
  for (size_t i = 0; i < p.vars.size(); ++i) {
    CHECK(q.vars[i].name == p.vars[i].name);
    CHECK(q.vars[i].offset == p.vars[i].offset);
    CHECK(q.vars[i].stride == p.vars[i].stride);
    CHECK(q.vars[i].count == p.vars[i].count);
  }
}

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::filesystem::path> lock_files() {
  std::vector<std::filesystem::path> v;
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(LOCKSTEP_SOURCE_DIR) / "locks"))
    if (e.path().extension() == ".lock") v.push_back(e.path());
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

// ---- the DESIGN.md example ---------------------------------------------------------------

TEST_CASE("the MCS example assembles: instructions, labels, layout") {
  Program p = asm_(kMcs);
  CHECK(p.name == "mcs");
  CHECK(p.file == "t.lock");
  CHECK(p.capacity == 1);
  REQUIRE(p.code.size() == 22);
  CHECK(p.entry_init == -1);
  CHECK(p.entry_acquire == 0);
  CHECK(p.entry_release == 11);
  CHECK(p.labels == std::map<std::string, int>{{"acquire", 0}, {"spin", 6}, {"done", 10}, {"release", 11},
                                               {"wait", 16}, {"handoff", 20}, {"out", 21}});
  REQUIRE(p.vars.size() == 2);
  CHECK(p.vars[0].name == "tail");
  CHECK(p.vars[0].kind == Variable::Kind::Shared);
  CHECK(p.vars[0].offset == 0);
  CHECK(p.vars[1].name == "node");
  CHECK(p.vars[1].kind == Variable::Kind::PerCpu);
  CHECK(p.vars[1].offset == 64);
  CHECK(p.vars[1].stride == 64);
  CHECK(p.vars[1].count == 4);
  CHECK(p.vars[1].words == 2);
  CHECK(p.arena_bytes == 320);  // node blocks end at 64 + 3*64 + 16 = 272 -> 5 lines

  const Instr& lea = p.code[0];
  CHECK(lea.op == Op::Lea);
  CHECK(lea.rd == 1);
  CHECK(lea.addr.kind == Address::Kind::Var);
  CHECK(lea.addr.var == 1);
  CHECK(lea.line == 6);
  CHECK(lea.col == 3);
  const Instr& st = p.code[2];  // st [r1 + 8], 1
  CHECK(st.op == Op::St);
  CHECK(st.size == 8);
  CHECK(st.addr.kind == Address::Kind::Reg);
  CHECK(st.addr.reg == 1);
  CHECK(st.addr.offset == 8);
  CHECK(st.a.kind == Operand::Kind::Imm);
  CHECK(st.a.imm == 1);
  const Instr& beq = p.code[4];  // beq r2, 0, done
  CHECK(beq.op == Op::Beq);
  CHECK(beq.a.kind == Operand::Kind::Reg);
  CHECK(beq.a.reg == 2);
  CHECK(beq.b.kind == Operand::Kind::Imm);
  CHECK(beq.target == 10);
  const Instr& cas = p.code[14];  // cas r3, [tail], r1, 0
  CHECK(cas.op == Op::Cas);
  CHECK(cas.rd == 3);
  CHECK(cas.addr.kind == Address::Kind::Var);
  CHECK(cas.addr.var == 0);
  CHECK(cas.a.kind == Operand::Kind::Reg);
  CHECK(cas.a.reg == 1);
  CHECK(cas.b.kind == Operand::Kind::Imm);
  CHECK(cas.b.imm == 0);
  check_round_trip(p, opts());
}

TEST_CASE("op_name covers every op") {
  CHECK(std::string(op_name(Op::Li)) == "li");
  CHECK(std::string(op_name(Op::FetchOr)) == "fetch_or");
  CHECK(std::string(op_name(Op::FetchAnd)) == "fetch_and");
  CHECK(std::string(op_name(Op::Ret)) == "ret");
  CHECK(std::string(op_name(Op::Stx)) == "stx");
}

// ---- instruction forms --------------------------------------------------------------------

TEST_CASE("operands: registers, immediates, tid, ncpu, params") {
  Program p = asm_(wrap("param k = -7\n",
                        "  li r15, 0x10\n"
                        "  li r1, -42\n"
                        "  li r2, tid\n"
                        "  li r3, ncpu\n"
                        "  add r4, r5, k\n"
                        "  sub r4, tid, r6\n"
                        "  li r7, 0xffffffffffffffff\n"
                        "  li r8, -9223372036854775808\n"
                        "  mov r9, r10"),
                   opts(8));
  CHECK(p.code[0].rd == 15);
  CHECK(p.code[0].a.kind == Operand::Kind::Imm);
  CHECK(p.code[0].a.imm == 16);
  CHECK(p.code[1].a.imm == -42);
  CHECK(p.code[2].a.kind == Operand::Kind::Tid);
  CHECK(p.code[3].a.kind == Operand::Kind::Imm);
  CHECK(p.code[3].a.imm == 8);
  CHECK(p.code[4].op == Op::Add);
  CHECK(p.code[4].a.kind == Operand::Kind::Reg);
  CHECK(p.code[4].a.reg == 5);
  CHECK(p.code[4].b.imm == -7);
  CHECK(p.code[5].a.kind == Operand::Kind::Tid);
  CHECK(p.code[5].b.kind == Operand::Kind::Reg);
  CHECK(p.code[5].b.reg == 6);
  CHECK(p.code[6].a.imm == -1);
  CHECK(p.code[7].a.imm == INT64_MIN);
  CHECK(p.code[8].op == Op::Mov);
  CHECK(p.code[8].a.reg == 10);
  CHECK(p.params.at("k") == -7);
}

TEST_CASE("every addressing form") {
  Program p = asm_(wrap(".shared x\n.shared y\n.percpu n 2\n.array a ncpu\nparam off = 16\n",
                        "  ld r1, [x]\n"
                        "  ld r1, [y + 8]\n"       // 1
                        "  ld r1, [y - 8]\n"       // 2
                        "  ld r1, [a @ r3]\n"      // 3
                        "  ld r1, [n @ r4 + 8]\n"  // 4
                        "  ld r1, [r5]\n"          // 5
                        "  ld r1, [r6 + 24]\n"     // 6
                        "  ld r1, [r6 - 0x10]\n"   // 7
                        "  ld r1, [n + off]\n"     // 8 (wait: n words 2 -> 16 beyond block, still in arena)
                        "  lea r2, n\n"            // 9
                        "  lea r2, [n @ r7]\n"     // 10
                        "  lea r2, [x + 8]"),      // 11
                   opts(4));
  auto A = [&](int i) { return p.code[size_t(i)].addr; };
  CHECK(A(0).kind == Address::Kind::Var);
  CHECK(A(0).var == 0);
  CHECK(A(0).offset == 0);
  CHECK(A(1).var == 1);
  CHECK(A(1).offset == 8);
  CHECK(A(2).offset == -8);
  CHECK(A(3).kind == Address::Kind::VarIndexed);
  CHECK(A(3).var == 3);
  CHECK(A(3).reg == 3);
  CHECK(A(4).kind == Address::Kind::VarIndexed);
  CHECK(A(4).var == 2);
  CHECK(A(4).reg == 4);
  CHECK(A(4).offset == 8);
  CHECK(A(5).kind == Address::Kind::Reg);
  CHECK(A(5).reg == 5);
  CHECK(A(5).offset == 0);
  CHECK(A(6).reg == 6);
  CHECK(A(6).offset == 24);
  CHECK(A(7).offset == -16);
  CHECK(A(8).offset == 16);
  CHECK(p.code[9].op == Op::Lea);
  CHECK(A(9).kind == Address::Kind::Var);
  CHECK(A(9).var == 2);
  CHECK(A(10).kind == Address::Kind::VarIndexed);
  CHECK(A(10).reg == 7);
  CHECK(A(11).offset == 8);
  check_round_trip(p, opts(4));
}

TEST_CASE("size suffixes and the atomics' operands") {
  Program p = asm_(wrap(".shared lock\n",
                        "  ld.8 r1, [lock]\n"
                        "  st.16 [lock + 2], 0xffff\n"
                        "  xchg.16 r1, [lock + 2], r2\n"
                        "  cas.32 r3, [lock], 0, 1\n"
                        "  cas r3, [lock], r4, r5\n"
                        "  faa.32 r1, [lock], -1\n"
                        "  fetch_or.32 r1, [lock], 0x100\n"
                        "  fetch_and.8 r1, [lock + 1], 0\n"
                        "  tas.8 r1, [lock + 7]\n"
                        "  ldx.64 r1, [lock]\n"
                        "  stx r9, [lock], r1\n"
                        "  st.8 [lock], -128\n"
                        "  st [lock], tid"));
  const auto& c = p.code;
  CHECK(c[0].op == Op::Ld);
  CHECK(c[0].size == 1);
  CHECK(c[1].op == Op::St);
  CHECK(c[1].size == 2);
  CHECK(c[1].addr.offset == 2);
  CHECK(c[1].a.imm == 0xffff);
  CHECK(c[2].op == Op::Xchg);
  CHECK(c[2].size == 2);
  CHECK(c[2].a.kind == Operand::Kind::Reg);
  CHECK(c[2].a.reg == 2);
  CHECK(c[3].size == 4);
  CHECK(c[3].a.imm == 0);
  CHECK(c[3].b.imm == 1);
  CHECK(c[4].size == 8);
  CHECK(c[4].a.reg == 4);
  CHECK(c[4].b.reg == 5);
  CHECK(c[5].op == Op::Faa);
  CHECK(c[5].a.imm == -1);
  CHECK(c[6].op == Op::FetchOr);
  CHECK(c[6].a.imm == 256);
  CHECK(c[7].op == Op::FetchAnd);
  CHECK(c[7].size == 1);
  CHECK(c[8].op == Op::Tas);
  CHECK(c[8].addr.offset == 7);
  CHECK(c[9].op == Op::Ldx);
  CHECK(c[9].size == 8);
  CHECK(c[10].op == Op::Stx);
  CHECK(c[10].rd == 9);
  CHECK(c[10].a.reg == 1);
  CHECK(c[11].a.imm == -128);
  CHECK(c[12].a.kind == Operand::Kind::Tid);
  check_round_trip(p, opts());
}

TEST_CASE("order, waiting, time and control ops") {
  Program p = asm_(wrap("param w = 30\n",
                        "top:\n"
                        "  fence\n  pause\n  wfe\n  sev\n"
                        "  work 100\n  work r3\n  work w\n"
                        "  rand r1, 0, 15\n  rand r1, r2, r3\n"
                        "  now r4\n"
                        "  blt r1, -1, top\n  ble r1, r2, top\n  bgt r1, 3, top\n  bge r1, 3, top\n  bne r1, 3, top\n"
                        "  call sub\n  jmp top\n"
                        "sub:\n  ret"));
  const auto& c = p.code;
  CHECK(c[0].op == Op::Fence);
  CHECK(c[1].op == Op::Pause);
  CHECK(c[2].op == Op::Wfe);
  CHECK(c[3].op == Op::Sev);
  CHECK(c[4].op == Op::Work);
  CHECK(c[4].a.imm == 100);
  CHECK(c[5].a.kind == Operand::Kind::Reg);
  CHECK(c[6].a.imm == 30);
  CHECK(c[7].op == Op::Rand);
  CHECK(c[7].a.imm == 0);
  CHECK(c[7].b.imm == 15);
  CHECK(c[8].a.reg == 2);
  CHECK(c[8].b.reg == 3);
  CHECK(c[9].op == Op::Now);
  CHECK(c[9].rd == 4);
  CHECK(c[10].op == Op::Blt);
  CHECK(c[10].b.imm == -1);
  CHECK(c[10].target == 0);
  CHECK(c[15].op == Op::Call);
  CHECK(c[15].target == 17);
  CHECK(c[16].op == Op::Jmp);
  CHECK(c[16].target == 0);
  CHECK(c[17].op == Op::Ret);
  CHECK(p.labels.at("sub") == 17);
  CHECK(p.labels.at("top") == 0);
  CHECK(p.entry_acquire == 0);
  check_round_trip(p, opts());
}

TEST_CASE("header: lock, capacity, init, several labels on one index, comments") {
  Program p = asm_("# a semaphore\nlock sem   # name\ncapacity 3\n\ninit:\n  ret\nacquire: a2:\n  ret\nrelease: ret\n");
  CHECK(p.name == "sem");
  CHECK(p.capacity == 3);
  CHECK(p.entry_init == 0);
  CHECK(p.entry_acquire == 1);
  CHECK(p.labels.at("a2") == 1);
  CHECK(p.entry_release == 2);
  CHECK(p.code.size() == 3);
  CHECK(p.vars.empty());
  CHECK(p.arena_bytes == 0);
}

// ---- layout ---------------------------------------------------------------------------------

TEST_CASE("layout: shared, packed, percpu, percpu packed, array, array packed (ncpu 4)") {
  Program p = asm_(wrap(".shared a\n"
                        ".shared b packed\n"
                        ".shared c\n"
                        ".percpu p 2\n"
                        ".percpu q 9\n"
                        ".percpu r 3 packed\n"
                        ".array s ncpu\n"
                        "param five = 5\n"
                        ".array t five packed\n"
                        ".shared u packed\n",
                        "  nop_free: pause"),
                   opts(4));
  struct E { const char* name; uint64_t offset, stride, count, words; };
  const E want[] = {
      {"a", 0, 0, 1, 1},       {"b", 8, 0, 1, 1},         {"c", 64, 0, 1, 1},
      {"p", 128, 64, 4, 2},    {"q", 384, 128, 4, 9},     {"r", 896, 24, 4, 3},
      {"s", 1024, 64, 4, 1},   {"t", 1280, 8, 5, 1},      {"u", 1320, 0, 1, 1},
  };
  REQUIRE(p.vars.size() == 9);
  for (size_t i = 0; i < 9; ++i) {
    INFO(want[i].name);
    CHECK(p.vars[i].name == want[i].name);
    CHECK(p.vars[i].offset == want[i].offset);
    CHECK(p.vars[i].stride == want[i].stride);
    CHECK(p.vars[i].count == want[i].count);
    CHECK(p.vars[i].words == want[i].words);
  }
  CHECK(p.vars[1].packed);
  CHECK_FALSE(p.vars[2].packed);
  CHECK(p.vars[7].kind == Variable::Kind::Array);
  CHECK(p.arena_bytes == 1344);
  CHECK(p.var_index("u") == 8);
}

TEST_CASE("layout follows the line size") {
  AssembleOptions o = opts(2);
  o.line_bytes = 128;
  Program p = asm_(wrap(".shared a\n.percpu n 20\n.array s 3\n", "  pause"), o);
  CHECK(p.vars[1].offset == 128);
  CHECK(p.vars[1].stride == 256);  // 160 bytes rounded up to 2 lines
  CHECK(p.vars[2].offset == 640);  // n ends at 128 + 256 + 160 = 544
  CHECK(p.vars[2].stride == 128);
  CHECK(p.arena_bytes == 1024);
}

// ---- params ---------------------------------------------------------------------------------

TEST_CASE("params: defaults, overrides, use in counts and offsets") {
  const std::string src = wrap("param n = 3\nparam step = 8\n.array s n packed\n", "  ld r1, [s + step]\n  li r2, n");
  Program d = asm_(src);
  CHECK(d.params == std::map<std::string, int64_t>{{"n", 3}, {"step", 8}});
  CHECK(d.vars[0].count == 3);
  CHECK(d.code[0].addr.offset == 8);
  CHECK(d.code[1].a.imm == 3);
  Program o = asm_(src, opts(4, {{"n", 6}, {"step", 16}}));
  CHECK(o.params.at("n") == 6);
  CHECK(o.vars[0].count == 6);
  CHECK(o.code[0].addr.offset == 16);
  CHECK(o.code[1].a.imm == 6);
  CHECK(error_of(src, opts(4, {{"stpe", 1}})) == "t.lock:1:1: unknown parameter 'stpe' in lock_params (did you mean 'step'?)");
  CHECK(error_of(src, opts(4, {{"zzzzzz", 1}})) == "t.lock:1:1: unknown parameter 'zzzzzz' in lock_params");
  CHECK(error_of(wrap("", "  pause"), opts(4, {{"x", 1}})) ==
        "t.lock:1:1: unknown parameter 'x' in lock_params; lock 't' has no parameters");
  Program nc = asm_(wrap("param k = ncpu\n", "  li r1, k"), opts(16));
  CHECK(nc.code[0].a.imm == 16);
}

// ---- errors -----------------------------------------------------------------------------------

TEST_CASE("lexer errors") {
  CHECK(body_error("  li r1, $3") == "t.lock:3:10: unexpected character '$'");
  CHECK(body_error("  li r1, 12ab") == "t.lock:3:10: invalid number '12ab'");
  CHECK(body_error("  li r1, 0x1g") == "t.lock:3:10: invalid number '0x1g'");
  CHECK(body_error("  li r1, 99999999999999999999") == "t.lock:3:10: number '99999999999999999999' is out of range");
  CHECK(body_error("  li r1, 0x10000000000000000") == "t.lock:3:10: number '0x10000000000000000' is out of range");
  CHECK(body_error("  li r1, 9223372036854775808") == "t.lock:3:10: number '9223372036854775808' is out of range");
}

TEST_CASE("statement errors") {
  CHECK(body_error("  xchq r1, [x], 1", ".shared x\n") == "t.lock:4:3: unknown mnemonic 'xchq' (did you mean 'xchg'?)");
  CHECK(body_error("  frobnicate") == "t.lock:3:3: unknown mnemonic 'frobnicate'");
  CHECK(body_error("  , r1") == "t.lock:3:3: expected a statement, got ','");
  CHECK(error_of("lock t\n.sharde x\n") == "t.lock:2:1: unknown directive '.sharde' (did you mean '.shared'?)");
  CHECK(body_error("  add.8 r1, r2, r3") == "t.lock:3:3: 'add' takes no size suffix");
  CHECK(body_error("  ld.12 r1, [x]", ".shared x\n") == "t.lock:4:3: invalid size suffix '.12' (expected .8, .16, .32 or .64)");
  CHECK(body_error("  add r1, r2") == "t.lock:3:3: 'add' takes 3 operands: add rD, rA, rB/imm");
  CHECK(body_error("  pause r1") == "t.lock:3:3: 'pause' takes no operands: pause");
  CHECK(body_error("  jmp") == "t.lock:3:3: 'jmp' takes 1 operand: jmp label");
  CHECK(body_error("  cas r1, [x], 1", ".shared x\n") == "t.lock:4:3: 'cas' takes 4 operands: cas rD, [a], expected, new");
  CHECK(body_error("  add r1, , r2") == "t.lock:3:11: expected an operand before ','");
  CHECK(body_error("  add r1, r2,") == "t.lock:3:13: expected an operand after ','");
  CHECK(body_error("  li r1 r2") == "t.lock:3:9: unexpected 'r2' after the operand");
  CHECK(body_error("  li r1, =") == "t.lock:3:10: expected an operand, got '='");
}

TEST_CASE("operand errors") {
  CHECK(body_error("  li r16, 1") == "t.lock:3:6: register 'r16' is out of range (r0-r15)");
  CHECK(body_error("  li 5, 1") == "t.lock:3:6: expected a destination register, got immediate 5");
  CHECK(body_error("  li tid, 1") == "t.lock:3:6: expected a destination register, got 'tid'");
  CHECK(body_error("  mov r1, 5") == "t.lock:3:11: expected a register, got immediate 5");
  CHECK(body_error("  add r1, 2, r3") == "t.lock:3:11: expected a register, got immediate 2");
  CHECK(body_error("  li r1, r2") == "t.lock:3:10: expected an immediate, got register r2");
  CHECK(body_error("  stx r1, [x], 5", ".shared x\n") == "t.lock:4:16: expected a register, got immediate 5");
  CHECK(body_error("  add r1, r2, [x]", ".shared x\n") == "t.lock:4:15: expected a register or an immediate, got an address");
  CHECK(body_error("  li r1, bakoff", "param backoff = 1\n") == "t.lock:4:10: unknown name 'bakoff' (did you mean 'backoff'?)");
  CHECK(body_error("  li r1, x", ".shared x\n") == "t.lock:4:10: 'x' is a variable, not a value (lea rD, x gives its address)");
  CHECK(body_error("  ld r1, x", ".shared x\n") == "t.lock:4:10: expected an address [..], got 'x'");
  CHECK(body_error("  ld r1, [tial]", ".shared tail\n") == "t.lock:4:11: unknown variable 'tial' (did you mean 'tail'?)");
  CHECK(body_error("  lea r1, nod", ".percpu node 2\n") == "t.lock:4:11: unknown variable 'nod' (did you mean 'node'?)");
  CHECK(body_error("  lea r1, 5") == "t.lock:3:11: expected a variable name or an address, got immediate 5");
  CHECK(body_error("  jmp r1") == "t.lock:3:7: expected a label, got register r1");
  CHECK(body_error("  jmp acquier") == "t.lock:3:7: unknown label 'acquier' (did you mean 'acquire'?)");
  CHECK(body_error("  st.8 [x], 256", ".shared x\n") == "t.lock:4:13: immediate 256 does not fit in 8 bits");
  CHECK(body_error("  cas.16 r1, [x], 0, -32769", ".shared x\n") == "t.lock:4:22: immediate -32769 does not fit in 16 bits");
  CHECK(body_error("  work -5") == "t.lock:3:8: work needs a non-negative cycle count, got -5");
  CHECK(body_error("  rand r1, 10, 5") == "t.lock:3:12: empty range: lo 10 is greater than hi 5");
  CHECK(body_error("  li r1, a.b") == "t.lock:3:10: invalid name 'a.b'");
}

TEST_CASE("address errors") {
  const std::string d = ".shared x\n.percpu n 2\n.array a 4\n";
  CHECK(body_error("  ld r1, [x", d) == "t.lock:6:11: expected ']' to close the address");
  CHECK(body_error("  ld r1, []", d) == "t.lock:6:11: empty address");
  CHECK(body_error("  ld r1, [5]", d) == "t.lock:6:11: expected a variable or register in the address, got '5'");
  CHECK(body_error("  ld r1, [r1 @ r2]", d) == "t.lock:6:14: only a variable can be indexed with '@'");
  CHECK(body_error("  ld r1, [a @ tid]", d) == "t.lock:6:15: the index after '@' must be a register, got 'tid'");
  CHECK(body_error("  ld r1, [a @ r1 r2]", d) == "t.lock:6:18: unexpected 'r2' in the address");
  CHECK(body_error("  ld r1, [a +]", d) == "t.lock:6:13: expected an offset after '+'");
  CHECK(body_error("  ld r1, [a + tid]", d) == "t.lock:6:15: an address offset must be a constant, got 'tid'");
  CHECK(body_error("  ld r1, [x @ r1]", d) ==
        "t.lock:6:11: 'x' is a .shared variable; only .percpu and .array variables can be indexed with '@'");
  CHECK(body_error("  ld.16 r1, [x + 3]", d) == "t.lock:6:13: misaligned access: offset 3 is not a multiple of the access size 2");
  CHECK(body_error("  ld r1, [x - 8]", d) == "t.lock:6:10: address is outside the arena (offset -8 from 'x', arena 576 bytes)");
  CHECK(body_error("  ld r1, [a @ r1 + 64]", d) ==
        "t.lock:6:10: address is outside the arena (offset 64 from 'a', arena 576 bytes)");
  // lea only computes an address: no access, so no arena check.
  CHECK(body_error("  lea r1, [a + 4096]", d) == "");
}

TEST_CASE("declaration errors") {
  CHECK(error_of("lock t\n.shared x\n.shared x\n") == "t.lock:3:9: duplicate variable 'x' (first declared at line 2)");
  CHECK(error_of("lock t\n.shared r3\n") == "t.lock:2:9: 'r3' is a register, not a name");
  CHECK(error_of("lock t\n.shared tid\n") == "t.lock:2:9: 'tid' is reserved");
  CHECK(error_of("lock t\n.shared\n") == "t.lock:2:1: expected a variable name after '.shared'");
  CHECK(error_of("lock t\n.shared x pakced\n") == "t.lock:2:11: expected 'packed' or end of line, got 'pakced'");
  CHECK(error_of("lock t\n.shared x packed 3\n") == "t.lock:2:18: unexpected '3' at end of line");
  CHECK(error_of("lock t\n.percpu n\n") == "t.lock:2:9: expected a word count after 'n'");
  CHECK(error_of("lock t\n.array a = 3\n") == "t.lock:2:10: expected an element count, got '='");
  CHECK(error_of(wrap(".percpu n 0\n", "  pause")) == "t.lock:2:11: word count of 'n' must be at least 1, got 0");
  CHECK(error_of(wrap("param k = -1\n.array a k\n", "  pause")) == "t.lock:3:10: element count of 'a' must be at least 1, got -1");
  CHECK(error_of(wrap(".array a ncpus\n", "  pause")) == "t.lock:2:10: unknown name 'ncpus' (did you mean 'ncpu'?)");
  CHECK(error_of(wrap(".array a 100000000\n", "  pause")) == "t.lock:2:10: element count of 'a' is too large: 100000000");
  CHECK(error_of(wrap(".shared x packed\n", "  pause")) ==
        "t.lock:2:11: packed variable 'x' has no previous variable to share a line with");
  std::string eight;
  for (char c = 'a'; c < 'i'; ++c) eight += std::string(".shared ") + c + (c == 'a' ? "\n" : " packed\n");
  CHECK(error_of(wrap(eight, "  pause")) == "");
  CHECK(error_of(wrap(eight + ".shared z packed\n", "  pause")) ==
        "t.lock:10:11: packed variable 'z' does not fit on the line of 'h'");
  CHECK(error_of("lock t\nparam k = 1\nparam k = 2\n") == "t.lock:3:7: duplicate parameter 'k' (first declared at line 2)");
  CHECK(error_of("lock t\nparam k 1\n") == "t.lock:2:9: expected '=' after the parameter name");
  CHECK(error_of("lock t\nparam k =\n") == "t.lock:2:9: expected a value after '='");
  CHECK(error_of("lock t\nparam k = x\n") == "t.lock:2:11: expected an integer value for parameter 'k', got 'x'");
  CHECK(error_of("lock t\nparam\n") == "t.lock:2:1: expected a parameter name after 'param'");
  CHECK(error_of("lock t\nlock u\n") == "t.lock:2:1: duplicate 'lock' line (first at line 1)");
  CHECK(error_of("lock\n") == "t.lock:1:1: expected a lock name after 'lock'");
  CHECK(error_of("lock t u\n") == "t.lock:1:8: unexpected 'u' at end of line");
  CHECK(error_of("lock t\ncapacity 0\n") == "t.lock:2:10: capacity must be between 1 and 1000000, got 0");
  CHECK(error_of("lock t\ncapacity x\n") == "t.lock:2:10: capacity: unknown parameter 'x' (expected a number or a param)");
  CHECK(error_of("lock t\ncapacity 2\ncapacity 2\n") == "t.lock:3:1: duplicate 'capacity' line (first at line 2)");
}

TEST_CASE("label and program-level errors") {
  CHECK(error_of("lock t\nacquire:\nx:\n  ret\nx:\n  ret\nrelease:\n  ret\n") ==
        "t.lock:5:1: duplicate label 'x' (first defined at line 3)");
  CHECK(error_of("lock t\nr2:\n") == "t.lock:2:1: 'r2' is a register, not a name");
  CHECK(error_of("lock t\nacquire:\n  ret\nrelease:\n  ret\nend:\n") == "t.lock:6:1: label 'end' has no instruction after it");
  CHECK(error_of("lock t\nrelease:\n  ret\n") == "t.lock:1:1: missing 'acquire:' label");
  CHECK(error_of("lock t\nacquire:\n  ret\n") == "t.lock:1:1: missing 'release:' label");
  CHECK(error_of("acquire:\n  ret\nrelease:\n  ret\n") == "t.lock:1:1: missing 'lock NAME' line");
  CHECK(error_of("lock t\nacquire:\n  ret\nrelease:\n  pause\n") ==
        "t.lock:5:3: the program falls off its end: the last instruction must be ret or jmp");
  AssembleOptions o = opts(0);
  CHECK(error_of(kMcs, o) == "t.lock:1:1: ncpu must be at least 1, got 0");
  o = opts(4);
  o.line_bytes = 48;
  CHECK(error_of(kMcs, o) == "t.lock:1:1: line size must be a power of two of at least 8 bytes, got 48");
}

// ---- semantics.hpp ----------------------------------------------------------------------------

TEST_CASE("semantics: alu") {
  CHECK(alu(Op::Li, 99, 7) == 7);
  CHECK(alu(Op::Mov, 99, 7) == 99);
  CHECK(alu(Op::Add, 5, uint64_t(-7)) == uint64_t(-2));
  CHECK(alu(Op::Sub, 0, 1) == ~uint64_t(0));
  CHECK(alu(Op::And, 0xff0, 0x0ff) == 0x0f0);
  CHECK(alu(Op::Or, 0xf00, 0x00f) == 0xf0f);
  CHECK(alu(Op::Xor, 0xff, 0x0f) == 0xf0);
  CHECK(alu(Op::Shl, 1, 4) == 16);
  CHECK(alu(Op::Shl, 1, 68) == 16);                       // shift count & 63
  CHECK(alu(Op::Shr, uint64_t(-1), 60) == 0xf);           // logical
  CHECK(alu(Op::Mul, 3, uint64_t(-2)) == uint64_t(-6));
  CHECK(alu(Op::Mod, 17, 5) == 2);
  CHECK(alu(Op::Mod, 17, 0) == 17);                       // mod 0 gives a
  CHECK(alu(Op::Mod, uint64_t(-1), 10) == 5);             // unsigned: 2^64-1 mod 10
}

TEST_CASE("semantics: branches compare signed") {
  const uint64_t m1 = uint64_t(-1);
  CHECK(branch_taken(Op::Blt, m1, 0));
  CHECK_FALSE(branch_taken(Op::Bgt, m1, 0));
  CHECK(branch_taken(Op::Beq, 3, 3));
  CHECK_FALSE(branch_taken(Op::Bne, 3, 3));
  CHECK(branch_taken(Op::Ble, 3, 3));
  CHECK_FALSE(branch_taken(Op::Blt, 3, 3));
  CHECK(branch_taken(Op::Bge, 0, m1));
  CHECK(branch_taken(Op::Bgt, 1, 0));
  CHECK(branch_taken(Op::Jmp, 0, 0));
  CHECK(branch_taken(Op::Call, 0, 0));
  CHECK_FALSE(branch_taken(Op::Add, 0, 0));
}

TEST_CASE("semantics: read-modify-write and size truncation") {
  CHECK(mask(1) == 0xff);
  CHECK(mask(2) == 0xffff);
  CHECK(mask(4) == 0xffffffff);
  CHECK(mask(8) == ~uint64_t(0));
  CHECK(truncate(0x12345, 2) == 0x2345);
  CHECK(rmw_new(Op::Xchg, 5, 9, 0, 8) == 9);
  CHECK(rmw_new(Op::Xchg, 5, 0x1ff, 0, 1) == 0xff);
  CHECK(rmw_new(Op::Faa, 0xff, 1, 0, 1) == 0);             // wraps in 8 bits
  CHECK(rmw_new(Op::Faa, 0xff, 1, 0, 8) == 0x100);
  CHECK(rmw_new(Op::Faa, 10, uint64_t(-1), 0, 4) == 9);
  CHECK(rmw_new(Op::FetchOr, 0x01, 0x100, 0, 4) == 0x101);
  CHECK(rmw_new(Op::FetchOr, 0x01, 0x100, 0, 1) == 0x01);  // bit 8 is outside a byte
  CHECK(rmw_new(Op::FetchAnd, 0xf0f, 0x0ff, 0, 2) == 0x00f);
  CHECK(rmw_new(Op::Tas, 0, 0, 0, 8) == 1);
  CHECK(rmw_new(Op::Tas, 1, 0, 0, 1) == 1);
  CHECK(rmw_new(Op::Cas, 7, 7, 42, 8) == 42);              // match: new value
  CHECK(rmw_new(Op::Cas, 7, 8, 42, 8) == 7);               // no match: unchanged
  CHECK(rmw_new(Op::Cas, 0x10000, 0, 1, 2) == 1);          // old is truncated: 16 bits of 0x10000 are 0
  CHECK(rmw_new(Op::Cas, 0xffff, uint64_t(-1), 3, 2) == 3);  // expected truncated too: -1 matches 0xffff
  CHECK(cas_succeeded(0xffff, uint64_t(-1), 2));
  CHECK_FALSE(cas_succeeded(0xffff, uint64_t(-1), 4));
}

TEST_CASE("semantics: addresses and operand values") {
  Program p = asm_(wrap(".shared x\n.shared y packed\n.percpu n 2\n.array a ncpu\n.array b 4 packed\n",
                        "  ld r1, [y]\n"           // 0
                        "  ld r1, [n + 8]\n"       // 1
                        "  ld r1, [n @ r2 + 8]\n"  // 2
                        "  ld r1, [a @ r2]\n"      // 3
                        "  ld r1, [b @ r2]\n"      // 4
                        "  ld r1, [r3 - 8]\n"      // 5
                        "  ld r1, [a]"),           // 6
                   opts(4));
  uint64_t regs[16] = {};
  regs[2] = 3;
  regs[3] = 0x10000;
  const uint64_t base = 0x4000;
  auto at = [&](int i, int tid) { return address(p, p.code[size_t(i)].addr, base, tid, regs); };
  CHECK(at(0, 0) == base + 8);
  CHECK(at(1, 0) == base + 64 + 8);
  CHECK(at(1, 2) == base + 64 + 2 * 64 + 8);
  CHECK(at(2, 0) == base + 64 + 3 * 64 + 8);   // thread r2 = 3's block, whoever asks
  CHECK(at(3, 1) == base + 320 + 3 * 64);      // a starts after n (64 + 4*64)
  CHECK(at(4, 1) == base + 576 + 3 * 8);       // b after a (320 + 4*64), packed
  CHECK(at(5, 0) == 0x10000 - 8);
  CHECK(at(6, 3) == base + 320);               // [array] is element 0 for every thread
  CHECK(p.arena_bytes == 640);
  Operand t{Operand::Kind::Tid, 0, 0}, r{Operand::Kind::Reg, 3, 0}, i{Operand::Kind::Imm, 0, -2};
  CHECK(value(t, 7, regs) == 7);
  CHECK(value(r, 7, regs) == 0x10000);
  CHECK(value(i, 7, regs) == uint64_t(-2));
  CHECK(is_atomic(Op::Cas));
  CHECK_FALSE(is_atomic(Op::Ld));
  CHECK(is_memory(Op::Stx));
  CHECK_FALSE(is_memory(Op::Lea));
  CHECK(is_branch(Op::Bge));
  CHECK_FALSE(is_branch(Op::Jmp));
  CHECK(is_alu(Op::Lea));
}

// ---- the built-in locks -------------------------------------------------------------------------

TEST_CASE("every locks/*.lock assembles at 1, 2, 16 and 32 threads and round-trips") {
  auto files = lock_files();
  std::vector<std::string> stems;
  for (const auto& f : files) stems.push_back(f.stem().string());
  CHECK(stems == std::vector<std::string>{"adaptive_mutex", "anderson", "clh", "cohort_tkt_tkt", "compound", "futex_mutex", "futex_sem", "hemlock", "mcs", "mcs_try",
                                          "qrwlock", "qspinlock", "qspinlock_pv", "semaphore", "tas", "ticket",
                                          "ticket_backoff", "trylock_info", "ttas", "ttas_backoff", "twa"});
  for (const auto& f : files) {
    std::string text = read_text(f);
    for (int n : {1, 2, 16, 32}) {
      INFO(f.filename().string() << " ncpu " << n);
      AssembleOptions o = opts(n);
      o.file = f.string();
      Program p = assemble(text, o);
      CHECK(p.name == f.stem().string());
      // 1, or the param it names (the semaphore's k).
      CHECK(p.capacity == (p.capacity_param.empty() ? 1 : p.params.at(p.capacity_param)));
      CHECK(p.entry_acquire >= 0);
      CHECK(p.entry_release >= 0);
      CHECK(p.arena_bytes % 64 == 0);
      // Every acquire path ends by setting r0 = 1 just before its ret (or 0: a failure of
      // a lock that declares .can_fail).
      for (size_t i = 1; i < p.code.size(); ++i)
        if (p.code[i].op == Op::Ret && int(i) < p.entry_release && int(i) > p.entry_acquire) {
          CHECK(p.code[i - 1].op == Op::Li);
          CHECK(p.code[i - 1].rd == 0);
          CHECK((p.code[i - 1].a.imm == 1 || (p.can_fail && p.code[i - 1].a.imm == 0)));
        }
      check_round_trip(p, o);
    }
  }
}

TEST_CASE("lock layouts that the algorithms rely on") {
  auto load = [](const char* name, int n) {
    AssembleOptions o = opts(n);
    return assemble(read_text(std::filesystem::path(LOCKSTEP_SOURCE_DIR) / "locks" / (std::string(name) + ".lock")), o);
  };
  Program a = load("anderson", 16);
  CHECK(a.entry_init == 0);
  REQUIRE(a.var_index("slots") == 1);
  CHECK(a.vars[1].count == 16);
  CHECK(a.vars[1].stride == 64);  // one slot per line
  CHECK(a.arena_bytes == 64 + 16 * 64);

  Program c = load("clh", 4);
  CHECK(c.entry_init == 0);
  CHECK(c.vars[c.var_index("dummy")].offset == 64);
  CHECK(c.vars[c.var_index("node")].stride == 64);

  Program q = load("qspinlock", 32);
  CHECK(q.code[0].op == Op::Cas);
  CHECK(q.code[0].size == 4);
  int xchg16 = 0;
  for (const auto& in : q.code)
    if (in.op == Op::Xchg) {
      CHECK(in.size == 2);
      CHECK(in.addr.offset == 2);
      ++xchg16;
    }
  CHECK(xchg16 == 1);
  CHECK(q.code[size_t(q.entry_release)].op == Op::St);
  CHECK(q.code[size_t(q.entry_release)].size == 1);

  Program tb = load("ticket_backoff", 4);
  CHECK(tb.params.at("backoff_per_ticket") == 50);
  Program eb = load("ttas_backoff", 4);
  CHECK(eb.params == std::map<std::string, int64_t>{{"backoff_max", 1024}, {"backoff_min", 16}});
}

// ---- the lock library ---------------------------------------------------------------------------

TEST_CASE("lock library: built-ins, files, errors, load_lock") {
  auto names = workload::builtin_locks();
  CHECK(names == std::vector<std::string>{"adaptive_mutex", "anderson", "clh", "cohort_tkt_tkt", "compound", "futex_mutex", "futex_sem", "hemlock", "mcs", "mcs_try",
                                          "qrwlock", "qspinlock", "qspinlock_pv", "semaphore", "tas", "ticket",
                                          "ticket_backoff", "trylock_info", "ttas", "ttas_backoff", "twa"});
  std::string file;
  std::string text = workload::lock_source("mcs", "", &file);
  CHECK(file == "builtin:mcs");
  CHECK(text == read_text(std::filesystem::path(LOCKSTEP_SOURCE_DIR) / "locks" / "mcs.lock"));

  // A path relative to the experiment's folder.
  text = workload::lock_source("ticket.lock", std::string(LOCKSTEP_SOURCE_DIR) + "/locks", &file);
  CHECK(file == std::string(LOCKSTEP_SOURCE_DIR) + "/locks/ticket.lock");
  CHECK(text.find("lock ticket") != std::string::npos);

  try {
    workload::lock_source("tciket", "", &file);
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()) == "unknown lock 'tciket': not a built-in lock and no such file (did you mean 'ticket'?)");
  }
  try {
    workload::lock_source("nothing/like/it.lock", "", &file);
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()) == "unknown lock 'nothing/like/it.lock': not a built-in lock and no such file");
  }

  config::Point pt;
  pt.workload.lock = "ttas_backoff";
  pt.workload.threads = 12;
  pt.machine.l1.line_bytes = 128;
  pt.workload.lock_params = {{"backoff_max", 4096}};
  isa::Program p = workload::load_lock(pt);
  CHECK(p.file == "builtin:ttas_backoff");
  CHECK(p.params.at("backoff_max") == 4096);
  CHECK(p.params.at("backoff_min") == 16);
  CHECK(p.arena_bytes == 128);

  pt.workload.lock = "anderson";
  pt.workload.lock_params = {};
  p = workload::load_lock(pt);
  CHECK(p.vars[1].count == 12);
  CHECK(p.vars[1].stride == 128);

  pt.workload.lock_params = {{"backof", 1}};
  try {
    workload::load_lock(pt);
    FAIL("no error");
  } catch (const InputError& e) {
    // Named at the YAML key when the point came from a file (tests/test_repairs.cpp).
    CHECK(std::string(e.what()) == "workload.lock_params: lock 'anderson' has no parameter 'backof'; it has no parameters");
  }
}

// ---- the locks under random interleavings --------------------------------------------------------
// The simulator core and the native harness are separate work; this small interpreter runs the
// built-in locks on sequentially consistent memory, one micro-op of one random thread at a time,
// and checks mutual exclusion and progress. It exercises the protocol logic (the races between
// any two micro-ops), not timing or weaker memory orders.

namespace {

struct Interleaver {
  const Program& p;
  int ncpu;
  uint64_t rng;
  static constexpr uint64_t kBase = 0x10000;  // the arena never sits at address 0
  std::vector<uint8_t> mem;
  struct Thread {
    uint64_t regs[16] = {};
    int pc = -1;                 // -1: not inside the lock's code
    std::vector<int> stack;
    int phase = 0;               // 0 outside, 1 acquiring, 2 in the critical section, 3 releasing
    int wait = 0;                // steps left in the critical section / outside
    uint64_t monitor = ~uint64_t(0);
    int64_t done = 0;
    bool reading = false;        // reader-writer locks: this acquisition is a read
  };
  std::vector<Thread> th;
  int in_cs = 0;
  int readers = 0;               // reader-writer locks: readers inside (in_cs counts writers)
  uint64_t clock = 0;            // `now`: scheduler steps so far (so timeouts do happen)
  std::string failure;
  std::vector<int64_t> hits = std::vector<int64_t>(p.code.size());  // executions per instruction

  Interleaver(const Program& prog, int n, uint64_t seed)
      : p(prog), ncpu(n), rng(seed * 0x9e3779b97f4a7c15ull + 1), mem(prog.arena_bytes), th(size_t(n)) {}

  uint64_t next() {  // xorshift64*
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545f4914f6cdd1dull;
  }

  bool check_addr(uint64_t a, unsigned size) {
    if (a < kBase || a + size > kBase + mem.size() || a % size != 0) {
      failure = "bad address " + std::to_string(a);
      return false;
    }
    return true;
  }
  uint64_t load(uint64_t a, unsigned size) {
    uint64_t v = 0;
    for (unsigned i = 0; i < size; ++i) v |= uint64_t(mem[a - kBase + i]) << (8 * i);
    return v;
  }
  void store(int tid, uint64_t a, unsigned size, uint64_t v) {
    for (unsigned i = 0; i < size; ++i) mem[a - kBase + i] = uint8_t(v >> (8 * i));
    for (int t = 0; t < ncpu; ++t)
      if (t != tid && th[size_t(t)].monitor / 64 == a / 64) th[size_t(t)].monitor = ~uint64_t(0);
  }

  // Executes one micro-op of thread `tid`; false on a failure.
  bool step(int tid) {
    Thread& t = th[size_t(tid)];
    const Instr& in = p.code[size_t(t.pc)];
    ++hits[size_t(t.pc)];
    // numa_node: threads alternate between two nodes, so per-node locks really contend.
    auto val = [&](const Operand& o) { return o.kind == Operand::Kind::Node ? uint64_t(tid % 2) : value(o, tid, t.regs); };
    int next_pc = t.pc + 1;
    if (is_alu(in.op)) {
      if (in.op == Op::Lea) t.regs[in.rd] = address(p, in.addr, kBase, tid, t.regs);
      else if (in.op == Op::Li) t.regs[in.rd] = val(in.a);
      else t.regs[in.rd] = alu(in.op, val(in.a), in.op == Op::Mov ? 0 : val(in.b));
    } else if (is_memory(in.op)) {
      uint64_t a = address(p, in.addr, kBase, tid, t.regs);
      if (!check_addr(a, in.size)) return false;
      uint64_t old = load(a, in.size);
      switch (in.op) {
        case Op::Ld: t.regs[in.rd] = old; break;
        case Op::St: store(tid, a, in.size, truncate(val(in.a), in.size)); break;
        case Op::Ldx: t.regs[in.rd] = old; t.monitor = a; break;
        case Op::Stx: {
          bool ok = t.monitor == a;
          if (ok) store(tid, a, in.size, truncate(val(in.a), in.size));
          t.monitor = ~uint64_t(0);
          t.regs[in.rd] = ok;
          break;
        }
        default: {  // atomics
          uint64_t nv = rmw_new(in.op, old, val(in.a), val(in.b), in.size);
          if (in.op != Op::Cas || cas_succeeded(old, val(in.a), in.size)) store(tid, a, in.size, nv);
          t.regs[in.rd] = old;
        }
      }
    } else if (is_branch(in.op)) {
      if (branch_taken(in.op, val(in.a), val(in.b))) next_pc = in.target;
    } else {
      switch (in.op) {
        case Op::Jmp: next_pc = in.target; break;
        case Op::Call: t.stack.push_back(next_pc); next_pc = in.target; break;
        case Op::Ret:
          if (t.stack.empty()) { next_pc = -1; break; }
          next_pc = t.stack.back();
          t.stack.pop_back();
          break;
        case Op::Rand: {
          uint64_t lo = val(in.a), hi = val(in.b);
          t.regs[in.rd] = lo + next() % (hi - lo + 1);
          break;
        }
        case Op::Now: t.regs[in.rd] = clock; break;
        case Op::OwnerRunning: t.regs[in.rd] = next() % 4 != 0; break;  // the owner runs 3/4 of the time
        default: break;  // fence, pause, wfe, sev, work, park (a spurious return), wake, yield: no effect here
      }
    }
    t.pc = next_pc;
    return true;
  }

  // Runs init on thread 0, then `acq` acquisitions per thread; "" when all went well.
  std::string run(int64_t acq, int64_t max_steps) {
    if (p.entry_init >= 0) {
      th[0].pc = p.entry_init;
      for (int64_t s = 0; th[0].pc >= 0; ++s) {
        if (s > 10000 || !step(0)) return "init: " + failure;
      }
      th[0] = Thread{};
    }
    int64_t finished = 0;
    for (int64_t s = 0; s < max_steps; ++s) {
      clock = uint64_t(s);
      int tid = int(next() % uint64_t(ncpu));
      Thread& t = th[size_t(tid)];
      switch (t.phase) {
        case 0:  // outside: wait a little, then call acquire
          if (t.done == acq) break;
          if (t.wait > 0) { --t.wait; break; }
          t.phase = 1;
          t.reading = p.entry_read_acquire >= 0 && next() % 2 == 0;
          t.pc = t.reading ? p.entry_read_acquire : p.entry_acquire;
          break;
        case 2:  // in the critical section
          if (t.wait > 0) { --t.wait; break; }
          --(t.reading ? readers : in_cs);
          t.phase = 3;
          t.pc = t.reading ? p.entry_read_release : p.entry_release;
          break;
        default:
          if (!step(tid)) return failure;
          if (t.pc >= 0) break;
          if (t.phase == 1) {
            if (p.can_fail && t.regs[0] == 0) {  // failed (.can_fail): try again later
              t.phase = 0;
              t.wait = int(next() % 8);
              break;
            }
            if (t.regs[0] != 1) return "acquire returned r0 = " + std::to_string(t.regs[0]);
            if (t.reading ? (++readers, in_cs > 0) : (++in_cs > p.capacity || readers > 0))
              return "mutual exclusion violated: " + std::to_string(in_cs) + " writer(s), " + std::to_string(readers) +
                     " reader(s)";
            t.phase = 2;
            t.wait = int(next() % 8);
          } else {
            t.phase = 0;
            t.wait = int(next() % 8);
            if (++t.done == acq && ++finished == ncpu) return "";
          }
      }
    }
    return "no progress after " + std::to_string(max_steps) + " steps";
  }
};

}  // namespace

TEST_CASE("every lock keeps mutual exclusion and makes progress under random interleavings") {
  for (const auto& f : lock_files()) {
    std::string text = read_text(f);
    std::vector<int64_t> hits;
    // compound's timeouts and its backoff cap must be reachable within a few critical
    // sections of steps (`now` counts scheduler steps here); qspinlock_pv halts after 2 spins
    // here, so that its halt and kick paths run too.
    std::map<std::string, int64_t> params;
    if (f.stem() == "compound") params = {{"tokens", 2}, {"timeout_cycles", 30}, {"backoff_min", 1}, {"backoff_max", 2}};
    if (f.stem() == "qspinlock_pv") params["spin_threshold"] = 2;
    if (f.stem() == "mcs_try") params["timeout_cycles"] = 30;  // timeouts, abandons and reclaims happen
    auto lock_opts = [&](int n) { return opts(n, params); };
    for (int n : {1, 2, 3, 5, 8}) {
      Program p = assemble(text, lock_opts(n));
      hits.resize(p.code.size());
      for (uint64_t seed = 1; seed <= 6; ++seed) {
        INFO(f.stem().string() << " ncpu " << n << " seed " << seed);
        Interleaver il(p, n, seed);
        CHECK(il.run(150, 20000000) == "");
        for (size_t i = 0; i < hits.size(); ++i) hits[i] += il.hits[i];
      }
    }
    // Every path of every lock ran at least once: the races were really exercised.
    Program p = assemble(text, lock_opts(8));
    for (size_t i = 0; i < hits.size(); ++i)
      CHECK_MESSAGE(hits[i] > 0, f.stem().string() << ": line " << p.code[i].line << " (" << std::string(op_name(p.code[i].op))
                                                     << ") never ran");
  }
}

TEST_CASE("the interleaver catches a broken lock") {
  // Test, then set with a plain store: two threads can both see 0 before either writes 1.
  Program p = asm_("lock broken\n.shared w\nacquire:\n  ld r1, [w]\n  bne r1, 0, acquire\n  st [w], 1\n"
                   "  li r0, 1\n  ret\nrelease:\n  st [w], 0\n  ret\n",
                   opts(4));
  bool caught = false;
  for (uint64_t seed = 1; seed <= 20 && !caught; ++seed) {
    Interleaver il(p, 4, seed);
    caught = il.run(200, 2000000).rfind("mutual exclusion violated", 0) == 0;
  }
  CHECK(caught);
}

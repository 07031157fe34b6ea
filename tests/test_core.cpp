// The in-order core: every micro-op's semantics and its cost in cycles (DESIGN.md §3, §4),
// run on a one-core machine (MESI, snooping bus, the default latencies).
#include <doctest/doctest.h>

#include "common/error.hpp"
#include "sim_helpers.hpp"

using namespace lockstep;
using testing::Directed;

namespace {
// A program whose acquire runs `body` and stores r1..r7 into res[0..6] afterwards.
std::string prog(const std::string& body, const std::string& extra_vars = "") {
  return "lock probe\ncapacity 64\n.shared x\n.shared y\n.array res 8 packed\n" + extra_vars +
         "acquire:\n" + body +
         "\n  st [res], r1\n  st [res + 8], r2\n  st [res + 16], r3\n  st [res + 24], r4\n"
         "  st [res + 32], r5\n  st [res + 40], r6\n  st [res + 48], r7\n  ret\nrelease:\n  ret\n";
}
uint64_t r(Directed& d, int i) { return d.word("res", uint64_t(i - 1) * 8); }
}  // namespace

TEST_CASE("ALU micro-ops") {
  Directed d(1, prog(R"(
  li  r1, 12
  li  r2, 5
  add r3, r1, r2
  sub r4, r2, r1
  mul r5, r1, r2
  mod r6, r1, r2
  xor r7, r1, 0xff
)"));
  CHECK(r(d, 1) == 12);
  CHECK(r(d, 2) == 5);
  CHECK(r(d, 3) == 17);
  CHECK(r(d, 4) == uint64_t(-7));
  CHECK(r(d, 5) == 60);
  CHECK(r(d, 6) == 2);
  CHECK(r(d, 7) == (12 ^ 0xff));
}

TEST_CASE("shifts, and, or, mov, tid, ncpu") {
  Directed d(1, prog(R"(
  li  r1, 3
  shl r2, r1, 4
  shr r3, r2, 2
  and r4, r2, 0x30
  or  r5, r1, 0x100
  mov r6, r5
  add r7, tid, ncpu
)"));
  CHECK(r(d, 2) == 48);
  CHECK(r(d, 3) == 12);
  CHECK(r(d, 4) == 48);
  CHECK(r(d, 5) == 0x103);
  CHECK(r(d, 6) == 0x103);
  CHECK(r(d, 7) == 1);  // tid 0 + ncpu 1
}

TEST_CASE("loads and stores of every size") {
  Directed d(1, prog(R"(
  li   r1, 0x1122334455667788
  st   [x], r1
  ld.8 r2, [x]
  ld.16 r3, [x + 2]
  ld.32 r4, [x + 4]
  st.8 [y + 1], 0xab
  ld   r5, [y]
  st.16 [y + 6], 0xbeef
  ld   r6, [y]
  st.32 [y], 0xffffffff
  ld   r7, [y]
)"));
  CHECK(r(d, 2) == 0x88);
  CHECK(r(d, 3) == 0x5566);
  CHECK(r(d, 4) == 0x11223344);
  CHECK(r(d, 5) == 0xab00);
  CHECK(r(d, 6) == 0xbeef00000000ab00ULL);
  CHECK(r(d, 7) == 0xbeef0000ffffffffULL);
}

TEST_CASE("atomics: xchg, cas (success and failure), faa, fetch_or, fetch_and, tas") {
  Directed d(1, prog(R"(
  st   [x], 10
  xchg r1, [x], 20
  cas  r2, [x], 20, 30
  cas  r3, [x], 99, 40
  faa  r4, [x], 5
  fetch_or r5, [x], 0x100
  fetch_and r6, [x], 0xff
  tas  r7, [y]
  ld   r1, [x]
  ld   r2, [y]
)"));
  CHECK(r(d, 1) == 35);   // final x: ((30 + 5) | 0x100) & 0xff
  CHECK(r(d, 2) == 1);    // tas wrote 1
  CHECK(r(d, 3) == 30);   // failed cas returns the current value
  CHECK(r(d, 4) == 30);
  CHECK(r(d, 5) == 35);
  CHECK(r(d, 6) == 0x123);
  CHECK(r(d, 7) == 0);
}

TEST_CASE("sized atomics wrap within their width and leave the neighbours alone") {
  Directed d(1, prog(R"(
  li   r1, -1
  st   [x], r1
  st.8 [x], 0xff
  faa.8 r2, [x], 1
  ld   r1, [x]
  cas.16 r3, [x + 2], 0xffff, 0x1234
  ld   r4, [x]
  xchg.32 r5, [x + 4], 7
  ld   r6, [x]
)"));
  CHECK(r(d, 2) == 0xff);
  CHECK(r(d, 1) == 0xffffffffffffff00ULL);
  CHECK(r(d, 3) == 0xffff);
  CHECK(r(d, 4) == 0xffffffff1234ff00ULL);
  CHECK(r(d, 5) == 0xffffffff);
  CHECK(r(d, 6) == 0x000000071234ff00ULL);
}

TEST_CASE("LL/SC: stx succeeds after ldx, fails without a monitor or after another stx") {
  Directed d(1, prog(R"(
  ldx  r1, [x]
  add  r1, r1, 9
  stx  r2, [x], r1
  li   r6, 100
  stx  r3, [x], r6
  li   r6, 5
  stx  r4, [y], r6
  ldx  r5, [y]
  li   r6, 7
  stx  r6, [x], r6
  ld   r7, [x]
)"));
  CHECK(r(d, 2) == 1);
  CHECK(r(d, 3) == 0);   // monitor consumed by the first stx
  CHECK(r(d, 4) == 0);   // never monitored
  CHECK(r(d, 6) == 0);   // monitor is on y's line, not x's
  CHECK(r(d, 7) == 9);
}

TEST_CASE("branches compare signed; call and ret nest") {
  Directed d(1, prog(R"(
  li  r1, -1
  li  r2, 0
  blt r1, 0, neg
  li  r2, 99
neg:
  li  r3, 0
  bge r1, 1, skip
  li  r3, 1
skip:
  li  r4, 0
  call sub1
  li  r6, 0
  li  r7, 0
loop:
  add r7, r7, 2
  add r6, r6, 1
  bne r6, 5, loop
  ble r6, 5, done
  li  r7, 1000
done:
  jmp out
sub1:
  add r4, r4, 1
  call sub2
  ret
sub2:
  add r4, r4, 10
  ret
out:
)"));
  CHECK(r(d, 2) == 0);
  CHECK(r(d, 3) == 1);
  CHECK(r(d, 4) == 11);
  CHECK(r(d, 6) == 5);
  CHECK(r(d, 7) == 10);
}

TEST_CASE("cycle costs: alu 1, pause, work, fence, L1 hit, miss to memory over the bus") {
  // Defaults: alu 1, pause 40, fence 2, hit 4, bus request 2 + data 8, memory 120.
  Directed d(1, prog(R"(
  now r1
  pause
  now r2
  sub r1, r2, r1
  now r3
  work 100
  now r4
  sub r2, r4, r3
  now r3
  ld  r5, [x]
  now r4
  sub r3, r4, r3
  now r4
  ld  r5, [x]
  now r5
  sub r4, r5, r4
  now r5
  fence
  now r6
  sub r5, r6, r5
  li  r6, 50
  now r7
  work r6
  now r6
  sub r6, r6, r7
  li  r7, 0
)"));
  CHECK(r(d, 1) == 41);        // now (1) + pause (40)
  CHECK(r(d, 2) == 101);       // now + work 100
  CHECK(r(d, 3) == 1 + 130);   // now + bus 2 + 8 + memory 120
  CHECK(r(d, 4) == 1 + 4);     // now + L1 hit
  CHECK(r(d, 5) == 1 + 2);     // now + fence
  CHECK(r(d, 6) == 1 + 50);    // li is before the first now; work r6
}

TEST_CASE("rand stays in range and is deterministic per seed") {
  std::string body = R"(
  rand r1, 10, 20
  rand r2, 10, 20
  rand r3, 10, 20
  rand r4, 0, 0
)";
  Directed a(1, prog(body)), b(1, prog(body));
  for (int i = 1; i <= 3; ++i) {
    CHECK(r(a, i) >= 10);
    CHECK(r(a, i) <= 20);
    CHECK(r(a, i) == r(b, i));
  }
  CHECK(r(a, 4) == 0);
}

TEST_CASE("init runs once before the workload, as thread 0") {
  Directed d(2, "lock p\ncapacity 64\n.shared x\n.shared y\ninit:\n  st [x], 41\n  add r1, tid, 7\n  st [y], r1\n  ret\n"
                "acquire:\n  faa r1, [x], 1\n  ret\nrelease:\n  ret\n");
  CHECK(d.word("x") == 43);  // 41 + one faa per thread
  CHECK(d.word("y") == 7);
}

TEST_CASE("a wild address and a misaligned access are program errors (exit 2) naming the line") {
  auto run = [](const std::string& body) {
    try {
      Directed d(1, prog(body));
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  std::string wild = run("  li r1, 8\n  ld r2, [r1]\n");
  CHECK(wild.find("test.lock:8:3: address 8 is outside the lock's memory") == 0);
  CHECK(wild.find("outside the lock's memory") != std::string::npos);
  std::string mis = run("  lea r1, x\n  add r1, r1, 4\n  ld r2, [r1]\n");
  CHECK(mis.find("test.lock:9:3: misaligned 8-byte access at address 65540") == 0);
  CHECK(mis.find("misaligned 8-byte access") != std::string::npos);
}

TEST_CASE("wfe sleeps until the monitored line is written by another core; sev wakes a sleeper") {
  // Thread 1 parks in wfe on x's monitor; thread 0 writes x at cycle ~1000.
  Directed d(2, R"(lock ev
capacity 64
.shared x
.shared t
acquire:
  beq tid, 1, waiter
  work 1000
  st [x], 1
  ret
waiter:
  ldx r1, [x]
  bne r1, 0, woke
  wfe
  jmp waiter
woke:
  now r2
  st [t], r2
  ret
release:
  ret
)");
  uint64_t woke = d.word("t");
  CHECK(woke > 1000);
  CHECK(woke < 1400);  // the write at ~1000 plus a GetM, the wake and a GetS: not a timeout
  CHECK(d.s.per_core[1].micro_ops < 20);  // it slept: a handful of ops, not a spin

  Directed s(2, R"(lock ev
capacity 64
.shared t
acquire:
  beq tid, 1, waiter
  work 500
  sev
  ret
waiter:
  wfe
  now r2
  st [t], r2
  ret
release:
  ret
)");
  CHECK(s.word("t") == 502);  // sev at cycle 500 (+1 for sev itself), seen from the next cycle
}

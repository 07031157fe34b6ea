// Executes an assembled .lock program (isa::Program) on the calling OS thread, over a real
// cache-line-aligned arena laid out exactly as the simulator lays it out (Program::vars
// offsets), with real atomics of the access width. One Interpreter per thread: registers
// persist across calls, as in the simulator.
#pragma once
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "clock.hpp"
#include "isa/program.hpp"

namespace lockstep::native {

// A zeroed, line-aligned block. Aligned to 128 bytes, not 64, so that the adjacent-line
// prefetcher of x86 parts and 128-byte-line ARM parts see the same layout.
class Arena {
 public:
  static constexpr size_t kAlign = 128;
  explicit Arena(size_t bytes);
  ~Arena();
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  char* base() const { return base_; }
  size_t bytes() const { return bytes_; }
  uint64_t word(size_t offset) const;   // 8-byte read, for tests and dumps

 private:
  char* base_ = nullptr;
  size_t bytes_ = 0;
};

// Memory ordering of plain ld/st. The simulator's core is sequentially consistent, so that
// is the default; acq_rel (ld = acquire, st = release) is what a hand-written lock on x86
// would use and is offered to measure what SC stores cost. Atomics are always seq_cst.
enum class Order { SeqCst, AcqRel };

// What every thread of one run shares.
struct RunShared {
  char* arena = nullptr;
  uint64_t arena_bytes = 0;
  const CycleClock* clock = nullptr;
  uint64_t t0 = 0;                      // `now` counts core cycles from here
  bool yield_on_pause = false;          // oversubscribed: let the holder run
  Order order = Order::SeqCst;
  std::atomic<bool> stop{false};        // watchdog / checker asks every thread to leave
  std::atomic<uint64_t> sev{0};         // x86-64 emulation of the event register
};

// One thread alone over a fresh arena, `init:` already run (as in the simulator, init's
// registers are discarded): the setup of every single-thread run (overhead, the
// simulator-vs-native comparison). Interpreters for thread 0 attach to `shared`.
struct SoloRun {
  CycleClock clock;
  Arena arena;
  RunShared shared;
  SoloRun(const isa::Program& prog, double clock_ghz, uint64_t seed);
};

class Interpreter {
 public:
  Interpreter(const isa::Program& prog, RunShared& shared, int tid, int nthreads, uint64_t seed);

  enum class Exit { Returned, Stopped };
  // Runs from instruction `entry` until the matching `ret`. Returns Stopped when
  // RunShared::stop was seen (checked on every backward branch and in waits).
  // Throws InputError("file:line:col: ...") on a program fault (address outside the arena,
  // misaligned access, call stack overflow, falling off the end).
  Exit run(int entry);

  uint64_t reg(int i) const { return r_[i]; }
  int pc() const { return pc_; }
  uint64_t micro_ops() const { return micro_ops_; }
  void reset_micro_ops() { micro_ops_ = 0; }
  // "acquire+3 (ticket.lock:14 ld)": the nearest label before pc.
  std::string where() const;
  uint64_t stx_fallbacks() const { return stx_fallbacks_; }

 private:
  struct Src { uint8_t reg = 16; int64_t imm = 0; };   // value = r[reg] + imm; r[16] == 0
  struct Decoded {
    isa::Op op{};
    uint8_t size = 8, rd = 0;
    Src a, b, c;
    uintptr_t abase = 0;   // address = abase + r[areg] * amul
    uint8_t areg = 16;
    uint64_t amul = 0;
    uint64_t acount = 0;   // [name @ rX]: rX must be < acount
    int target = -1;
  };
  uint64_t val(const Src& s) const { return r_[s.reg] + uint64_t(s.imm); }
  uintptr_t address(const Decoded& d, bool for_access);
  [[noreturn]] void fault(const std::string& msg) const;
  uint64_t next_random();
  void wait_for_event();
  void own_write(uintptr_t a, int size, uint64_t v);

  const isa::Program& prog_;
  RunShared& sh_;
  int tid_;
  std::vector<Decoded> code_;
  uint64_t r_[17] = {};
  int pc_ = 0;
  uint64_t micro_ops_ = 0;
  uint64_t rng_[4];
  // LL/SC monitor as the program sees it: address, width and value of the last ldx.
  uintptr_t mon_addr_ = 0;
  int mon_size_ = 0;
  uint64_t mon_val_ = 0;
  uint64_t sev_seen_ = 0;
  int stx_fail_streak_ = 0;
  uint64_t stx_fallbacks_ = 0;
  // irq_save/irq_restore and preempt_disable/enable: user space cannot mask interrupts or
  // preemption, so natively they only keep this thread's flag and count (docs/native.md).
  uint64_t irqs_on_ = 1;
  int64_t preempt_count_ = 0;
};

}  // namespace lockstep::native

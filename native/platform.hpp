// The few machine instructions the native harness needs, one definition per architecture.
// Everything else in native/ is portable C++; only this file knows x86-64 from AArch64.
#pragma once
#include <cstdint>

#if defined(__x86_64__)
#include <x86intrin.h>
#elif defined(__aarch64__)
#else
#error "lockstep native harness: only x86-64 and AArch64 are supported"
#endif

namespace lockstep::native::hw {

#if defined(__x86_64__)
inline constexpr const char* kArch = "x86_64";
#else
inline constexpr const char* kArch = "aarch64";
#endif

// Spin hint: PAUSE on x86-64 (its length varies from ~10 to ~140 cycles across
// generations, see docs/native.md), YIELD on AArch64.
inline void cpu_relax() {
#if defined(__x86_64__)
  _mm_pause();
#else
  asm volatile("yield" ::: "memory");
#endif
}

// Serialised timestamp: the fence keeps earlier instructions from still being in flight
// when the counter is read (rdtsc alone can be executed early).
inline uint64_t ticks() {
#if defined(__x86_64__)
  _mm_lfence();
  uint64_t t = __rdtsc();
  _mm_lfence();
  return t;
#else
  uint64_t t;
  asm volatile("isb; mrs %0, cntvct_el0; isb" : "=r"(t)::"memory");
  return t;
#endif
}

// Unserialised timestamp for deadline loops, where being a few cycles late is harmless.
inline uint64_t ticks_fast() {
#if defined(__x86_64__)
  return __rdtsc();
#else
  uint64_t t;
  asm volatile("mrs %0, cntvct_el0" : "=r"(t));
  return t;
#endif
}

// Counter frequency the architecture states, in Hz; 0 when it must be measured (x86-64).
inline uint64_t stated_tick_hz() {
#if defined(__aarch64__)
  uint64_t f;
  asm volatile("mrs %0, cntfrq_el0" : "=r"(f));
  return f;
#else
  return 0;
#endif
}

inline void full_fence() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

// Evicts a line from every cache of the coherence domain (calibration's "uncached" case).
// AArch64 user space may not be allowed DC CIVAC; callers check flush_supported().
inline bool flush_supported() {
#if defined(__x86_64__)
  return true;
#else
  return false;
#endif
}
inline void flush_line(const void* p) {
#if defined(__x86_64__)
  _mm_clflush(p);
  _mm_mfence();
#else
  (void)p;
#endif
}

#if defined(__aarch64__)
// Exclusive load/store of 1, 2, 4 or 8 bytes with acquire/release ordering, so the pair
// orders like the simulator's sequentially consistent core does.
inline uint64_t load_exclusive(const void* p, int size) {
  uint64_t v;
  switch (size) {
    case 1: { uint32_t w; asm volatile("ldaxrb %w0, [%1]" : "=&r"(w) : "r"(p) : "memory"); v = w; break; }
    case 2: { uint32_t w; asm volatile("ldaxrh %w0, [%1]" : "=&r"(w) : "r"(p) : "memory"); v = w; break; }
    case 4: { uint32_t w; asm volatile("ldaxr %w0, [%1]" : "=&r"(w) : "r"(p) : "memory"); v = w; break; }
    default: asm volatile("ldaxr %0, [%1]" : "=&r"(v) : "r"(p) : "memory"); break;
  }
  return v;
}
// True when the store happened (the monitor was still held).
inline bool store_exclusive(void* p, uint64_t v, int size) {
  uint32_t fail;
  switch (size) {
    case 1: asm volatile("stlxrb %w0, %w2, [%1]" : "=&r"(fail) : "r"(p), "r"(v) : "memory"); break;
    case 2: asm volatile("stlxrh %w0, %w2, [%1]" : "=&r"(fail) : "r"(p), "r"(v) : "memory"); break;
    case 4: asm volatile("stlxr %w0, %w2, [%1]" : "=&r"(fail) : "r"(p), "r"(v) : "memory"); break;
    default: asm volatile("stlxr %w0, %2, [%1]" : "=&r"(fail) : "r"(p), "r"(v) : "memory"); break;
  }
  return fail == 0;
}
inline void clear_exclusive() { asm volatile("clrex" ::: "memory"); }
inline void wait_for_event() { asm volatile("wfe" ::: "memory"); }
inline void send_event() { asm volatile("sev" ::: "memory"); }
#endif

}  // namespace lockstep::native::hw

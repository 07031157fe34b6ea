// SplitMix64 (Steele, Lea & Flood 2014): the project's one PRNG. Small, fast, and the same
// sequence on every host and compiler, which is what byte-identical results need (the
// standard library's distributions are implementation-defined).
#pragma once
#include <cstdint>

namespace lockstep {

struct SplitMix64 {
  uint64_t s = 0;
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) { return next() % n; }  // [0, n); the modulo bias is < n / 2^64
  bool chance(int percent) { return below(100) < uint64_t(percent); }
  double unit_open0() { return double((next() >> 11) + 1) * 0x1.0p-53; }  // (0, 1]: safe for log()
};

}  // namespace lockstep

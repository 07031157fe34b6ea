// Main memory (or the LLC): the home of every line's data, zero until written. Latency is
// modelled by whoever reads it (the bus, the directory); this only holds values.
#pragma once
#include <cstdint>
#include <cstring>
#include <unordered_map>
#include <vector>

namespace lockstep::coherence {

class Memory {
 public:
  explicit Memory(int line_bytes) : line_bytes_(line_bytes) {}
  void read(uint64_t line, uint8_t* dst) const {
    auto it = lines_.find(line);
    if (it == lines_.end()) std::memset(dst, 0, size_t(line_bytes_));
    else std::memcpy(dst, it->second.data(), size_t(line_bytes_));
  }
  void write(uint64_t line, const uint8_t* src) {
    auto& v = lines_[line];
    v.assign(src, src + line_bytes_);
  }
  // Functional access for init: and tests (no timing, no caches).
  uint8_t* raw(uint64_t line) {
    auto& v = lines_[line];
    if (v.empty()) v.assign(size_t(line_bytes_), 0);
    return v.data();
  }
  int line_bytes() const { return line_bytes_; }

 private:
  int line_bytes_;
  std::unordered_map<uint64_t, std::vector<uint8_t>> lines_;
};

}  // namespace lockstep::coherence

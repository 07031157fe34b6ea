// Hand-written C++ versions of some built-in locks, run by the same harness loop as the
// interpreted programs (`lockstep native run --handwritten`). The difference between the two
// is the interpreter's overhead, reported in docs/native.md. They follow the .lock programs'
// algorithms and memory layout (each variable on its own line), with the orderings a careful
// C++ implementation uses (acquire/release, not seq_cst everywhere).
#pragma once
#include <atomic>
#include <memory>
#include <string>
#include <vector>

namespace lockstep::native {

class HandLock {
 public:
  virtual ~HandLock() = default;
  // Returns false when `stop` was seen while waiting (the run is being abandoned).
  virtual bool acquire(int tid, const std::atomic<bool>& stop) = 0;
  virtual void release(int tid) = 0;
  // Where each piece of the lock's data lives, for the layout check: ("tail", address),
  // ("node[0]", address), ...; every entry must start its own cache line.
  virtual std::vector<std::pair<std::string, const void*>> layout() const = 0;
};

// The padding the hand-written locks use: each lock word and each per-thread node on a
// line of its own (128 bytes: the adjacent-line prefetcher pairs 64-byte lines).
inline constexpr size_t kHandLine = 128;

std::vector<std::string> handwritten_locks();   // "mcs", "ticket", "ttas"
// nullptr when there is no hand-written version of `name`.
std::unique_ptr<HandLock> make_handwritten(const std::string& name, int nthreads);

}  // namespace lockstep::native

#include "handwritten/locks.hpp"

#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>
#include <utility>

#include "platform.hpp"

namespace lockstep::native {

namespace {

constexpr size_t kLine = kHandLine;  // same padding as the interpreter's arena alignment

struct alignas(kLine) PaddedWord {
  std::atomic<uint64_t> v{0};
};

// Test-and-test-and-set: spin reading until free, then swap.
class Ttas final : public HandLock {
 public:
  bool acquire(int, const std::atomic<bool>& stop) override {
    for (;;) {
      while (word_.v.load(std::memory_order_relaxed) != 0) {
        if (stop.load(std::memory_order_relaxed)) return false;
        hw::cpu_relax();
      }
      if (word_.v.exchange(1, std::memory_order_acquire) == 0) return true;
    }
  }
  void release(int) override { word_.v.store(0, std::memory_order_release); }
  std::vector<std::pair<std::string, const void*>> layout() const override { return {{"word", &word_}}; }

 private:
  PaddedWord word_;
};

// Ticket lock: next and owner on separate lines, as locks/ticket.lock lays them out.
class Ticket final : public HandLock {
 public:
  bool acquire(int, const std::atomic<bool>& stop) override {
    uint64_t me = next_.v.fetch_add(1, std::memory_order_relaxed);
    while (owner_.v.load(std::memory_order_acquire) != me) {
      if (stop.load(std::memory_order_relaxed)) return false;
      hw::cpu_relax();
    }
    return true;
  }
  void release(int) override {
    owner_.v.store(owner_.v.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }
  std::vector<std::pair<std::string, const void*>> layout() const override {
    return {{"next", &next_}, {"owner", &owner_}};
  }

 private:
  PaddedWord next_, owner_;
};

// MCS queue lock (Mellor-Crummey and Scott 1991): the tail alone on its line, one node per
// thread on a line of its own. The node array's pointer and the thread count are read on
// every call, so they sit on a line of their own too: beside the tail they made every
// release miss on the line the next acquirer had just exchanged.
class Mcs final : public HandLock {
 public:
  explicit Mcs(int n) : n_(n) {
    nodes_ = static_cast<Node*>(std::aligned_alloc(kLine, sizeof(Node) * size_t(n)));
    if (!nodes_) throw std::bad_alloc();
    for (int i = 0; i < n; ++i) new (&nodes_[i]) Node();
  }
  ~Mcs() override {
    for (int i = 0; i < n_; ++i) nodes_[i].~Node();
    std::free(nodes_);
  }
  bool acquire(int tid, const std::atomic<bool>& stop) override {
    Node* me = &nodes_[tid];
    me->next.store(nullptr, std::memory_order_relaxed);
    me->locked.store(1, std::memory_order_relaxed);
    Node* prev = tail_.v.exchange(me, std::memory_order_acq_rel);
    if (!prev) return true;
    prev->next.store(me, std::memory_order_release);
    while (me->locked.load(std::memory_order_acquire) != 0) {
      // Abandoning a queued MCS acquire would break the queue; only a stopped run does it.
      if (stop.load(std::memory_order_relaxed)) return false;
      hw::cpu_relax();
    }
    return true;
  }
  void release(int tid) override {
    Node* me = &nodes_[tid];
    Node* succ = me->next.load(std::memory_order_acquire);
    if (!succ) {
      Node* expected = me;
      if (tail_.v.compare_exchange_strong(expected, nullptr, std::memory_order_acq_rel)) return;
      while (!(succ = me->next.load(std::memory_order_acquire))) hw::cpu_relax();
    }
    succ->locked.store(0, std::memory_order_release);
  }
  std::vector<std::pair<std::string, const void*>> layout() const override {
    std::vector<std::pair<std::string, const void*>> out = {{"tail", &tail_.v}, {"nodes pointer", &nodes_}};
    for (int i = 0; i < n_; ++i) out.push_back({"node[" + std::to_string(i) + "]", &nodes_[i]});
    return out;
  }

 private:
  struct alignas(kLine) Node {
    std::atomic<Node*> next{nullptr};
    std::atomic<uint64_t> locked{0};
  };
  struct alignas(kLine) Tail {
    std::atomic<Node*> v{nullptr};
  };
  Tail tail_;                        // one line, written by every acquirer
  alignas(kLine) Node* nodes_ = nullptr;   // read-only after construction: its own line
  int n_;
};

}  // namespace

std::vector<std::string> handwritten_locks() { return {"mcs", "ticket", "ttas"}; }

std::unique_ptr<HandLock> make_handwritten(const std::string& name, int nthreads) {
  if (name == "ttas") return std::make_unique<Ttas>();
  if (name == "ticket") return std::make_unique<Ticket>();
  if (name == "mcs") return std::make_unique<Mcs>(nthreads);
  return nullptr;
}

}  // namespace lockstep::native

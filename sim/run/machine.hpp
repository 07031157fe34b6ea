// The simulated machine for one point: engine, memory, L1 controllers, the fabric (a
// snooping bus, or a directory over a network), cores and the workload harness. Built
// from a config::Point; run() returns what it measured. Tests use it to look inside.
#pragma once
#include <memory>
#include <vector>

#include "bus/snoop_bus.hpp"
#include "cache/llc.hpp"
#include "coherence/dir_fabric.hpp"
#include "coherence/dir_l1.hpp"
#include "coherence/directory.hpp"
#include "coherence/memory.hpp"
#include "coherence/protocol.hpp"
#include "coherence/snoop_l1.hpp"
#include "config/config.hpp"
#include "cpu/core.hpp"
#include "engine/engine.hpp"
#include "interconnect/network.hpp"
#include "isa/program.hpp"
#include "observe/event.hpp"
#include "observe/lock_metrics.hpp"
#include "run/simulate.hpp"
#include "stats/stats.hpp"
#include "trace/context.hpp"
#include "trace/writer.hpp"
#include "workload/harness.hpp"

namespace lockstep::sim {

class Machine {
 public:
  // `lock` may be given directly (tests); otherwise the point's workload.lock is loaded.
  explicit Machine(const config::Point& p, const SimOptions& opt = {}, const isa::Program* lock = nullptr);
  ~Machine();
  stats::Point run();

  // Inspection for tests.
  Engine& engine() { return engine_; }
  coherence::Memory& memory() { return memory_; }
  stats::Coherence& counters() { return ctr_; }
  coherence::SnoopL1& l1(int core) { return *l1s_[size_t(core)]; }
  coherence::SnoopBus& bus() { return *bus_; }
  cache::Llc* llc() { return llc_.get(); }  // nullptr with machine.llc: none
  // machine.coherence: directory
  bool directory_mode() const { return fabric_ != nullptr; }
  coherence::DirL1& dir_l1(int core) { return *dir_l1s_[size_t(core)]; }
  coherence::Directory& directory() { return *dir_; }
  coherence::DirFabric& fabric() { return *fabric_; }
  net::Network& network() { return *net_; }
  cpu::Core& core(int i) { return *cores_[size_t(i)]; }
  const isa::Program& lock() const { return lock_; }
  uint64_t arena_base() const { return kArenaBase; }
  // The current value of a word, wherever the newest copy is (a dirty L1 or memory).
  uint64_t peek(uint64_t addr, unsigned size = 8);
  // Trace writers and step tables: what they need to name lines and read L1 states, and a
  // subscription to the event stream that also turns on the fabric's coherence events.
  trace::Context trace_context();
  std::vector<bool> stable_states() const;
  // wants_exec: the observer needs an Exec event per micro-op (fast-forward is then off).
  void subscribe(observe::Observer* o, bool wants_exec = false);

  static constexpr uint64_t kArenaBase = 0x10000;

 private:
  struct Port;
  struct DirPort;
  // The fabric: builds the L1s of its coherence mode and one memory port per core.
  void build_snoop(const coherence::ControllerSpec& spec);
  std::string snoop_kind() const;  // snoop, or snoop-split on a split bus
  void build_directory();
  // The figures as they stand now (at the end, or at a time window's close).
  stats::Point collect() const;
  config::Point p_;
  Engine engine_;
  coherence::Memory memory_;
  stats::Coherence ctr_;
  coherence::Protocol protocol_;
  isa::Program lock_;
  isa::Program cs_;
  isa::Program irq_bodies_[2];  // the interrupt handlers' own work (timer, device)
  observe::Stream stream_;
  std::unique_ptr<observe::LockMetrics> metrics_;
  std::unique_ptr<workload::Harness> harness_;
  std::unique_ptr<stats::Point> closed_;  // time-window mode: the figures at the close
  std::unique_ptr<cache::Llc> llc_;
  std::unique_ptr<coherence::SnoopBus> bus_;
  std::vector<std::unique_ptr<coherence::SnoopL1>> l1s_;
  std::unique_ptr<net::Network> net_;
  std::unique_ptr<coherence::DirFabric> fabric_;
  std::unique_ptr<coherence::Directory> dir_;
  std::vector<std::unique_ptr<coherence::DirL1>> dir_l1s_;
  std::vector<std::unique_ptr<cpu::MemPort>> ports_;  // one per core, onto its L1
  std::vector<std::unique_ptr<cpu::Core>> cores_;
  std::function<void(uint64_t, int64_t)> heartbeat_;  // SimOptions::heartbeat
  std::vector<std::unique_ptr<trace::Writer>> writers_;  // --trace
  bool writers_done_ = false;
  void finish_traces();
};

}  // namespace lockstep::sim

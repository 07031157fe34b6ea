// Directory coherence (machine.coherence: directory): the generic table-driven L1 and home
// controllers against the Primer's tables (ch. 8), textbook message counts, and every lock
// on every protocol x network with the invariant checker on.
#include <doctest/doctest.h>

#include <map>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <vector>
#include <string>

#include "coherence/protocol.hpp"
#include "common/error.hpp"
#include "config/config.hpp"
#include "isa/program.hpp"
#include "output/stats_json.hpp"
#include "run/machine.hpp"

using namespace lockstep;

namespace {

config::Point dir_point(int cores, const std::string& protocol, const std::string& topology = "crossbar") {
  config::Point p;
  p.name = "test";
  p.machine.cores = cores;
  p.machine.protocol = protocol;
  p.machine.coherence = "directory";
  p.machine.interconnect.topology = topology;
  if (topology == "numa") p.machine.interconnect.sockets = cores >= 4 ? 2 : 1;
  p.workload.threads = cores;
  p.run.check_invariants = true;
  return p;
}

isa::Program assemble(const std::string& src, int ncpu) {
  isa::AssembleOptions o;
  o.file = "test.lock";
  o.ncpu = ncpu;
  return isa::assemble(src, o);
}

// Every thread runs `acquire` once; capacity = 64 so threads never wait on each other.
struct Directed {
  config::Point p;
  isa::Program prog;
  std::unique_ptr<sim::Machine> m;
  stats::Point s;
  Directed(int cores, const std::string& src, const std::string& protocol, const std::string& topology = "crossbar",
           int occupancy = 10) {
    p = dir_point(cores, protocol, topology);
    p.machine.directory.occupancy_cycles = occupancy;
    p.workload.acquisitions_per_thread = 1;
    p.workload.warmup_acquisitions = 0;
    p.workload.critical_section = {0, 0, 0};
    p.workload.outside.cycles = 0;
    prog = assemble(src, cores);
    m = std::make_unique<sim::Machine>(p, sim::SimOptions{}, &prog);
    s = m->run();
  }
  uint64_t line(const std::string& var) const {
    return (sim::Machine::kArenaBase + prog.vars[size_t(prog.var_index(var))].offset) / 64;
  }
  std::string state(int core, const std::string& var) {
    auto* st = m->dir_l1(core).state_of(line(var));
    return st ? st->name : "I";
  }
  std::string dir_state(const std::string& var) { return m->directory().state_name(line(var)); }
  uint64_t msgs(const std::string& type) const {
    auto it = s.coherence.messages_by_type.find(type);
    return it == s.coherence.messages_by_type.end() ? 0 : it->second;
  }
};

}  // namespace

TEST_CASE("every built-in lock keeps mutual exclusion on every directory protocol and network, invariants checked") {
  for (std::string proto : {"MSI", "MESI", "MOESI", "MESIF"})
    for (std::string topo : {"crossbar", "ring", "mesh", "numa"})
      for (std::string lock : {"tas", "ttas", "ttas_backoff", "ticket", "ticket_backoff", "anderson", "mcs", "clh", "qspinlock"}) {
        CAPTURE(proto);
        CAPTURE(topo);
        CAPTURE(lock);
        config::Point p = dir_point(8, proto, topo);
        p.workload.lock = lock;
        p.workload.acquisitions_per_thread = 20;
        p.workload.warmup_acquisitions = 5;
        p.workload.critical_section = {20, 1, 1};
        p.workload.outside = {};
        p.workload.outside.dist = "uniform";
        p.workload.outside.min = 0;
        p.workload.outside.max = 200;
        sim::Machine m(p);
        stats::Point s;
        REQUIRE_NOTHROW(s = m.run());
        CHECK(s.acquisitions == 8 * 20);
        CHECK(s.coherence.bus_transactions == 0);
        CHECK(s.coherence.messages > 0);
        CHECK(m.fabric().idle());
      }
}

namespace {
// Random loads, stores and atomics over more lines than a tiny L1 holds: evictions race
// with forwarded requests and invalidations (MI_A + Fwd-GetS, SI_A + Inv, PutM from a
// non-owner, ...). The invariant checker runs after every event.
const char* kStress = R"(lock stress
capacity 64
.array a 40
acquire:
  li   r5, OPS
loop:
  rand r1, 0, 39
  rand r2, 0, 3
  beq  r2, 0, doload
  beq  r2, 1, dostore
  beq  r2, 2, doload
  faa  r3, [a @ r1], 1
  jmp  next
doload:
  ld   r3, [a @ r1]
  jmp  next
dostore:
  st   [a @ r1], r5
next:
  rand r4, 0, 30
  work r4
  sub  r5, r5, 1
  bne  r5, 0, loop
  li   r0, 1
  ret
release:
  ret
)";

stats::Point stress(const std::string& proto, const std::string& topo, int cores, int ops, uint64_t seed, int occupancy,
                    bool ff = true) {
  config::Point p = dir_point(cores, proto, topo);
  p.seed = seed;
  p.machine.l1 = {1, 2, 4, 64};  // 16 lines in 8 sets
  p.machine.directory.occupancy_cycles = occupancy;
  p.workload.acquisitions_per_thread = 1;
  p.workload.warmup_acquisitions = 0;
  p.workload.critical_section = {0, 0, 0};
  p.workload.outside.cycles = 0;
  p.run.fast_forward = ff;
  std::string src = kStress;
  src.replace(src.find("OPS"), 3, std::to_string(ops));
  auto prog = assemble(src, cores);
  sim::Machine m(p, sim::SimOptions{}, &prog);
  auto s = m.run();
  CHECK(m.fabric().idle());
  return s;
}
}  // namespace

TEST_CASE("random stress with evictions: no invariant violation, no deadlock, on every protocol and network") {
  for (std::string proto : {"MSI", "MESI", "MOESI", "MESIF"})
    for (std::string topo : {"crossbar", "ring", "mesh", "numa"})
      for (uint64_t seed : {1, 2, 3})
        for (int occ : {0, 10}) {
          CAPTURE(proto);
          CAPTURE(topo);
          CAPTURE(seed);
          CAPTURE(occ);
          stats::Point s;
          REQUIRE_NOTHROW(s = stress(proto, topo, 8, 1500, seed, occ));
          CHECK(s.coherence.writebacks > 0);
        }
}


// ---- the tables against the Primer (reference/coherence-tables.md) ---------------------------

namespace {
// "actions / next" of one cell, as the simulator will run it.
std::string cell(const coherence::ControllerSpec& c, const std::string& st, const std::string& ev) {
  int s = c.state(st), e = c.event(ev);
  if (s < 0) return "no state " + st;
  if (e < 0) return "no event " + ev;
  const auto& t = c.at(s, e);
  if (!t.defined) return "undefined";
  std::string out;
  for (auto a : t.actions) out += (*c.actions)[a] + " ";
  return out + "/ " + (t.next < 0 ? st : c.states[size_t(t.next)].name);
}

struct Cell { const char* state; const char* event; const char* expect; };

void check_cells(const std::string& proto, const std::string& kind, const std::vector<Cell>& cells) {
  auto p = coherence::load_protocol(proto);
  const auto& c = p.controller(kind);
  for (const auto& x : cells) {
    CAPTURE(proto);
    CAPTURE(kind);
    CAPTURE(x.state);
    CAPTURE(x.event);
    CHECK(cell(c, x.state, x.event) == x.expect);
  }
}

// Cache cells every protocol shares with MSI (Table 8.1): I, S and M's own requests, S's
// invalidation, the transient states' data and ack handling, and the eviction handshakes.
const std::vector<Cell> kCommonCache = {
    {"I", "Load", "sendGetS / IS_D"},
    {"I", "Store", "sendGetM / IM_AD"},
    {"S", "Load", "hit / S"},
    {"S", "Store", "sendGetM / SM_AD"},
    {"S", "Replacement", "sendPutS / SI_A"},
    {"S", "Inv", "sendInvAck / I"},
    {"M", "Load", "hit / M"},
    {"M", "Store", "hit / M"},
    {"M", "Replacement", "sendPutM / MI_A"},
    {"M", "Fwd-GetM", "sendDataToReq / I"},
    {"IS_D", "Load", "stall / IS_D"},
    {"IS_D", "Store", "stall / IS_D"},
    {"IS_D", "Replacement", "stall / IS_D"},
    {"IS_D", "Inv", "stall / IS_D"},
    {"IM_AD", "Load", "stall / IM_AD"},
    {"IM_AD", "Fwd-GetS", "stall / IM_AD"},
    {"IM_AD", "Fwd-GetM", "stall / IM_AD"},
    {"IM_AD", "Data", "setAcks hit / M"},
    {"IM_AD", "Data-Acks", "setAcks / IM_A"},
    {"IM_AD", "Inv-Ack", "decAcks / IM_AD"},
    {"IM_A", "Inv-Ack", "decAcks / IM_A"},
    {"IM_A", "Last-Inv-Ack", "decAcks hit / M"},
    {"IM_A", "Fwd-GetS", "stall / IM_A"},
    {"SM_AD", "Load", "hit / SM_AD"},
    {"SM_AD", "Store", "stall / SM_AD"},
    {"SM_AD", "Inv", "sendInvAck / IM_AD"},
    {"SM_AD", "Data", "setAcks hit / M"},
    {"SM_AD", "Data-Acks", "setAcks / SM_A"},
    {"SM_A", "Load", "hit / SM_A"},
    {"SM_A", "Last-Inv-Ack", "decAcks hit / M"},
    {"MI_A", "Load", "stall / MI_A"},
    {"MI_A", "Fwd-GetM", "sendDataToReq / II_A"},
    {"MI_A", "Put-Ack", "/ I"},
    {"SI_A", "Load", "stall / SI_A"},
    {"SI_A", "Inv", "sendInvAck / II_A"},
    {"SI_A", "Put-Ack", "/ I"},
    {"II_A", "Put-Ack", "/ I"},
};
}  // namespace

TEST_CASE("MSI directory tables are the Primer's Tables 8.1 and 8.2") {
  check_cells("MSI", "cache", kCommonCache);
  check_cells("MSI", "cache", {
      {"M", "Fwd-GetS", "sendDataToReq sendDataToDir / S"},
      {"IS_D", "Data", "hit / S"},
      {"MI_A", "Fwd-GetS", "sendDataToReq sendDataToDir / SI_A"},
  });
  check_cells("MSI", "directory", {
      {"I", "GetS", "sendDataToReq addReqToSharers / S"},
      {"I", "GetM", "sendDataToReq setOwnerToReq / M"},
      {"I", "PutS-NotLast", "sendPutAck / I"},
      {"I", "PutS-Last", "sendPutAck / I"},
      {"I", "PutM-NonOwner", "sendPutAck / I"},
      {"S", "GetS", "sendDataToReq addReqToSharers / S"},
      {"S", "GetM", "sendDataToReq sendInvToSharers clearSharers setOwnerToReq / M"},
      {"S", "PutS-NotLast", "removeReqFromSharers sendPutAck / S"},
      {"S", "PutS-Last", "removeReqFromSharers sendPutAck / I"},
      {"S", "PutM-NonOwner-NotLast", "removeReqFromSharers sendPutAck / S"},
      {"M", "GetS", "fwdGetSToOwner addReqToSharers addOwnerToSharers clearOwner / S_D"},
      {"M", "GetM", "fwdGetMToOwner setOwnerToReq / M"},
      {"M", "PutS-Last", "sendPutAck / M"},
      {"M", "PutM-Owner", "writeMemory clearOwner sendPutAck / I"},
      {"M", "PutM-NonOwner", "sendPutAck / M"},
      {"S_D", "GetS", "stall / S_D"},
      {"S_D", "GetM", "stall / S_D"},
      {"S_D", "PutS-NotLast", "removeReqFromSharers sendPutAck / S_D"},
      {"S_D", "PutM-NonOwner-NotLast", "removeReqFromSharers sendPutAck / S_D"},
      {"S_D", "Data", "writeMemory / S"},
  });
}

TEST_CASE("MESI directory tables: E from a lone GetS, silent E -> M, PutE, S_D on a read of E/M") {
  check_cells("MESI", "cache", kCommonCache);
  check_cells("MESI", "cache", {
      {"IS_D", "Data", "hit / S"},
      {"IS_D", "Data-Excl", "hit / E"},
      {"E", "Load", "hit / E"},
      {"E", "Store", "hit / M"},
      {"E", "Replacement", "sendPutE / EI_A"},
      {"E", "Fwd-GetS", "sendDataToReq sendDataToDir / S"},
      {"E", "Fwd-GetM", "sendDataToReq / I"},
      {"M", "Fwd-GetS", "sendDataToReq sendDataToDir / S"},
      {"EI_A", "Put-Ack", "/ I"},
  });
  check_cells("MESI", "directory", {
      {"I", "GetS", "sendExclDataToReq setOwnerToReq / E"},
      {"I", "GetM", "sendDataToReq setOwnerToReq / M"},
      {"S", "GetS", "sendDataToReq addReqToSharers / S"},
      {"S", "GetM", "sendDataToReq sendInvToSharers clearSharers setOwnerToReq / M"},
      {"E", "GetS", "fwdGetSToOwner addReqToSharers addOwnerToSharers clearOwner / S_D"},
      {"E", "GetM", "fwdGetMToOwner setOwnerToReq / M"},
      {"E", "PutE-Owner", "clearOwner sendPutAck / I"},
      {"E", "PutM-Owner", "writeMemory clearOwner sendPutAck / I"},
      {"M", "GetS", "fwdGetSToOwner addReqToSharers addOwnerToSharers clearOwner / S_D"},
      {"M", "PutM-Owner", "writeMemory clearOwner sendPutAck / I"},
      {"S_D", "Data", "writeMemory / S"},
  });
}

TEST_CASE("MOESI directory tables: M/E -> O on a read without memory update, O answers reads, owner upgrade by AckCount") {
  check_cells("MOESI", "cache", kCommonCache);
  check_cells("MOESI", "cache", {
      {"IS_D", "Data-Excl", "hit / E"},
      {"E", "Store", "hit / M"},
      {"E", "Fwd-GetS", "sendDataToReq / OC"},  // owned but clean
      {"M", "Fwd-GetS", "sendDataToReq / O"},
      {"OC", "Fwd-GetS", "sendDataToReq / OC"},
      {"OC", "Fwd-GetM", "sendDataToReq / I"},
      {"OC", "Store", "sendGetM / OM_AC"},
      {"OC", "Replacement", "sendPutO / OI_A"},
      {"O", "Load", "hit / O"},
      {"O", "Fwd-GetS", "sendDataToReq / O"},
      {"O", "Fwd-GetM", "sendDataToReq / I"},
      {"O", "Store", "sendGetM / OM_AC"},
      {"O", "Replacement", "sendPutO / OI_A"},
      {"OM_AC", "Load", "hit / OM_AC"},
      {"OM_AC", "AckCount", "setAcks hit / M"},
      {"OM_AC", "AckCount-Acks", "setAcks / OM_A"},
      {"OM_AC", "Fwd-GetS", "sendDataToReq / OM_AC"},
      {"OM_AC", "Fwd-GetM", "sendDataToReq / IM_AD"},
      {"OM_A", "Last-Inv-Ack", "decAcks hit / M"},
      {"OI_A", "Fwd-GetS", "sendDataToReq / OI_A"},
      {"OI_A", "Put-Ack", "/ I"},
  });
  check_cells("MOESI", "directory", {
      {"I", "GetS", "sendExclDataToReq setOwnerToReq / E"},
      {"M", "GetS", "fwdGetSToOwner addReqToSharers / O"},
      {"E", "GetS", "fwdGetSToOwner addReqToSharers / O"},
      {"O", "GetS", "fwdGetSToOwner addReqToSharers / O"},
      {"O", "GetM-Owner", "sendAckCountToReq sendInvToSharers clearSharers / M"},
      {"O", "GetM", "fwdGetMToOwner sendInvToSharers clearSharers setOwnerToReq / M"},
      {"O", "PutO-Owner-NotLast", "writeMemory clearOwner sendPutAck / S"},
      {"O", "PutO-Owner", "writeMemory clearOwner sendPutAck / I"},
      {"O", "PutS-NotLast", "removeReqFromSharers sendPutAck / O"},
  });
}

TEST_CASE("MESIF directory tables: the newest reader gets F, F forwards clean data") {
  check_cells("MESIF", "cache", kCommonCache);
  check_cells("MESIF", "cache", {
      {"IS_D", "Data", "hit / F"},
      {"IS_D", "Data-Excl", "hit / E"},
      {"F", "Load", "hit / F"},
      {"F", "Fwd-GetS", "sendDataToReq / S"},
      {"F", "Fwd-GetM", "sendDataToReq / I"},
      {"F", "Store", "sendGetM / FM_AC"},
      {"F", "Replacement", "sendPutF / FI_A"},
      {"E", "Store", "hit / M"},
      {"M", "Fwd-GetS", "sendDataToReq sendDataToDir / S"},
  });
  check_cells("MESIF", "directory", {
      {"I", "GetS", "sendExclDataToReq setOwnerToReq / E"},
      {"S", "GetS", "sendDataToReq setOwnerToReq / F"},
      {"F", "GetS", "fwdGetSToOwner addOwnerToSharers setOwnerToReq / F"},
      {"F", "GetM", "fwdGetMToOwner sendInvToSharers clearSharers setOwnerToReq / M"},
      {"F", "GetM-Owner", "sendAckCountToReq sendInvToSharers clearSharers / M"},
      {"F", "PutF-Owner-NotLast", "clearOwner sendPutAck / S"},
      {"M", "GetS", "fwdGetSToOwner addOwnerToSharers setOwnerToReq / F_D"},
      {"F_D", "Data", "writeMemory / F"},
  });
}

// ---- textbook scenarios, exact message counts -----------------------------------------------

namespace {
// Threads 1..k read x one after another; then thread 0 writes it.
const char* kSharersThenWriter = R"(lock seq
capacity 64
.shared x
acquire:
  mov  r8, tid
  beq  r8, 0, writer
  mul  r9, tid, 1000
  work r9
  ld   r1, [x]
  jmp  out
writer:
  li   r9, 50000
  work r9
  st   [x], 7
out:
  li   r0, 1
  ret
release:
  ret
)";
}  // namespace

TEST_CASE("a store to a line shared by k other caches: k Inv and k Inv-Ack (an owner's copy goes by one Fwd-GetM instead)") {
  for (int k : {1, 3, 7}) {
    CAPTURE(k);
    Directed msi(k + 1, kSharersThenWriter, "MSI");
    CHECK(msi.msgs("Inv") == uint64_t(k));
    CHECK(msi.msgs("Inv-Ack") == uint64_t(k));
    CHECK(msi.s.coherence.invalidations == uint64_t(k));
    // k x (GetS + Data), then GetM + Data(acks = k) + k Inv + k Inv-Ack.
    CHECK(msi.s.coherence.messages == uint64_t(4 * k + 2));
    CHECK(msi.state(0, "x") == "M");
    CHECK(msi.dir_state("x") == "M");
    for (int c = 1; c <= k; ++c) CHECK(msi.state(c, "x") == "I");
    CHECK(msi.m->peek(sim::Machine::kArenaBase + msi.prog.vars[0].offset) == 7);

    // MESI: a lone reader holds E, which a writer takes with one Fwd-GetM; from two readers
    // on the line is S and the k-Inv rule holds. The first reader gets E; the second is
    // forwarded to it (+ Fwd-GetS, + its copy to the directory); the rest read memory.
    Directed mesi(k + 1, kSharersThenWriter, "MESI");
    CHECK(mesi.msgs("Inv") == uint64_t(k == 1 ? 0 : k));
    CHECK(mesi.msgs("Inv-Ack") == uint64_t(k == 1 ? 0 : k));
    CHECK(mesi.msgs("Fwd-GetM") == uint64_t(k == 1 ? 1 : 0));
    CHECK(mesi.s.coherence.invalidations == uint64_t(k));
    CHECK(mesi.s.coherence.writebacks == 0);  // the E copy was clean
    CHECK(mesi.s.coherence.messages == uint64_t(k == 1 ? 5 : 4 * k + 4));

    for (std::string proto : {"MOESI", "MESIF"}) {
      CAPTURE(proto);
      Directed d(k + 1, kSharersThenWriter, proto);
      CHECK(d.msgs("Inv") == uint64_t(k - 1));
      CHECK(d.msgs("Inv-Ack") == uint64_t(k - 1));
      CHECK(d.msgs("Fwd-GetM") == 1);
      CHECK(d.s.coherence.messages == uint64_t(proto == "MOESI" ? 5 * k : (k == 1 ? 5 : 5 * k + 1)));
      CHECK(d.s.coherence.invalidations == uint64_t(k));
      CHECK(d.s.coherence.writebacks == 0);
      CHECK(d.state(0, "x") == "M");
    }
  }
}

TEST_CASE("a read of a line in M elsewhere is forwarded once") {
  const char* src = R"(lock seq
capacity 64
.shared x
acquire:
  mov  r8, tid
  beq  r8, 0, writer
  li   r9, 5000
  work r9
  ld   r1, [x]
  jmp  out
writer:
  st   [x], 9
out:
  li   r0, 1
  ret
release:
  ret
)";
  struct Expect { const char* proto; uint64_t msgs, wb; const char *s0, *s1, *dir; };
  for (auto e : {Expect{"MSI", 6, 1, "S", "S", "S"}, Expect{"MESI", 6, 1, "S", "S", "S"},
                 Expect{"MOESI", 5, 0, "O", "S", "O"}, Expect{"MESIF", 6, 1, "S", "F", "F"}}) {
    CAPTURE(e.proto);
    Directed d(2, src, e.proto);
    CHECK(d.msgs("Fwd-GetS") == 1);
    CHECK(d.s.coherence.messages == e.msgs);  // GetM + Data, GetS + Fwd-GetS + Data (+ Data to the directory)
    CHECK(d.s.coherence.writebacks == e.wb);
    CHECK(d.s.coherence.cache_to_cache == 1);
    CHECK(d.s.coherence.memory_reads == 1);
    CHECK(d.state(0, "x") == e.s0);
    CHECK(d.state(1, "x") == e.s1);
    CHECK(d.dir_state("x") == e.dir);
    CHECK(d.m->peek(sim::Machine::kArenaBase + d.prog.vars[0].offset) == 9);
  }
}

TEST_CASE("MOESI: evicting an owned line writes back only if it was ever written") {
  // Core 0 reads (E) or writes (M) x; core 1 reads it (core 0 becomes the owner); then core 0
  // loads nine lines of x's set and evicts it with a PutO. Only dirty data is a writeback.
  auto src = [](bool write) {
    return std::string("lock seq\ncapacity 64\n.shared x\n.array a 576\nacquire:\n  mov r8, tid\n  beq r8, 1, reader\n") +
           (write ? "  st [x], 5\n" : "  ld r1, [x]\n") +
           "  li r9, 3000\n  work r9\n  li r2, 63\nloop:\n  ld r1, [a @ r2]\n  add r2, r2, 64\n  blt r2, 576, loop\n"
           "  jmp out\nreader:\n  li r9, 1000\n  work r9\n  ld r1, [x]\nout:\n  li r0, 1\n  ret\nrelease:\n  ret\n";
  };
  for (bool write : {false, true}) {
    CAPTURE(write);
    Directed d(2, src(write), "MOESI");
    CHECK(d.msgs("PutO") == 1);
    CHECK(d.s.coherence.writebacks == (write ? 1u : 0u));
    CHECK(d.state(0, "x") == "I");
    CHECK(d.state(1, "x") == "S");
  }
}

TEST_CASE("E -> M is silent (MESI, MOESI, MESIF); MSI's S -> M is an upgrade") {
  const char* src = "lock seq\ncapacity 64\n.shared x\nacquire:\n  ld r1, [x]\n  st [x], 3\n  li r0, 1\n  ret\nrelease:\n  ret\n";
  for (std::string proto : {"MESI", "MOESI", "MESIF"}) {
    CAPTURE(proto);
    Directed d(1, src, proto);
    CHECK(d.s.coherence.messages == 2);  // GetS + Data-Excl; the store sends nothing
    CHECK(d.msgs("GetS") == 1);
    CHECK(d.msgs("Data") == 1);
    CHECK(d.s.coherence.upgrades == 0);
    CHECK(d.s.coherence.getm == 0);
    CHECK(d.state(0, "x") == "M");
  }
  Directed msi(1, src, "MSI");
  CHECK(msi.s.coherence.messages == 4);  // GetS + Data, GetM + Data(acks = 0)
  CHECK(msi.s.coherence.upgrades == 1);
  CHECK(msi.state(0, "x") == "M");
}

TEST_CASE("a write to a line in M elsewhere: one Fwd-GetM, one invalidation, data cache to cache") {
  const char* src = R"(lock seq
capacity 64
.shared x
acquire:
  mul  r9, tid, 3000
  work r9
  faa  r1, [x], 1
  li   r0, 1
  ret
release:
  ret
)";
  for (std::string proto : {"MSI", "MESI", "MOESI", "MESIF"}) {
    CAPTURE(proto);
    Directed d(3, src, proto);
    CHECK(d.msgs("Fwd-GetM") == 2);
    CHECK(d.s.coherence.invalidations == 2);
    CHECK(d.s.coherence.messages == 2 + 3 + 3);  // GetM + Data, then GetM + Fwd-GetM + Data twice
    CHECK(d.s.coherence.cache_to_cache == 2);
    CHECK(d.s.coherence.writebacks == 0);
    CHECK(d.m->peek(sim::Machine::kArenaBase + d.prog.vars[0].offset) == 3);
  }
}

TEST_CASE("miss latency: request hops + occupancy + memory + data hops, exactly (crossbar defaults)") {
  // Line x's home is line % 2 = 0, at core 0's node. Core 0: its own node (1 cycle each
  // way). Core 1: 2 hops each way; a control message costs 1 + 2 + 1 = 4 per hop, data
  // (72 bytes over 16 B/cycle links) 5 + 2 + 1 = 8 per hop.
  const char* src = R"(lock seq
capacity 64
.shared x
.array lat 2
acquire:
  mul  r9, tid, 2000
  work r9
  now  r1
  ld   r2, [x]
  now  r3
  sub  r3, r3, r1
  mov  r4, tid
  st   [lat @ r4], r3
  li   r0, 1
  ret
release:
  ret
)";
  Directed d(2, src, "MSI", "crossbar", 10);
  REQUIRE(d.line("x") % 2 == 0);
  auto lat = [&](int c) { return d.m->peek(sim::Machine::kArenaBase + d.prog.vars[1].offset + uint64_t(c) * 64); };
  CHECK(lat(0) == 1 + (1 + 10 + 120 + 1));      // `now` itself, then the miss
  CHECK(lat(1) == 1 + (8 + 10 + 120 + 16));
}

// ---- locks: protocol and fabric effects -----------------------------------------------------

namespace {
stats::Point run_lock(const std::string& proto, const std::string& topo, const std::string& lock, int cores, int64_t acq,
                      bool ff = true, bool check = true) {
  config::Point p = dir_point(cores, proto, topo);
  p.workload.lock = lock;
  p.workload.acquisitions_per_thread = acq;
  p.workload.warmup_acquisitions = 5;
  p.run.fast_forward = ff;
  p.run.check_invariants = check;
  sim::Machine m(p);
  return m.run();
}
}  // namespace

TEST_CASE("ticket lock: MOESI's owner line makes no writebacks, MESI's at least one per acquisition") {
  auto moesi = run_lock("MOESI", "mesh", "ticket", 8, 40);
  auto mesi = run_lock("MESI", "mesh", "ticket", 8, 40);
  CHECK(moesi.coherence.writebacks == 0);
  CHECK(mesi.coherence.writebacks >= mesi.acquisitions);
  CHECK(moesi.coherence.cache_to_cache > 0);
}

TEST_CASE("fast-forward on and off give identical stats.json on a directory") {
  for (std::string lock : {"ticket", "mcs", "ttas", "qspinlock"})
    for (std::string proto : {"MESI", "MOESI"}) {
      CAPTURE(lock);
      CAPTURE(proto);
      config::Point p = dir_point(8, proto, "ring");
      p.workload.lock = lock;
      p.workload.acquisitions_per_thread = 30;
      p.workload.warmup_acquisitions = 5;
      p.workload.outside = {};
      p.workload.outside.dist = "exponential";
      p.workload.outside.mean = 150;
      std::string text[2];
      for (int ff = 0; ff < 2; ++ff) {
        p.run.fast_forward = ff == 1;
        sim::Machine m(p);
        text[ff] = output::stats_json_text(p, m.run());
      }
      CHECK(text[0] == text[1]);
    }
}

TEST_CASE("MCS messages per acquisition stay flat from 4 to 32 cores while the ticket lock's grow") {
  auto per = [](const stats::Point& s) { return double(s.coherence.messages) / double(s.acquisitions); };
  double mcs4 = per(run_lock("MESI", "crossbar", "mcs", 4, 40));
  double mcs32 = per(run_lock("MESI", "crossbar", "mcs", 32, 10));
  double t4 = per(run_lock("MESI", "crossbar", "ticket", 4, 40));
  double t32 = per(run_lock("MESI", "crossbar", "ticket", 32, 10));
  MESSAGE("messages/acquisition: mcs " << mcs4 << " -> " << mcs32 << ", ticket " << t4 << " -> " << t32);
  CHECK(mcs32 <= mcs4 * 1.10);
  CHECK(mcs32 >= mcs4 * 0.90);
  CHECK(t32 > 3 * t4);
}

TEST_CASE("network figures: mean hops and link utilisation reach stats; pinned home on one node") {
  config::Point p = dir_point(16, "MESI", "mesh");
  p.workload.lock = "ticket";
  p.workload.acquisitions_per_thread = 10;
  p.workload.warmup_acquisitions = 2;
  stats::Point inter;
  {
    sim::Machine m(p);
    inter = m.run();
  }
  CHECK(inter.extra.at("net.mean_hops") > 1.0);
  CHECK(inter.extra.at("net.max_link_utilisation") > 0.0);
  CHECK(inter.extra.at("net.max_link_utilisation") <= 1.0);
  p.machine.directory.home = "node:5";
  sim::Machine pinned(p);
  auto s = pinned.run();
  // Every request goes to node 5: its links are the busiest.
  CHECK(s.extra.at("net.max_link_utilisation") > inter.extra.at("net.max_link_utilisation"));
  p.machine.directory.home = "node:16";
  CHECK_THROWS_WITH_AS([&] { sim::Machine bad(p); }(), doctest::Contains("node:16 is not a node"), InputError);
}

// ---- broken tables are caught ---------------------------------------------------------------

namespace {
std::string builtin_text(const std::string& name) {
  std::ifstream f(std::string(LOCKSTEP_SOURCE_DIR) + "/protocols/" + name + ".table");
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}
// The built-in table with one line of its directory part replaced, written to a file.
std::string broken(const std::string& name, const std::string& from, const std::string& to) {
  std::string t = builtin_text(name);
  size_t at = t.find("controller cache");
  REQUIRE(at != std::string::npos);
  size_t i = t.find(from, at);
  REQUIRE(i != std::string::npos);
  t.replace(i, from.size(), to);
  std::string path = (std::filesystem::temp_directory_path() / ("lockstep-broken-" + name + ".table")).string();
  std::ofstream(path) << t;
  return path;
}
}  // namespace

TEST_CASE("broken directory tables: SWMR, data-value, missing cells and deadlock are reported") {
  // An Inv that leaves the copy readable: a writer coexists with a reader.
  auto keep = broken("msi", "transition(S, Inv, I)                      { sendInvAck; }",
                     "transition(S, Inv)                         { sendInvAck; }");
  CHECK_THROWS_WITH_AS(run_lock(keep, "crossbar", "ticket", 4, 10), doctest::Contains("single writer"), CorrectnessError);
  // M answers a read without updating memory, yet the directory trusts memory afterwards.
  auto stale = broken("mesi", "transition(M, Fwd-GetS, S)                 { sendDataToReq; sendDataToDir; }",
                      "transition(M, Fwd-GetS, S)                 { sendDataToReq; }");
  CHECK_THROWS_AS(run_lock(stale, "crossbar", "ticket", 4, 10), NoProgressError);  // S_D waits forever
  // The owner forgets the data to the directory and the directory does not wait: stale memory.
  std::string t = builtin_text("msi");
  auto cut = [&](const std::string& from, const std::string& to) { size_t i = t.find(from, t.find("controller cache")); t.replace(i, from.size(), to); };
  cut("transition(M, Fwd-GetS, S)                 { sendDataToReq; sendDataToDir; }", "transition(M, Fwd-GetS, S)                 { sendDataToReq; }");
  cut("transition(M, GetS, S_D)", "transition(M, GetS, S)");
  std::string path = (std::filesystem::temp_directory_path() / "lockstep-broken-msi2.table").string();
  std::ofstream(path) << t;
  CHECK_THROWS_WITH_AS(run_lock(path, "crossbar", "ticket", 4, 10), doctest::Contains("data-value"), CorrectnessError);
  // A missing cell names itself.
  auto hole = broken("mesi", "transition(IS_D, Data-Excl, E)             { hit; }", "");
  CHECK_THROWS_WITH_AS(run_lock(hole, "crossbar", "ticket", 4, 10), doctest::Contains("(IS_D, Data-Excl)"), CorrectnessError);
  for (auto f : {keep, stale, path, hole}) std::remove(f.c_str());
}

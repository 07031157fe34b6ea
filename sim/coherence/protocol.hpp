// A coherence protocol as data: per controller, the states (with the attributes the
// invariant checker and the fabric need) and the table (state, event) -> (actions, next).
// Text format (protocols/*.table, docs/protocols.md), in the style of SLICC:
//
//   protocol MESI
//   controller snoop                      # snoop | snoop-split | cache | directory
//                                         # (snoop-split: the snooping controller on a split bus)
//   state M stable readable writable exclusive dirty owner
//   transition(M, Other-GetS, S) { supplyData; writeback; }
//   transition({S, E}, {Load}) { hit; }   # sets; next state omitted = unchanged
//
// Events and actions come from the controller kind's fixed vocabulary (protocol.cpp):
// the C++ implements each action once; which ones run, and when, is the table's business.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace lockstep::coherence {

struct StateInfo {
  std::string name;
  bool stable = false;
  bool readable = false;   // holds valid data: loads hit (the line counts as a copy)
  bool writable = false;   // stores hit
  bool exclusive = false;  // no other cache may hold a readable copy (SWMR)
  bool dirty = false;      // memory is stale
  bool owner = false;      // responsible for supplying data
};

struct Transition {
  bool defined = false;
  int next = -1;                 // -1: unchanged
  std::vector<uint8_t> actions;  // ids into the controller kind's action vocabulary
  int line = 0;                  // table source line, for messages
};

struct ControllerSpec {
  std::string kind;                       // snoop | cache | directory
  std::vector<StateInfo> states;          // states[0] is the initial state (I)
  const std::vector<std::string>* events = nullptr;   // the kind's vocabulary
  const std::vector<std::string>* actions = nullptr;
  std::vector<Transition> table;          // states.size() * events->size()

  int state(const std::string& n) const;  // -1 if absent
  int event(const std::string& n) const;
  const Transition& at(int s, int e) const { return table[size_t(s) * events->size() + size_t(e)]; }
  std::string describe(int s, int e) const;  // "(S, Other-GetM)"
};

struct Protocol {
  std::string name;
  std::string file;
  std::map<std::string, ControllerSpec> controllers;
  const ControllerSpec& controller(const std::string& kind) const;  // throws InputError if missing
};

// Vocabulary of a controller kind; empty vectors if the kind is unknown.
const std::vector<std::string>& kind_events(const std::string& kind);
const std::vector<std::string>& kind_actions(const std::string& kind);

Protocol parse_protocol(const std::string& text, const std::string& file);
// A built-in name (MSI, MESI, MOESI, MESIF; any case) or a path to a table file.
Protocol load_protocol(const std::string& name_or_path);
std::vector<std::string> builtin_protocols();

// The snoop vocabulary, as ids, for the snooping engine.
namespace snoop {
enum Event : uint8_t {
  Load, Store, Replacement, Grant,
  OwnGetS, OwnGetSExcl, OwnGetM, OwnUpgrade,
  OtherGetS, OtherGetM, OtherUpgrade,
  kEvents
};
enum Action : uint8_t {
  requestBus, sendGetS, sendGetM, sendUpgrade, sendPutM, hit, supplyData, writeback,
  // split bus (controller snoop-split): race cells of a request ordered while this cache's
  // own data is outstanding (docs/protocols.md, "Split-transaction bus")
  deferSupply, supplyDeferred, assertShared,
  kActions
};
}  // namespace snoop

// The directory-protocol L1 vocabulary (kind `cache`, Primer Table 8.1 style), as ids for
// DirL1. Data events are classified by the ack count the requester still waits for:
// Data = nothing outstanding after this message, Data-Acks = Inv-Acks still to come;
// Data-Excl = exclusive data (MESI/MOESI/MESIF I -> E); AckCount = an owner's upgrade
// granted without data. Last-Inv-Ack = the Inv-Ack that brings the count to zero once the
// count is known (Data or AckCount received).
namespace dircache {
enum Event : uint8_t {
  Load, Store, Replacement,
  FwdGetS, FwdGetM, Inv, PutAck,
  Data, DataAcks, DataExcl, AckCount, AckCountAcks,
  InvAck, LastInvAck,
  kEvents
};
enum Action : uint8_t {
  sendGetS, sendGetM, sendPutS, sendPutM, sendPutE, sendPutO, sendPutF,
  sendDataToReq, sendDataToDir, sendInvAck, setAcks, decAcks, hit, stall,
  kActions
};
}  // namespace dircache

// The home directory vocabulary (kind `directory`, Primer Table 8.2 style). Requests are
// classified by who sent them (Owner: the requester is the directory's owner) and, for
// Puts, by whether sharers remain once the requester is removed (-NotLast).
namespace dir {
enum Event : uint8_t {
  GetS, GetM, GetMOwner,
  PutSNotLast, PutSLast,
  PutMOwner, PutMOwnerNotLast, PutMNonOwner, PutMNonOwnerNotLast,
  PutEOwner, PutEOwnerNotLast, PutENonOwner, PutENonOwnerNotLast,
  PutOOwner, PutOOwnerNotLast, PutONonOwner, PutONonOwnerNotLast,
  PutFOwner, PutFOwnerNotLast, PutFNonOwner, PutFNonOwnerNotLast,
  Data,
  kEvents
};
enum Action : uint8_t {
  sendDataToReq, sendExclDataToReq, sendAckCountToReq, sendInvToSharers,
  fwdGetSToOwner, fwdGetMToOwner, sendPutAck,
  addReqToSharers, removeReqFromSharers, addOwnerToSharers, clearSharers,
  setOwnerToReq, clearOwner, writeMemory, stall,
  kActions
};
}  // namespace dir

}  // namespace lockstep::coherence

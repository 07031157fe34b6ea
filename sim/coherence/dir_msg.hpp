// A coherence message of the directory protocols (Primer ch. 8 vocabulary). Messages live
// in DirFabric's pool and travel by index; data messages carry a line of bytes from the
// pool's slab, so a protocol that moves stale data shows up as a wrong value.
#pragma once
#include <cstdint>

namespace lockstep::coherence {

enum class MsgType : uint8_t {
  GetS, GetM, PutS, PutM, PutE, PutO, PutF,   // requests: cache -> home
  FwdGetS, FwdGetM, Inv, PutAck,              // forwarded: home -> cache (point-to-point ordered)
  Data, AckCount, InvAck,                     // responses: to the requester or home
  kCount
};

inline const char* msg_name(MsgType t) {
  static const char* n[] = {"GetS", "GetM", "PutS", "PutM", "PutE", "PutO", "PutF",
                            "Fwd-GetS", "Fwd-GetM", "Inv", "Put-Ack", "Data", "AckCount", "Inv-Ack"};
  return n[int(t)];
}
// Data (to a requester or home) and the dirty evictions carry the line.
inline bool msg_has_data(MsgType t) { return t == MsgType::Data || t == MsgType::PutM || t == MsgType::PutO; }
// Requests wait for the home's occupancy; everything else a home receives (Data) is a
// response and sinks on arrival (separate virtual network: responses never wait on requests).
inline bool msg_is_request(MsgType t) { return t <= MsgType::PutF; }
inline bool msg_is_forwarded(MsgType t) { return t >= MsgType::FwdGetS && t <= MsgType::PutAck; }

struct Msg {
  MsgType type = MsgType::GetS;
  bool to_home = false;    // destination is a home controller (else an L1)
  bool dirty = false;      // data message: the sender's copy was dirty (memory stale)
  bool excl = false;       // Data: exclusive (no other copy; MESI's E)
  int32_t src = 0;         // sender: an L1 id, or a home id when from_home
  bool from_home = false;
  int32_t dst = 0;         // an L1 id, or a home id when to_home
  int32_t req = -1;        // the requesting L1 this message is about
  int32_t acks = 0;        // Data / AckCount / Fwd-GetM: Inv-Acks the requester must collect
  uint64_t line = 0;
  uint32_t data = UINT32_MAX;  // slab slot when msg_has_data
};

}  // namespace lockstep::coherence

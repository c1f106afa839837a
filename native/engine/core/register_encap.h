// register_encap: PIM Register encapsulation at data rate (RFC 7761 §4.4.1, §4.9.3), an output kind of
// the engine. While the control plane keeps the Register tunnel of (S,G) up, the rule that captures
// (S,G) carries a register output: every datagram leaves, besides its normal outputs, as
//
//   [outer IPv4, built by the kernel: us -> RP, proto 103]
//   [PIM Register: 0x21 0x00 <checksum> | B=0 N=0, 4 bytes]   checksum over these 8 bytes only
//   [inner IPv4 datagram]
//
// on one raw IPPROTO_PIM socket per engine (unicast to the RP, routed by the kernel; it never
// receives: drop-all filter). The inner datagram is either the one received, byte for byte from its IPv4
// header on (a directly connected source), or — for a stream a static rule re-originates onto a PIM
// interface — the datagram as that output sends it: our address on that interface as source, the output
// group and port, TTL and TOS, rebuilt here with a valid UDP checksum (RegisterSpec::relayed).
// The header is written into the send batch's per-message slot; the payload stays in the RX ring.
// Exercised by native/test/test_register.cc and relay/e2e/pim-register.e2e.test.ts.
#pragma once

#include <cstdint>

#include "egress.h"
#include "parse.h"

namespace mcr {

inline constexpr uint32_t kRegisterHeader = 8;
inline constexpr uint32_t kRegisterRelayedHeader = kRegisterHeader + 20 + 8;

struct RegisterSpec {
  bool relayed = false;  // inner = rebuilt as the static output sends it; else as received
  uint32_t source = 0;   // relayed: our address on the output interface (host byte order)
  uint32_t group = 0;    // relayed: the output group
  uint16_t port = 0;     // relayed: output port, 0 = the datagram's own
  uint8_t ttl = 64;
  uint8_t tos = 0;
};

/* The 8-byte Register header (B=0, N=0) with its checksum. */
void register_header(uint8_t* out);

/**
 * register_relayed_header - Register header + inner IPv4 (no options) + UDP header of one re-originated
 * datagram into @out (kRegisterRelayedHeader bytes); the UDP checksum covers @payload.
 */
void register_relayed_header(uint8_t* out, const RegisterSpec& s, uint16_t dst_port, const uint8_t* payload, uint32_t len,
                             uint16_t ip_id);

/* The received IPv4 datagram of a parsed frame: start and length (its total length field, which the
   parser has checked against the frame). */
inline const uint8_t* register_inner(const uint8_t* frame, const ParsedFrame& p, uint32_t* len) {
  const uint8_t* ip = frame + p.ip_offset;
  *len = static_cast<uint32_t>(ip[2] << 8 | ip[3]);
  return ip;
}

/**
 * queue_register - queue the Register of one datagram (@frame parsed as @p) on @queue, the register
 * socket's, to @rp. Return: true when the batch must be flushed (SendBatch::add_framed).
 */
bool queue_register(SendBatch& batch, uint32_t queue, const sockaddr_in* rp, const RegisterSpec& s, const uint8_t* frame,
                    const ParsedFrame& p, uint32_t out_slot);

/* A raw IPPROTO_PIM socket that only sends (drop-all receive filter, PMTU discovery off so a Register
   above the path MTU is fragmented, as §4.4.1 allows). Throws SetupError (EPERM without CAP_NET_RAW). */
int open_register_socket();

}  // namespace mcr

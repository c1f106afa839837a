// parse: Ethernet / 802.1Q / QinQ / IPv4 (with options) / UDP frame parser, a pure function over bytes.
//
// Exercised by native/test/test_parse.cc, the libFuzzer target native/fuzz/parse_fuzz.cc and, from JS,
// parseFrame() in relay/engine/engine.ts.
//
// Decisions (documented in docs/engine.md):
//  - IPv4 fragments are dropped and counted as `Fragment`: mcr relays whole datagrams only (jumbo frames up
//    to MTU 9000 carry 8972-byte payloads unfragmented).
//  - The IPv4 header checksum is verified (one pass over 20..60 bytes, cheap next to a send); the UDP
//    checksum is not (the payload is re-sent through a UDP socket, which computes a fresh one).
//  - Ethernet padding (frame longer than the IP total length) is allowed; the UDP length decides the payload.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mcr {

/* Order is part of the counter layout (counters.h) and matches MalformedReason in relay/engine/types.ts. */
enum class ParseStatus : uint8_t {
  Ok = 0,
  TruncatedEthernet,  // fewer than 14 bytes
  TruncatedVlan,      // an 802.1Q/802.1ad tag announced but cut off
  NotIpv4,            // EtherType (after tags) is not 0x0800, or more than two in-frame tags
  BadIpVersion,       // IP version nibble is not 4
  BadIhl,             // IHL < 5
  BadIpTotalLength,   // total length < IHL*4 or beyond the frame
  TruncatedIp,        // frame ends inside the IPv4 header (incl. options)
  Fragment,           // MF set or fragment offset != 0
  NotUdp,             // protocol != 17
  TruncatedUdp,       // IP payload shorter than a UDP header
  BadUdpLength,       // UDP length < 8 or beyond the IP payload
  BadIpChecksum,      // IPv4 header checksum does not verify
};
inline constexpr int kMalformedReasons = 12;

/* Names as in relay/engine/types.ts MalformedReason, indexed by (status - 1). */
extern const char* const kMalformedNames[kMalformedReasons];

inline constexpr int kMaxVlanTags = 3;  // one out-of-band (stripped by the NIC/veth) + two in-frame

struct ParsedFrame {
  uint16_t vlan_count;
  uint16_t vlan_ids[kMaxVlanTags];  // 12-bit VLAN ids, outermost first
  uint32_t src_ip;                  // host byte order
  uint32_t dst_ip;                  // host byte order
  uint16_t src_port;
  uint16_t dst_port;
  uint8_t ttl;
  uint8_t ip_header_len;  // bytes, 20..60
  uint32_t ip_offset;     // offset of the IPv4 header in the frame
  uint32_t payload_offset;
  uint32_t payload_len;
};

/* Out-of-band VLAN tag (TPACKET_V3 tp_vlan_tci with TP_STATUS_VLAN_VALID): the kernel stripped it. */
struct OobVlan {
  bool valid;
  uint16_t tci;
};

/**
 * parse_frame - parse one Ethernet frame down to the UDP payload.
 * @data, @len: the frame as captured, starting at the destination MAC.
 * @oob: out-of-band VLAN tag, if the capture path stripped one.
 * @out: filled on ParseStatus::Ok; partially filled otherwise.
 * Return: Ok, or the first reason the frame is malformed. Never reads outside [data, data+len).
 */
ParseStatus parse_frame(const uint8_t* data, size_t len, OobVlan oob, ParsedFrame* out);

/* One's-complement sum check of an IPv4 header; true when the checksum verifies. */
bool ipv4_checksum_ok(const uint8_t* hdr, size_t hdr_len);

}  // namespace mcr

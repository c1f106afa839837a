// Raw transmit for mcr-gen --tx packet: complete Ethernet/IPv4/UDP frames written by us and sent on
// an AF_PACKET socket, skipping the kernel's UDP and IP output path (socket accounting, route lookup,
// per-datagram dst allocation for multicast), which is most of a sender's cost per datagram.
//
// On the wire the frames are what the kernel would send: IPv4 with DF, id 0, the given TTL, a full
// UDP checksum; the multicast MAC derived from the group (01:00:5e + low 23 bits). Only multicast
// destinations are supported (a unicast next hop would need ARP). The socket is bound with protocol
// 0, so it never receives anything, and bypasses the qdisc.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <string>
#include <vector>

#include "cli.h"

namespace mcrt {

constexpr uint32_t kFrameHeaderLen = 14 + 20 + 8;

/** A stream's fixed frame header: everything but the UDP checksum is the same for every datagram. */
struct FrameTemplate {
  uint8_t bytes[kFrameHeaderLen];
  uint32_t pseudo_sum;  // UDP pseudo-header + UDP header words, checksum field 0
};

struct PacketTx {
  int fd = -1;
  int port_fd = -1;  // a UDP socket holding our source port so nothing else takes it
  uint8_t src_mac[6]{};
  in_addr src_ip{};
  uint16_t src_port = 0;
  unsigned mtu = 0;
};

/**
 * packet_tx_open - AF_PACKET socket on @iface (index @ifindex); source address from @bind_addr if
 * @has_bind else the interface's first IPv4 address, source port @bind_port or an ephemeral one.
 * Exits with a hint on failure (no CAP_NET_RAW, no IPv4 address on the interface).
 */
PacketTx packet_tx_open(const std::string& iface, unsigned ifindex, bool has_bind, in_addr bind_addr, uint16_t bind_port);

/** frame_template - the header of frames from @tx to multicast @dst carrying @payload_len bytes. */
FrameTemplate frame_template(const PacketTx& tx, const Endpoint& dst, uint32_t payload_len, uint32_t ttl);

/**
 * frame_finish - copy @t into the 42 bytes at @frame and fill in the UDP checksum over the
 * datagram that follows (already complete: header with timestamp, and pattern).
 * @pattern_sum: payload_pattern_sum() of that datagram.
 */
void frame_finish(uint8_t* frame, const FrameTemplate& t, uint32_t pattern_sum);

}  // namespace mcrt

// egress_packet: AF_PACKET egress for multicast outputs (EngineOptions.egress = 'packet'). The engine
// writes Ethernet + IPv4 + UDP headers itself (from a per-output template) and sends header + payload as
// two iovecs on a raw socket bound to the output interface, skipping the kernel's UDP/IP output path
// (routing, UDP socket accounting) that issue 4 found to be most of the per-packet cost. Multicast only:
// the destination MAC follows from the group, no ARP needed; unicast outputs keep the UDP socket path.
// The UDP checksum is 0 (allowed for IPv4); the IPv4 header checksum is computed per packet.
// Exercised by relay/engine/engine.e2e.test.ts (egress 'packet' cases).
#pragma once

#include <cstdint>
#include <string>

namespace mcr {

inline constexpr uint32_t kRawHeader = 14 + 20 + 8;

struct PacketTemplate {
  uint8_t bytes[kRawHeader];
  uint32_t mtu;  // IP MTU of the interface: larger datagrams are counted as EMSGSIZE, not sent
};

/**
 * packet_template - headers for multicast @group:@port out of @ifname, source = the interface's MAC and
 * primary IPv4 address, source port = @port. Return: false if the interface has no IPv4 address or no
 * Ethernet MAC (the caller then uses the UDP socket path for that output).
 */
bool packet_template(const std::string& ifname, uint32_t group, uint16_t port, int ttl, int tos, PacketTemplate* out);

/* Fill a copy of the template for one datagram: lengths, IP id, IPv4 checksum. */
void packet_fill(uint8_t* hdr, const PacketTemplate& t, uint32_t payload_len, uint16_t ip_id);

}  // namespace mcr

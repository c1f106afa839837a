// egress_packet: AF_PACKET egress for multicast outputs (EngineOptions.egress = 'packet'). The engine
// writes Ethernet + IPv4 + UDP headers itself (from a per-output template) and sends header + payload as
// two iovecs on a raw socket bound to the output interface, skipping the kernel's UDP/IP output path
// (routing, UDP socket accounting) that issue 4 found to be most of the per-packet cost. Multicast only:
// the destination MAC follows from the group, no ARP needed; unicast outputs keep the UDP socket path.
// The IPv4 header checksum is computed per packet; the UDP checksum is offloaded like the kernel's own
// UDP sockets do it: every frame starts with a virtio_net_hdr (PACKET_VNET_HDR) with NEEDS_CSUM, so the
// NIC, or the kernel before a device without checksum offload, computes it (docs/engine.md, "Egress").
// GSO (EngineOptions.gso): consecutive datagrams of one output with equal payload sizes leave as one
// frame with a virtio_net_hdr (PACKET_VNET_HDR, VIRTIO_NET_HDR_GSO_UDP_L4) that the kernel segments
// at the device (or the NIC does, with UDP segmentation offload): one trip down the send path for up to
// kMaxGsoSegs datagrams. Linux >= 6.2.
// Exercised by relay/engine/engine.e2e.test.ts (egress 'packet' cases).
#pragma once

#include <cstdint>
#include <string>

namespace mcr {

inline constexpr uint32_t kRawHeader = 14 + 20 + 8;
inline constexpr uint32_t kVnetHdr = 10;                // struct virtio_net_hdr, before every frame on a GSO socket
inline constexpr uint32_t kMaxGsoSegs = 64;             // the kernel's UDP_MAX_SEGMENTS on older kernels
inline constexpr uint32_t kMaxGsoPayload = 65535 - 28;  // the IPv4 total length field bounds the whole frame

struct PacketTemplate {
  uint8_t bytes[kRawHeader];
  uint32_t mtu;  // IP MTU of the interface: larger datagrams are counted as EMSGSIZE, not sent
};

/* What a header template needs from an output interface, read once per interface per rule change. */
struct EgressInterface {
  bool usable = false;  // has an Ethernet MAC and an IPv4 address
  uint8_t mac[6] = {};
  uint32_t ipv4 = 0;    // host order: the primary address
  uint32_t mtu = 0;
};

/* Read @ifname's MAC, primary IPv4 address and MTU (four ioctls). usable = false if it lacks either. */
EgressInterface egress_interface(const std::string& ifname);

/**
 * packet_template - headers for multicast @group:@port out of the interface @e describes, source = its
 * MAC and primary IPv4 address, source port = @port. Return: false if the interface has no IPv4 address
 * or no Ethernet MAC (the caller then uses the UDP socket path for that output).
 */
bool packet_template(const EgressInterface& e, uint32_t group, uint16_t port, int ttl, int tos, PacketTemplate* out);

/* Set the UDP source and destination port of a template (an any-port output's copy, per datagram). */
inline void packet_set_port(PacketTemplate* t, uint16_t port) {
  for (int at : {34, 36}) {
    t->bytes[at] = static_cast<uint8_t>(port >> 8);
    t->bytes[at + 1] = static_cast<uint8_t>(port);
  }
}

/* Another IPv4 source address than the interface's (an output's own, set once on its template).
   packet_fill computes the IPv4 checksum and the UDP pseudo-header sum over the result. */
inline void packet_set_source_address(PacketTemplate* t, uint32_t src_ip) {
  for (int i = 0; i < 4; ++i) t->bytes[26 + i] = static_cast<uint8_t>(src_ip >> (24 - 8 * i));
}
/* Keep the input datagram's IPv4 source address and UDP source port (a keep-source output's copy, per
   datagram): receivers joined INCLUDE {S} and PIM (S,G) state see the real source. */
inline void packet_set_source(PacketTemplate* t, uint32_t src_ip, uint16_t src_port) {
  packet_set_source_address(t, src_ip);
  t->bytes[34] = static_cast<uint8_t>(src_port >> 8);
  t->bytes[35] = static_cast<uint8_t>(src_port);
}

/* Whether a filled frame header (Ethernet on) carries the template's source address and UDP ports
   (GSO merges only those: one frame has one IPv4/UDP header). */
inline bool packet_same_flow(const uint8_t* hdr, const PacketTemplate& t) {
  for (int at : {26, 27, 28, 29, 34, 35, 36, 37})
    if (hdr[at] != t.bytes[at]) return false;
  return true;
}

/**
 * packet_fill_vnet - virtio_net_hdr (kVnetHdr bytes at @vnet) and headers (kRawHeader bytes after it) of
 * one frame carrying @segs payloads of @seg_len bytes, the first with IP id @first_id (segmentation
 * numbers the rest), UDP checksum offloaded (NEEDS_CSUM). @segs == 1 is a plain (non-GSO) frame.
 */
void packet_fill_vnet(uint8_t* vnet, const PacketTemplate& t, uint32_t seg_len, uint32_t segs, uint16_t first_id);

/* Whether this kernel takes UDP GSO frames on packet sockets (VIRTIO_NET_HDR_GSO_UDP_L4: Linux 6.2). */
bool packet_gso_supported();

}  // namespace mcr

// bpf: classic BPF filter generated from the rule set of one input interface, attached to its AF_PACKET
// socket so only frames a rule can match are copied into the RX ring.
//
// The program accepts IPv4 UDP whose (dst ip, dst port) is in the set, after zero, one or two in-frame
// 802.1Q/802.1ad tags (a tag the NIC or veth stripped into aux data is invisible here, so the frame then
// looks untagged — both cases land on the same checks). Fragments addressed to a listed group are
// accepted too, so the parser can count them as `fragment`. Frames the socket itself sends
// (PACKET_OUTGOING) are rejected. If the program would exceed BPF_MAXINSNS, it degrades to
// "any IPv4 UDP" (the rule lookup still decides; only the filtering moves to userspace).
// Exercised by native/test/test_bpf.cc (which runs the program in a small interpreter).
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <set>
#include <utility>
#include <vector>

namespace mcr {

/* (dst ip, dst port), host byte order; port 0 = every port of that group (an any-port rule). */
using GroupPort = std::pair<uint32_t, uint16_t>;

/* Snap length the filter returns for accepted frames (covers 9000 MTU + tags with room to spare). */
inline constexpr uint32_t kBpfAccept = 0x40000;

std::vector<sock_filter> build_filter(const std::set<GroupPort>& pairs);

/* Accepts any IPv4 UDP (after up to two tags), not outgoing: the `udp` filter mode. */
std::vector<sock_filter> any_udp_filter();

/* A program that accepts nothing (for sockets that must exist but never queue, e.g. port guards). */
std::vector<sock_filter> drop_all_filter();

}  // namespace mcr

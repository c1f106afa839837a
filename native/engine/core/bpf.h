// bpf: classic BPF filter generated from the rule set of one input interface, attached to its AF_PACKET
// socket so only frames a rule can match are copied into the RX ring.
//
// The program accepts IPv4 UDP whose (dst ip, dst port) is in the set, after zero, one or two in-frame
// 802.1Q/802.1ad tags (a tag the NIC or veth stripped into aux data is invisible here, so the frame then
// looks untagged — both cases land on the same checks). Fragments addressed to a listed group are
// accepted too, so the parser can count them as `fragment`. Frames the socket itself sends
// (PACKET_OUTGOING) are rejected. Past kMaxExactGroups destinations, or if the program would exceed
// BPF_MAXINSNS, it becomes the small multicast_filter (UDP to 224/4 plus the unicast endpoints): the
// rule lookup still decides, only the filtering of unknown groups moves to userspace.
// Exercised by native/test/test_bpf.cc (which runs the program in a small interpreter).
#pragma once

#include <linux/filter.h>

#include <cstddef>
#include <cstdint>
#include <set>
#include <utility>
#include <vector>

namespace mcr {

/* (dst ip, dst port), host byte order; port 0 = every port of that group (an any-port rule). */
using GroupPort = std::pair<uint32_t, uint16_t>;

/* In a pair set: admit every multicast destination (an interface PIM watches for new sources,
   source_watch.h); build_filter then returns multicast_filter. Never a rule's own (dst, port). */
inline constexpr GroupPort kAnyMulticast{0, 0};

/* Snap length the filter returns for accepted frames (covers 9000 MTU + tags with room to spare). */
inline constexpr uint32_t kBpfAccept = 0x40000;

/* The kernel refuses classic BPF programs longer than this (BPF_MAXINSNS). */
inline constexpr size_t kBpfMaxInsns = 4096;
/* Past this many distinct destinations (or BPF_MAXINSNS) build_filter returns multicast_filter: the
   exact program is a chain of compares the kernel walks per frame (docs/engine.md, "BPF filter"). */
inline constexpr size_t kMaxExactGroups = 64;

/* The filter for the (dst ip, dst port) pairs of one interface's rules: exact_filter up to
   kMaxExactGroups destinations and BPF_MAXINSNS instructions, else (or with kAnyMulticast in the set)
   multicast_filter. */
std::vector<sock_filter> build_filter(const std::set<GroupPort>& pairs);

/* The exact program (see above), whatever its length (the kernel refuses it past kBpfMaxInsns). */
std::vector<sock_filter> exact_filter(const std::set<GroupPort>& pairs);

/* The small filter: IPv4 UDP to 224.0.0.0/4 or to one of @unicast (tunnel endpoints), not outgoing;
   the rule lookup decides the rest. Too many unicast addresses: any_udp_filter(). */
std::vector<sock_filter> multicast_filter(const std::set<uint32_t>& unicast);

/* Accepts any IPv4 UDP (after up to two tags), not outgoing: the `udp` filter mode. */
std::vector<sock_filter> any_udp_filter();

/* A program that accepts nothing (for sockets that must exist but never queue, e.g. port guards). */
std::vector<sock_filter> drop_all_filter();

/* The same program, instruction by instruction (sock_filter has no operator==). */
bool same_program(const std::vector<sock_filter>& a, const std::vector<sock_filter>& b);

}  // namespace mcr

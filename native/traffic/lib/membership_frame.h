// Classifies an IPv4 packet seen on an AF_PACKET socket for mcr-member: is it this host's IGMP
// join or leave for one group (any of IGMPv1/v2/v3), or a data datagram of that group and port?
// Pure functions over bytes, no allocation; every length is checked against the buffer.
#pragma once

#include <netinet/in.h>

#include <cstddef>
#include <cstdint>

namespace mcrt {

enum class FrameKind {
  other,
  join,   // v1/v2 Membership Report for the group, or a v3 record IS_EX/TO_EX for it
  leave,  // v2 Leave Group for the group, or a v3 record TO_IN with no sources for it
  data,   // UDP to group:port (port 0 = any port), first fragment or unfragmented
};

/**
 * classify_frame - what @pkt (an IPv4 packet from its first header byte, @len bytes captured) is
 * for @group (network order) and @port (host order, 0 = any).
 * A v3 report with several records counts as a join/leave if any record for the group is one.
 */
FrameKind classify_frame(const uint8_t* pkt, size_t len, in_addr_t group, uint16_t port);

}  // namespace mcrt

// route_lookup: the kernel's unicast FIB answer for one IPv4 destination (RTM_GETROUTE, what
// `ip route get` prints), synchronously on a fresh NETLINK_ROUTE socket: PIM's RPF toward sources,
// RPs and BSRs. Microseconds instead of forking `ip` per new source, so a flood of sources costs no
// processes. The reply is parsed as untrusted bytes (bounds-checked like netlink_watch).
// Tested by native/test/test_route_lookup.cc (a private netns with a connected and a routed prefix).
#pragma once

#include <cstdint>

namespace mcr {

struct RouteAnswer {
  uint32_t ifindex = 0;
  uint32_t gateway = 0;  // host byte order; 0 = directly connected
  uint32_t metric = 0;   // RTA_PRIORITY
  uint8_t protocol = 0;  // rtm_protocol: who installed the route (RTPROT_KERNEL, RTPROT_BOOT, a routing daemon's number)
  uint8_t type = 0;      // RTN_UNICAST, RTN_LOCAL, RTN_UNREACHABLE, ...
};

/**
 * route_get - ask the kernel how it would route to @dst (host byte order).
 * Return: 0 and *out filled, or an errno (ENETUNREACH, EHOSTUNREACH, ... as the kernel says; EPROTO for
 * a reply that does not parse).
 */
int route_get(uint32_t dst, RouteAnswer* out);

}  // namespace mcr

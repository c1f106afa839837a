// route_lookup cases in a private network namespace: a connected address, a prefix through a gateway
// (with its metric and the protocol that installed it), one of our own addresses (local) and an address
// with no route (ENETUNREACH).
#include <net/if.h>

#include <cerrno>
#include <linux/rtnetlink.h>

#include "check.h"
#include "netns.h"
#include "route_lookup.h"

using namespace mcr;

namespace {

void body() {
  const unsigned dummy = if_nametoindex("rl0");
  CHILD_CHECK(dummy != 0);
  RouteAnswer r;
  CHILD_CHECK(route_get(0x0a2a0007, &r) == 0);  // 10.42.0.7: connected on rl0
  CHILD_CHECK(r.type == RTN_UNICAST && r.ifindex == dummy && r.gateway == 0 && r.protocol == RTPROT_KERNEL);
  CHILD_CHECK(route_get(0xc6336409, &r) == 0);  // 198.51.100.9 via 10.42.0.1 metric 30
  CHILD_CHECK(r.type == RTN_UNICAST && r.ifindex == dummy && r.gateway == 0x0a2a0001 && r.metric == 30 && r.protocol == RTPROT_BOOT);
  CHILD_CHECK(route_get(0xc0000205, &r) == 0);  // 192.0.2.5: as an OSPF daemon would install it (proto 188)
  CHILD_CHECK(r.gateway == 0x0a2a0001 && r.metric == 20 && r.protocol == 188);
  CHILD_CHECK(route_get(0x0a2a0002, &r) == 0);  // our own address
  CHILD_CHECK(r.type == RTN_LOCAL);
  CHILD_CHECK(route_get(0xcb007101, &r) == ENETUNREACH);  // 203.0.113.1: no route
}

}  // namespace

TEST_CASE(route_lookup_answers_like_ip_route_get) {
  mcrtest::report_child(__FILE__, __LINE__,
                        mcrtest::in_private_netns(body,
                                                  "ip link set lo up && ip link add rl0 type veth peer name rl1 && ip link set rl0 up && ip link set rl1 up && "
                                                  "ip addr add 10.42.0.2/24 dev rl0 && ip route add 198.51.100.0/24 via 10.42.0.1 metric 30 && "
                                                  "ip route add 192.0.2.0/24 via 10.42.0.1 metric 20 proto 188"));
}

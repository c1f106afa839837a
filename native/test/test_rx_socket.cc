// RxSocket memberships in a private network namespace: more groups than one AF_INET socket may join
// (net.ipv4.igmp_max_memberships, 20 by default) all show up in the kernel's IGMP table, and leaving
// them takes them out again, sockets and all.
#include <dirent.h>
#include <net/if.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "check.h"
#include "netns.h"
#include "rx_socket.h"

namespace {

/* Groups the kernel lists in /proc/net/igmp for interface `ifname`. */
int igmp_groups(const char* ifname) {
  FILE* f = std::fopen("/proc/net/igmp", "r");
  if (!f) return -1;
  char line[256];
  int n = 0;
  bool ours = false;
  while (std::fgets(line, sizeof line, f)) {
    if (line[0] != '\t') {  // "<idx>\t<device> : <count> <querier>" starts an interface
      char dev[IFNAMSIZ + 1] = {};
      ours = std::sscanf(line, "%*d %16s", dev) == 1 && std::strcmp(dev, ifname) == 0;
    } else if (ours) {
      ++n;
    }
  }
  std::fclose(f);
  return n;
}

/* Open sockets of this process. */
int open_fds() {
  DIR* d = opendir("/proc/self/fd");
  if (!d) return -1;
  int n = 0;
  while (readdir(d)) ++n;
  closedir(d);
  return n;
}

void many_groups_child() {
  const uint32_t ix = if_nametoindex("d0");
  CHILD_CHECK(ix != 0);
  const int fds0 = open_fds();
  {
    mcr::RxSocket s("d0", ix, mcr::RingConfig{}, -1, mcr::drop_all_filter(), true);
    const int base = igmp_groups("d0");  // 224.0.0.1, joined by the kernel itself
    for (uint32_t g = 0; g < 1000; ++g) s.join(0xef010000 + g);
    CHILD_CHECK(igmp_groups("d0") == base + 1000);
    for (uint32_t g = 0; g < 1000; g += 2) s.leave(0xef010000 + g);
    CHILD_CHECK(igmp_groups("d0") == base + 500);
    // Freed places are reused: 500 more groups open no further sockets than the first 1000 did.
    const int fds = open_fds();
    for (uint32_t g = 0; g < 500; ++g) s.join(0xef020000 + g);
    CHILD_CHECK(igmp_groups("d0") == base + 1000);
    CHILD_CHECK(open_fds() <= fds + 1);
    for (uint32_t g = 0; g < 500; ++g) s.leave(0xef020000 + g);
    for (uint32_t g = 1; g < 1000; g += 2) s.leave(0xef010000 + g);
    CHILD_CHECK(igmp_groups("d0") == base);
    CHILD_CHECK(open_fds() <= fds0 + 1);  // only the packet socket is left
  }
  CHILD_CHECK(open_fds() == fds0);
}

}  // namespace

TEST_CASE(rx_socket_joins_1000_groups_on_one_interface_and_leaves_them) {
  mcrtest::report_child(__FILE__, __LINE__,
                        mcrtest::in_private_netns(many_groups_child,
                                                  "ip link set lo up && ip link add d0 type veth peer name d1 && ip link set d0 up && ip link set d1 up"));
}

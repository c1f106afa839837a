// proto_tx: see proto_tx.h.
#include "proto_tx.h"

#include <arpa/inet.h>
#include <linux/filter.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "bpf.h"
#include "setup_error.h"

namespace mcr {

namespace {

void set_int(int fd, int level, int name, int v, const char* what) {
  if (setsockopt(fd, level, name, &v, sizeof v) < 0) throw SetupError(errno, what, "raw IP", "", "");
}

}  // namespace

ProtoTx::ProtoTx(const std::vector<uint8_t>& ip_protos) {
  try {
    for (uint8_t proto : ip_protos) {
      int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, proto);
      if (fd < 0) throw SetupError(errno, "socket", "raw IP " + std::to_string(proto), "", "");
      fds_.push_back({proto, fd});
      std::vector<sock_filter> f = drop_all_filter();
      sock_fprog prog{static_cast<unsigned short>(f.size()), f.data()};
      if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0)
        throw SetupError(errno, "setsockopt(SO_ATTACH_FILTER)", "raw IP", "", "");
      set_int(fd, IPPROTO_IP, IP_MULTICAST_LOOP, 0, "setsockopt(IP_MULTICAST_LOOP)");
      set_int(fd, IPPROTO_IP, IP_MULTICAST_TTL, 1, "setsockopt(IP_MULTICAST_TTL)");
      set_int(fd, IPPROTO_IP, IP_TTL, 1, "setsockopt(IP_TTL)");
    }
  } catch (...) {
    close_all();
    throw;
  }
}

ProtoTx::~ProtoTx() { close_all(); }

void ProtoTx::close_all() {
  for (auto& [p, fd] : fds_) close(fd);
  fds_.clear();
}

int ProtoTx::send(const std::string& ifname, uint32_t dst, uint8_t proto, const uint8_t* payload, size_t len, int ttl,
                  bool router_alert) {
  int fd = -1;
  for (auto& [p, f] : fds_)
    if (p == proto) fd = f;
  if (fd < 0) return EPROTONOSUPPORT;
  if (ttl < 1 || ttl > 255) return EINVAL;
  if (ifname.empty() || ifname.size() >= IFNAMSIZ) return ENODEV;
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, ifname.data(), ifname.size());
  if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) return errno;
  const int ifindex = ifr.ifr_ifindex;
  if (ioctl(fd, SIOCGIFADDR, &ifr) < 0) return errno;  // EADDRNOTAVAIL: no IPv4 address
  const in_addr src = reinterpret_cast<const sockaddr_in*>(&ifr.ifr_addr)->sin_addr;

  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(dst);
  iovec iov{const_cast<uint8_t*>(payload), len};
  alignas(cmsghdr) uint8_t control[CMSG_SPACE(sizeof(in_pktinfo)) + CMSG_SPACE(sizeof(int)) + CMSG_SPACE(4)] = {};
  msghdr msg{};
  msg.msg_name = &to;
  msg.msg_namelen = sizeof to;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = IPPROTO_IP;
  c->cmsg_type = IP_PKTINFO;
  c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
  in_pktinfo pi{};
  pi.ipi_ifindex = ifindex;
  pi.ipi_spec_dst = src;
  std::memcpy(CMSG_DATA(c), &pi, sizeof pi);
  c = CMSG_NXTHDR(&msg, c);
  c->cmsg_level = IPPROTO_IP;
  c->cmsg_type = IP_TTL;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &ttl, sizeof ttl);
  size_t used = CMSG_SPACE(sizeof(in_pktinfo)) + CMSG_SPACE(sizeof(int));
  if (router_alert) {
    // RFC 2113: type 148, length 4, value 0 ("examine this packet").
    static constexpr uint8_t kRouterAlert[4] = {148, 4, 0, 0};
    c = CMSG_NXTHDR(&msg, c);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_RETOPTS;
    c->cmsg_len = CMSG_LEN(sizeof kRouterAlert);
    std::memcpy(CMSG_DATA(c), kRouterAlert, sizeof kRouterAlert);
    used += CMSG_SPACE(sizeof kRouterAlert);
  }
  msg.msg_controllen = used;
  for (;;) {
    if (sendmsg(fd, &msg, MSG_DONTWAIT) >= 0) return 0;
    if (errno != EINTR) return errno;
  }
}

}  // namespace mcr

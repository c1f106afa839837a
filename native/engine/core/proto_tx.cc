// proto_tx: see proto_tx.h.
#include "proto_tx.h"

#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
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
    fwd_fd_ = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fwd_fd_ < 0) throw SetupError(errno, "socket", "AF_PACKET (forward)", "", "");
  } catch (...) {
    close_all();
    throw;
  }
}

ProtoTx::~ProtoTx() { close_all(); }

void ProtoTx::close_all() {
  for (auto& [p, fd] : fds_) close(fd);
  fds_.clear();
  if (fwd_fd_ >= 0) close(fwd_fd_);
  fwd_fd_ = -1;
}

int ProtoTx::forward(const std::string& ifname, const uint8_t* ip, size_t len) {
  if (fwd_fd_ < 0) return EBADF;
  if (len < 20 || len > kMaxForward || (ip[0] >> 4) != 4) return EINVAL;
  const size_t ihl = size_t{ip[0] & 0x0fu} * 4;
  const size_t total = static_cast<size_t>(ip[2] << 8 | ip[3]);
  if (ihl < 20 || total < ihl || total > len || (ip[16] >> 4) != 0xe) return EINVAL;
  if (ip[8] <= 1) return ETIMEDOUT;
  if (ifname.empty() || ifname.size() >= IFNAMSIZ) return ENODEV;
  const unsigned ifindex = if_nametoindex(ifname.c_str());
  if (ifindex == 0) return errno;
  // A copy of the header only (TTL and checksum change); the rest goes out from where it is.
  uint8_t hdr[60];
  std::memcpy(hdr, ip, ihl);
  --hdr[8];
  // RFC 1624 incremental update: the TTL/protocol word went down by 0x0100.
  uint32_t sum = static_cast<uint32_t>(~(hdr[10] << 8 | hdr[11]) & 0xffff) + 0xfeff;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  const uint16_t c = static_cast<uint16_t>(~sum);
  hdr[10] = static_cast<uint8_t>(c >> 8);
  hdr[11] = static_cast<uint8_t>(c);
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_protocol = htons(ETH_P_IP);
  to.sll_ifindex = static_cast<int>(ifindex);
  to.sll_halen = 6;
  const uint8_t mac[6] = {0x01, 0x00, 0x5e, static_cast<uint8_t>(ip[17] & 0x7f), ip[18], ip[19]};
  std::memcpy(to.sll_addr, mac, 6);
  iovec iov[2] = {{hdr, ihl}, {const_cast<uint8_t*>(ip + ihl), total - ihl}};
  msghdr msg{};
  msg.msg_name = &to;
  msg.msg_namelen = sizeof to;
  msg.msg_iov = iov;
  msg.msg_iovlen = 2;
  for (;;) {
    if (sendmsg(fwd_fd_, &msg, MSG_DONTWAIT) >= 0) return 0;
    if (errno != EINTR) return errno;
  }
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

// Raw AF_PACKET transmit; see packet_tx.h.
#include "packet_tx.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "net.h"
#include "payload.h"

namespace mcrt {
namespace {

uint32_t sum_words(const uint8_t* p, size_t n) {
  uint32_t s = 0;
  for (size_t i = 0; i + 1 < n; i += 2) s += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (n & 1) s += static_cast<uint32_t>(p[n - 1] << 8);
  return s;
}

uint16_t fold(uint32_t s) {
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(s);
}

bool iface_ipv4(const std::string& iface, in_addr* out) {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) < 0) fatal_sys("getifaddrs");
  bool found = false;
  for (ifaddrs* a = list; a && !found; a = a->ifa_next) {
    if (a->ifa_addr && a->ifa_addr->sa_family == AF_INET && iface == a->ifa_name) {
      *out = reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr;
      found = true;
    }
  }
  freeifaddrs(list);
  return found;
}

}  // namespace

PacketTx packet_tx_open(const std::string& iface, unsigned ifindex, bool has_bind, in_addr bind_addr, uint16_t bind_port) {
  PacketTx tx;
  tx.fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (tx.fd < 0) fatal_sys("--tx packet: socket(AF_PACKET, SOCK_RAW)", "needs CAP_NET_RAW (run as root)");
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_ifindex = static_cast<int>(ifindex);
  sll.sll_protocol = 0;  // send only: with protocol 0 the socket is never handed received frames
  if (bind(tx.fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) < 0) fatal_sys("--tx packet: bind(AF_PACKET, " + iface + ")");
  int one = 1;
  if (setsockopt(tx.fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one) < 0)
    fatal_sys("--tx packet: setsockopt(PACKET_QDISC_BYPASS)", "needs Linux >= 3.14");
  set_buffer(tx.fd, false, 4 << 20, "packet socket");

  ifreq ifr{};
  std::strncpy(ifr.ifr_name, iface.c_str(), IFNAMSIZ - 1);
  if (ioctl(tx.fd, SIOCGIFHWADDR, &ifr) < 0) fatal_sys("--tx packet: ioctl(SIOCGIFHWADDR, " + iface + ")");
  if (ifr.ifr_hwaddr.sa_family != 1 /* ARPHRD_ETHER */)
    fatal("--tx packet: %s is not an Ethernet interface; use --tx udp", iface.c_str());
  std::memcpy(tx.src_mac, ifr.ifr_hwaddr.sa_data, 6);
  if (ioctl(tx.fd, SIOCGIFMTU, &ifr) < 0) fatal_sys("--tx packet: ioctl(SIOCGIFMTU, " + iface + ")");
  tx.mtu = static_cast<unsigned>(ifr.ifr_mtu);

  if (has_bind) {
    tx.src_ip = bind_addr;
  } else if (!iface_ipv4(iface, &tx.src_ip)) {
    fatal("--tx packet: %s has no IPv4 address to send from; add one or give --bind ADDR", iface.c_str());
  }
  // Hold the source port with a real UDP socket, so no other program gets it and ICMP errors about
  // our traffic land somewhere harmless.
  tx.port_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (tx.port_fd < 0) fatal_sys("--tx packet: socket(AF_INET, SOCK_DGRAM)");
  if (setsockopt(tx.port_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) fatal_sys("setsockopt(SO_REUSEADDR)");
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(bind_port);
  if (bind(tx.port_fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0)
    fatal_sys("--tx packet: bind(UDP port " + std::to_string(bind_port) + ")", "port in use?");
  socklen_t len = sizeof sa;
  if (getsockname(tx.port_fd, reinterpret_cast<sockaddr*>(&sa), &len) < 0) fatal_sys("getsockname");
  tx.src_port = ntohs(sa.sin_port);
  return tx;
}

FrameTemplate frame_template(const PacketTx& tx, const Endpoint& dst, uint32_t payload_len, uint32_t ttl) {
  FrameTemplate t{};
  uint8_t* e = t.bytes;
  const uint32_t group = ntohl(dst.addr.s_addr);
  const uint8_t dmac[6] = {0x01, 0x00, 0x5e, static_cast<uint8_t>((group >> 16) & 0x7f), static_cast<uint8_t>(group >> 8),
                           static_cast<uint8_t>(group)};
  std::memcpy(e, dmac, 6);
  std::memcpy(e + 6, tx.src_mac, 6);
  e[12] = 0x08;
  e[13] = 0x00;
  uint8_t* ip = e + 14;
  const uint16_t ip_len = static_cast<uint16_t>(20 + 8 + payload_len);
  ip[0] = 0x45;
  ip[1] = 0;
  ip[2] = static_cast<uint8_t>(ip_len >> 8);
  ip[3] = static_cast<uint8_t>(ip_len);
  ip[4] = ip[5] = 0;  // id 0: DF is set, there is nothing to reassemble
  ip[6] = 0x40;       // DF
  ip[7] = 0;
  ip[8] = static_cast<uint8_t>(ttl);
  ip[9] = IPPROTO_UDP;
  std::memcpy(ip + 12, &tx.src_ip, 4);
  std::memcpy(ip + 16, &dst.addr, 4);
  const uint16_t ip_csum = static_cast<uint16_t>(~fold(sum_words(ip, 20)));
  ip[10] = static_cast<uint8_t>(ip_csum >> 8);
  ip[11] = static_cast<uint8_t>(ip_csum);
  uint8_t* udp = ip + 20;
  const uint16_t udp_len = static_cast<uint16_t>(8 + payload_len);
  udp[0] = static_cast<uint8_t>(tx.src_port >> 8);
  udp[1] = static_cast<uint8_t>(tx.src_port);
  udp[2] = static_cast<uint8_t>(dst.port >> 8);
  udp[3] = static_cast<uint8_t>(dst.port);
  udp[4] = static_cast<uint8_t>(udp_len >> 8);
  udp[5] = static_cast<uint8_t>(udp_len);
  udp[6] = udp[7] = 0;
  // Pseudo-header (src, dst, zero+protocol, UDP length) plus the UDP header itself.
  t.pseudo_sum = sum_words(ip + 12, 8) + IPPROTO_UDP + udp_len + sum_words(udp, 8);
  return t;
}

void frame_finish(uint8_t* frame, const FrameTemplate& t, uint32_t pattern_sum) {
  std::memcpy(frame, t.bytes, kFrameHeaderLen);
  const uint8_t* payload = frame + kFrameHeaderLen;
  uint16_t c = static_cast<uint16_t>(~fold(t.pseudo_sum + sum_words(payload, kHeaderLen) + pattern_sum));
  if (c == 0) c = 0xffff;  // 0 would mean "no checksum"
  frame[kFrameHeaderLen - 2] = static_cast<uint8_t>(c >> 8);
  frame[kFrameHeaderLen - 1] = static_cast<uint8_t>(c);
}

}  // namespace mcrt

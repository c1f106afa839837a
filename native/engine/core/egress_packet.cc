// egress_packet: see egress_packet.h.
#include "egress_packet.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>


namespace mcr {

namespace {

void put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
// struct virtio_net_hdr of <linux/virtio_net.h>, which is not valid C++ (a member named `class`); the
// UDP_L4 GSO type is Linux 6.2 uapi, newer than the headers of some distributions.
struct VnetHdr {
  uint8_t flags;
  uint8_t gso_type;
  uint16_t hdr_len;
  uint16_t gso_size;
  uint16_t csum_start;
  uint16_t csum_offset;
};
constexpr uint8_t kVnetNeedsCsum = 1;  // VIRTIO_NET_HDR_F_NEEDS_CSUM
constexpr uint8_t kVnetGsoUdpL4 = 5;   // VIRTIO_NET_HDR_GSO_UDP_L4

/* One's-complement sum of the big-endian 16-bit words in p[0, n) added to sum, folded to 16 bits. */
uint16_t fold_sum(const uint8_t* p, int n, uint32_t sum) {
  for (int i = 0; i < n; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

void put32(uint8_t* p, uint32_t v) {
  put16(p, static_cast<uint16_t>(v >> 16));
  put16(p + 2, static_cast<uint16_t>(v));
}

/* A copy of the template for one datagram: lengths, IP id, IPv4 checksum. */
void packet_fill(uint8_t* hdr, const PacketTemplate& t, uint32_t payload_len, uint16_t ip_id) {
  std::memcpy(hdr, t.bytes, kRawHeader);
  uint8_t* ip = hdr + 14;
  put16(ip + 2, static_cast<uint16_t>(28 + payload_len));
  put16(ip + 4, ip_id);
  put16(ip + 10, static_cast<uint16_t>(~fold_sum(ip, 20, 0)));
  put16(ip + 24, static_cast<uint16_t>(8 + payload_len));
}

}  // namespace

EgressInterface egress_interface(const std::string& ifname) {
  EgressInterface e;
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return e;
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, ifname.c_str(), std::min(ifname.size(), sizeof ifr.ifr_name - 1));
  ifreq hw = ifr, addr = ifr, mtu = ifr;
  e.usable = ioctl(fd, SIOCGIFHWADDR, &hw) == 0 && hw.ifr_hwaddr.sa_family == ARPHRD_ETHER &&
             ioctl(fd, SIOCGIFADDR, &addr) == 0 && ioctl(fd, SIOCGIFMTU, &mtu) == 0;
  close(fd);
  if (!e.usable) return e;
  std::memcpy(e.mac, hw.ifr_hwaddr.sa_data, 6);
  e.ipv4 = ntohl(reinterpret_cast<sockaddr_in*>(&addr.ifr_addr)->sin_addr.s_addr);
  e.mtu = static_cast<uint32_t>(mtu.ifr_mtu);
  return e;
}

bool packet_template(const EgressInterface& e, uint32_t group, uint16_t port, int ttl, int tos, PacketTemplate* out) {
  if (!e.usable) return false;
  uint8_t* h = out->bytes;
  std::memset(h, 0, kRawHeader);
  const uint8_t dmac[6] = {0x01, 0x00, 0x5e, static_cast<uint8_t>((group >> 16) & 0x7f), static_cast<uint8_t>(group >> 8),
                           static_cast<uint8_t>(group)};
  std::memcpy(h, dmac, 6);
  std::memcpy(h + 6, e.mac, 6);
  put16(h + 12, 0x0800);
  uint8_t* ip = h + 14;
  ip[0] = 0x45;
  ip[1] = static_cast<uint8_t>(tos < 0 ? 0 : tos);
  put16(ip + 6, 0x4000);  // DF: relayed datagrams are never fragmented
  ip[8] = static_cast<uint8_t>(ttl);
  ip[9] = 17;
  put32(ip + 12, e.ipv4);
  put32(ip + 16, group);
  put16(ip + 20, port);
  put16(ip + 22, port);
  out->mtu = e.mtu;
  return true;
}

static_assert(sizeof(VnetHdr) == kVnetHdr);

void packet_fill_vnet(uint8_t* vnet, const PacketTemplate& t, uint32_t seg_len, uint32_t segs, uint16_t first_id) {
  uint8_t* hdr = vnet + kVnetHdr;
  const uint32_t total = seg_len * segs;
  packet_fill(hdr, t, total, first_id);
  // CHECKSUM_PARTIAL: the UDP checksum field holds the folded pseudo-header sum over the frame's UDP
  // length; the device (or the kernel, before a device without checksum offload) sums from csum_start
  // and stores the result at csum_offset, and segmentation adjusts it per segment.
  put16(hdr + 14 + 20 + 6, fold_sum(hdr + 14 + 12, 8, 17 + 8 + total));  // addresses + protocol + UDP length
  VnetHdr v{};
  v.flags = kVnetNeedsCsum;
  v.csum_start = 14 + 20;  // host order: packet sockets use the legacy (native) virtio layout
  v.csum_offset = 6;
  if (segs > 1) {
    v.gso_type = kVnetGsoUdpL4;
    v.hdr_len = static_cast<uint16_t>(kRawHeader);
    v.gso_size = static_cast<uint16_t>(seg_len);
  }
  std::memcpy(vnet, &v, kVnetHdr);
}

bool packet_gso_supported() {
  utsname u{};
  int major = 0, minor = 0;
  if (uname(&u) != 0 || std::sscanf(u.release, "%d.%d", &major, &minor) != 2) return false;
  return major > 6 || (major == 6 && minor >= 2);
}

}  // namespace mcr

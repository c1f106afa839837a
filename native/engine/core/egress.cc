// egress: EgressSocket setup and SendBatch storage (see egress.h).
#include "egress.h"

#include <linux/if_packet.h>
#include <net/if.h>
#include <unistd.h>

#include <cerrno>

#include "register_encap.h"
#include "setup_error.h"

namespace mcr {

namespace {

constexpr int kSndBuf = 4 << 20;  // absorbs a burst of a few thousand datagrams per socket

void opt(int fd, int level, int name, int value, const char* what, const std::string& ifname) {
  if (setsockopt(fd, level, name, &value, sizeof value) < 0) throw SetupError(errno, what, "UDP", ifname, "");
}

}  // namespace

EgressSocket::EgressSocket(const EgressKey& key, uint32_t ifindex) {
  if (key.pim_register) {
    fd_ = open_register_socket();
    return;
  }
  if (key.packet) {
    // Protocol 0: a send-only socket, it never queues received frames.
    fd_ = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw SetupError(errno, "socket", "AF_PACKET", key.ifname, errno == EPERM ? "needs CAP_NET_RAW" : "");
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_ifindex = static_cast<int>(ifindex);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&sll), sizeof sll) < 0) {
      int err = errno;
      close(fd_);
      throw SetupError(err, "bind", "AF_PACKET", key.ifname, "");
    }
    if (setsockopt(fd_, SOL_SOCKET, SO_SNDBUFFORCE, &kSndBuf, sizeof kSndBuf) < 0)
      (void)setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &kSndBuf, sizeof kSndBuf);
    // Every frame starts with a virtio_net_hdr: it offloads the UDP checksum (and carries GSO).
    const int one = 1;
    if (setsockopt(fd_, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof one) < 0) {
      int err = errno;
      close(fd_);
      throw SetupError(err, "setsockopt(PACKET_VNET_HDR)", "AF_PACKET", key.ifname, "try --egress socket");
    }
    gso_ = key.gso;
    return;
  }
  fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw SetupError(errno, "socket", "AF_INET", key.ifname, "");
  try {
    if (setsockopt(fd_, SOL_SOCKET, SO_BINDTODEVICE, key.ifname.c_str(), static_cast<socklen_t>(key.ifname.size())) < 0)
      throw SetupError(errno, "setsockopt(SO_BINDTODEVICE)", "UDP", key.ifname, errno == EPERM ? "needs CAP_NET_RAW" : "");
    ip_mreqn mq{};
    mq.imr_ifindex = static_cast<int>(ifindex);
    if (setsockopt(fd_, IPPROTO_IP, IP_MULTICAST_IF, &mq, sizeof mq) < 0)
      throw SetupError(errno, "setsockopt(IP_MULTICAST_IF)", "UDP", key.ifname, "");
    opt(fd_, IPPROTO_IP, IP_MULTICAST_TTL, key.ttl, "setsockopt(IP_MULTICAST_TTL)", key.ifname);
    opt(fd_, IPPROTO_IP, IP_TTL, key.ttl, "setsockopt(IP_TTL)", key.ifname);
    opt(fd_, IPPROTO_IP, IP_MULTICAST_LOOP, 0, "setsockopt(IP_MULTICAST_LOOP)", key.ifname);
    if (key.tos >= 0) opt(fd_, IPPROTO_IP, IP_TOS, key.tos, "setsockopt(IP_TOS)", key.ifname);
    // SNDBUFFORCE ignores net.core.wmem_max but needs CAP_NET_ADMIN; fall back to the capped one.
    if (setsockopt(fd_, SOL_SOCKET, SO_SNDBUFFORCE, &kSndBuf, sizeof kSndBuf) < 0)
      opt(fd_, SOL_SOCKET, SO_SNDBUF, kSndBuf, "setsockopt(SO_SNDBUF)", key.ifname);
  } catch (...) {
    close(fd_);
    throw;
  }
}

EgressSocket::~EgressSocket() {
  if (fd_ >= 0) close(fd_);
}

SendBatch::SendBatch(const std::vector<QueueSpec>& specs) {
  queues_.resize(specs.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    Queue& q = queues_[i];
    q.fd = specs[i].fd;
    q.gso = specs[i].gso;
    q.msgs = std::make_unique<mmsghdr[]>(kQueueCap);
    q.iov = std::make_unique<iovec[]>(2 * kQueueCap);
    q.slots = std::make_unique<uint32_t[]>(kQueueCap);
    q.lens = std::make_unique<uint32_t[]>(kQueueCap);
    q.segs = std::make_unique<uint32_t[]>(kQueueCap);
    q.hdrs = std::make_unique<uint8_t[]>(static_cast<size_t>(kQueueCap) * (kVnetHdr + kRawHeader));
    q.names = std::make_unique<sockaddr_in[]>(kQueueCap);
  }
  dirty_.reserve(specs.size());
}

}  // namespace mcr

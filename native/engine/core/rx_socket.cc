// rx_socket: see rx_socket.h. Setup order matters: the socket is created with protocol 0 so it receives
// nothing until bind(); the filter and ring exist before bind, so no unfiltered frame is ever queued.
#include "rx_socket.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <algorithm>
#include <cstring>

#include "setup_error.h"

namespace mcr {

namespace {

constexpr uint32_t kFrameSize = 2048;  // only used to satisfy tpacket_req3's frame_nr arithmetic

std::string dotted(uint32_t ip) {
  in_addr a{htonl(ip)};
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a, buf, sizeof buf);
  return buf;
}

/* V2 slot size: header + sockaddr_ll + MAC offset padding + the largest frame the MTU allows. */
uint32_t v2_frame_size(int fd, const std::string& ifname) {
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, ifname.c_str(), std::min(ifname.size(), sizeof ifr.ifr_name - 1));
  int mtu = 1500;
  if (ioctl(fd, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu > 0) mtu = ifr.ifr_mtu;
  const uint32_t need = TPACKET_ALIGN(TPACKET2_HDRLEN) + 16 + 14 + 8 + static_cast<uint32_t>(mtu);  // + QinQ tags
  uint32_t size = 2048;
  while (size < need) size += 1024;
  return size;
}

void attach(int fd, const std::vector<sock_filter>& filter, const std::string& what, const std::string& ifname) {
  sock_fprog prog{static_cast<unsigned short>(filter.size()), const_cast<sock_filter*>(filter.data())};
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0)
    throw SetupError(errno, "setsockopt(SO_ATTACH_FILTER)", what, ifname, "");
}

}  // namespace

RxSocket::RxSocket(const std::string& ifname, uint32_t ifindex, const RingConfig& ring, int fanout_id,
                   const std::vector<sock_filter>& filter, bool igmp_join)
    : ifname_(ifname), ifindex_(ifindex), ring_(ring), igmp_join_(igmp_join) {
  try {
    fd_ = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw SetupError(errno, "socket", "AF_PACKET", ifname, errno == EPERM ? "needs CAP_NET_RAW" : "");
    int version = ring.version == 2 ? TPACKET_V2 : TPACKET_V3;
    if (setsockopt(fd_, SOL_PACKET, PACKET_VERSION, &version, sizeof version) < 0)
      throw SetupError(errno, "setsockopt(PACKET_VERSION)", ring.version == 2 ? "TPACKET_V2" : "TPACKET_V3", ifname, "");
    int one = 1;
    // Our own egress on this interface (hairpin rules) must not come back in; not fatal on old kernels.
    (void)setsockopt(fd_, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
    attach(fd_, filter, "AF_PACKET", ifname);

    tpacket_req3 req{};
    req.tp_block_size = ring.block_size;
    req.tp_block_nr = ring.block_count;
    req.tp_frame_size = kFrameSize;
    req.tp_frame_nr = (ring.block_size / kFrameSize) * ring.block_count;
    req.tp_retire_blk_tov = ring.retire_ms;
    socklen_t req_len = sizeof req;
    if (ring.version == 2) {
      // Same tpacket_req prefix; V2 ignores the V3 tail (a shorter length keeps the kernel from reading it).
      frame_size_ = v2_frame_size(fd_, ifname);
      frames_per_block_ = ring.block_size / frame_size_;
      if (frames_per_block_ == 0)
        throw SetupError(EINVAL, "setsockopt(PACKET_RX_RING)", "AF_PACKET", ifname,
                         "ringBlockSize is smaller than one frame for this MTU (" + std::to_string(frame_size_) + " bytes)");
      frame_count_ = frames_per_block_ * ring.block_count;
      req.tp_frame_size = frame_size_;
      req.tp_frame_nr = frame_count_;
      req_len = sizeof(tpacket_req);
    }
    if (setsockopt(fd_, SOL_PACKET, PACKET_RX_RING, &req, req_len) < 0)
      throw SetupError(errno, "setsockopt(PACKET_RX_RING)", "AF_PACKET", ifname,
                       errno == EINVAL ? "ring block size must be a multiple of the page size and >= 16 KiB"
                                       : "");
    map_len_ = static_cast<size_t>(ring.block_size) * ring.block_count;
    void* m = mmap(nullptr, map_len_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, fd_, 0);
    if (m == MAP_FAILED) m = mmap(nullptr, map_len_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
    if (m == MAP_FAILED) throw SetupError(errno, "mmap", "PACKET_RX_RING", ifname, "");
    map_ = static_cast<uint8_t*>(m);

    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = static_cast<int>(ifindex);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&sll), sizeof sll) < 0)
      throw SetupError(errno, "bind", "AF_PACKET", ifname, "");

    if (fanout_id >= 0) {
      int arg = (fanout_id & 0xffff) | (PACKET_FANOUT_HASH << 16);
      if (setsockopt(fd_, SOL_PACKET, PACKET_FANOUT, &arg, sizeof arg) < 0)
        throw SetupError(errno, "setsockopt(PACKET_FANOUT)", "AF_PACKET", ifname,
                         "fanout id " + std::to_string(fanout_id & 0xffff) +
                             " is taken by a socket with other settings or another device; pick another fanoutGroup");
    }
  } catch (...) {
    if (map_) munmap(map_, map_len_);
    if (fd_ >= 0) close(fd_);
    throw;
  }
}

RxSocket::~RxSocket() {
  for (auto& [key, fd] : guards_) close(fd);
  for (const IgmpSocket& m : igmp_)
    if (m.fd >= 0) close(m.fd);  // closing drops the IGMP memberships
  if (map_) munmap(map_, map_len_);
  if (fd_ >= 0) close(fd_);            // and the L2 memberships
}

void RxSocket::set_filter(const std::vector<sock_filter>& filter) { attach(fd_, filter, "AF_PACKET", ifname_); }

namespace {

packet_mreq l2_membership(uint32_t ifindex, uint32_t group) {
  // 01:00:5e + low 23 bits of the group.
  packet_mreq mr{};
  mr.mr_ifindex = static_cast<int>(ifindex);
  mr.mr_type = PACKET_MR_MULTICAST;
  mr.mr_alen = 6;
  const uint8_t mac[6] = {0x01, 0x00, 0x5e, static_cast<uint8_t>((group >> 16) & 0x7f),
                          static_cast<uint8_t>(group >> 8), static_cast<uint8_t>(group)};
  std::memcpy(mr.mr_address, mac, 6);
  return mr;
}

ip_mreqn ip_membership(uint32_t ifindex, uint32_t group) {
  ip_mreqn mq{};
  mq.imr_multiaddr.s_addr = htonl(group);
  mq.imr_ifindex = static_cast<int>(ifindex);
  return mq;
}

}  // namespace

void RxSocket::join(uint32_t group) {
  if (groups_.count(group)) return;
  const packet_mreq mr = l2_membership(ifindex_, group);
  if (setsockopt(fd_, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) < 0)
    throw SetupError(errno, "setsockopt(PACKET_ADD_MEMBERSHIP)", dotted(group), ifname_, "");
  if (igmp_join_) {
    try {
      igmp_join(group);
    } catch (...) {
      (void)setsockopt(fd_, SOL_PACKET, PACKET_DROP_MEMBERSHIP, &mr, sizeof mr);
      throw;
    }
  }
  groups_.insert(group);
}

void RxSocket::igmp_join(uint32_t group) {
  const ip_mreqn mq = ip_membership(ifindex_, group);
  for (size_t i = 0;; ++i) {
    if (i == igmp_.size()) igmp_.push_back({-1, 0, false});
    if (igmp_[i].fd < 0) {
      const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      if (fd < 0) throw SetupError(errno, "socket", "AF_INET", ifname_, "");
      int zero = 0;
      try {
        // Without this, the IGMP socket would receive every group joined on the host (it is never read).
        if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_ALL, &zero, sizeof zero) < 0)
          throw SetupError(errno, "setsockopt(IP_MULTICAST_ALL)", "", ifname_, "");
        attach(fd, drop_all_filter(), "AF_INET", ifname_);
      } catch (...) {
        close(fd);
        throw;
      }
      igmp_[i] = {fd, 0, false};
    }
    IgmpSocket& m = igmp_[i];
    if (m.full) continue;
    if (setsockopt(m.fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mq, sizeof mq) == 0 || errno == EADDRINUSE) {
      ++m.members;
      igmp_of_[group] = i;
      return;
    }
    const int err = errno;
    // ENOBUFS: this socket holds igmp_max_memberships groups; the next one (or a new one) takes it.
    // A fresh socket refusing its first group cannot be helped by more sockets.
    if (err != ENOBUFS || m.members == 0) {
      if (m.members == 0) {
        close(m.fd);
        m.fd = -1;
      }
      throw SetupError(err, "setsockopt(IP_ADD_MEMBERSHIP)", dotted(group), ifname_,
                       err == ENOBUFS ? "the kernel refuses any IGMP membership; check net.ipv4.igmp_max_memberships" : "");
    }
    m.full = true;
  }
}

void RxSocket::igmp_leave(uint32_t group) {
  auto it = igmp_of_.find(group);
  if (it == igmp_of_.end()) return;
  const size_t i = it->second;
  igmp_of_.erase(it);
  IgmpSocket& m = igmp_[i];
  const ip_mreqn mq = ip_membership(ifindex_, group);
  (void)setsockopt(m.fd, IPPROTO_IP, IP_DROP_MEMBERSHIP, &mq, sizeof mq);
  m.full = false;
  if (--m.members > 0) return;
  // An empty socket is closed; its slot is reopened by a later join.
  close(m.fd);
  m.fd = -1;
}

void RxSocket::leave(uint32_t group) {
  if (!groups_.erase(group)) return;
  const packet_mreq mr = l2_membership(ifindex_, group);
  (void)setsockopt(fd_, SOL_PACKET, PACKET_DROP_MEMBERSHIP, &mr, sizeof mr);
  igmp_leave(group);
}

void RxSocket::guard(uint32_t addr, uint16_t port) {
  if (guards_.count({addr, port})) return;
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw SetupError(errno, "socket", "AF_INET", ifname_, "");
  int one = 1;
  (void)setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof one);
  try {
    attach(fd, drop_all_filter(), "AF_INET", ifname_);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(addr);
    sa.sin_port = htons(port);
    if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0 && errno != EADDRINUSE)
      throw SetupError(errno, "bind", "UDP " + dotted(addr) + ":" + std::to_string(port), ifname_, "");
  } catch (...) {
    close(fd);
    throw;
  }
  guards_[{addr, port}] = fd;
}

void RxSocket::unguard(uint32_t addr, uint16_t port) {
  auto it = guards_.find({addr, port});
  if (it == guards_.end()) return;
  close(it->second);
  guards_.erase(it);
}

std::set<std::pair<uint32_t, uint16_t>> RxSocket::guard_keys() const {
  std::set<std::pair<uint32_t, uint16_t>> s;
  for (auto& [k, fd] : guards_) s.insert(k);
  return s;
}

tpacket_block_desc* RxSocket::ready_block() const {
  auto* b = reinterpret_cast<tpacket_block_desc*>(map_ + static_cast<size_t>(next_block_) * ring_.block_size);
  // Acquire pairs with the kernel's smp_wmb before it flips the status to TP_STATUS_USER.
  uint32_t status = __atomic_load_n(&b->hdr.bh1.block_status, __ATOMIC_ACQUIRE);
  return (status & TP_STATUS_USER) ? b : nullptr;
}

void RxSocket::release_block() {
  auto* b = reinterpret_cast<tpacket_block_desc*>(map_ + static_cast<size_t>(next_block_) * ring_.block_size);
  __atomic_store_n(&b->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
  next_block_ = (next_block_ + 1) % ring_.block_count;
}

tpacket2_hdr* RxSocket::ready_frame(uint32_t k) const {
  const uint32_t i = (next_frame_ + k) % frame_count_;
  auto* h = reinterpret_cast<tpacket2_hdr*>(map_ + static_cast<size_t>(i / frames_per_block_) * ring_.block_size +
                                            static_cast<size_t>(i % frames_per_block_) * frame_size_);
  // Acquire pairs with the kernel's smp_wmb before __packet_set_status(TP_STATUS_USER).
  uint32_t status = __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);
  return (status & TP_STATUS_USER) ? h : nullptr;
}

void RxSocket::release_frames(uint32_t n) {
  for (uint32_t k = 0; k < n; ++k) {
    const uint32_t i = (next_frame_ + k) % frame_count_;
    auto* h = reinterpret_cast<tpacket2_hdr*>(map_ + static_cast<size_t>(i / frames_per_block_) * ring_.block_size +
                                              static_cast<size_t>(i % frames_per_block_) * frame_size_);
    __atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
  }
  next_frame_ = (next_frame_ + n) % frame_count_;
}

void RxSocket::read_stats(uint64_t* drops, uint64_t* freezes) {
  tpacket_stats_v3 st{};
  socklen_t len = sizeof st;
  if (getsockopt(fd_, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0) {
    *drops += st.tp_drops;
    *freezes += st.tp_freeze_q_cnt;
  }
}

}  // namespace mcr

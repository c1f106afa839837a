// proto_rx: see proto_rx.h.
#include "proto_rx.h"

#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "parse.h"
#include "setup_error.h"

namespace mcr {

const char* const kProtoDropNames[kProtoDropReasons] = {"truncated", "badIpVersion", "badIhl", "badIpChecksum",
                                                        "badIpTotalLength", "fragment", "badOptions"};

namespace {

constexpr size_t kMaxDatagram = 65536;
constexpr int kReadsPerPass = 64;  // then poll again, so stop() is seen under a flood
constexpr uint8_t kOptEnd = 0, kOptNop = 1, kOptRouterAlert = 148;

uint32_t be32(const uint8_t* p) { return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3]; }

/* Walks the options: false if one is malformed; sets *ra when a (4-byte) Router Alert is present. */
bool parse_options(const uint8_t* o, size_t n, bool* ra) {
  size_t i = 0;
  while (i < n) {
    const uint8_t type = o[i];
    if (type == kOptEnd) return true;
    if (type == kOptNop) {
      ++i;
      continue;
    }
    if (i + 1 >= n) return false;
    const uint8_t len = o[i + 1];
    if (len < 2 || len > n - i) return false;
    if (type == kOptRouterAlert) {
      if (len != 4) return false;
      *ra = true;
    }
    i += len;
  }
  return true;
}

/* Only IPv4 of the given protocols, never what this host sends: offsets are from the IP header (SOCK_DGRAM). */
std::vector<sock_filter> proto_filter(const std::vector<uint8_t>& protos) {
  std::vector<sock_filter> p;
  p.push_back({BPF_LD | BPF_B | BPF_ABS, 0, 0, static_cast<uint32_t>(SKF_AD_OFF + SKF_AD_PKTTYPE)});
  p.push_back({BPF_JMP | BPF_JEQ | BPF_K, 0, 1, PACKET_OUTGOING});
  p.push_back({BPF_RET | BPF_K, 0, 0, 0});
  p.push_back({BPF_LD | BPF_B | BPF_ABS, 0, 0, 9});
  const auto n = static_cast<uint8_t>(protos.size());
  // jeq proto_i -> accept (n - i jumps ahead, past the remaining tests and the drop)
  for (uint8_t i = 0; i < n; ++i) p.push_back({BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint8_t>(n - i), 0, protos[i]});
  p.push_back({BPF_RET | BPF_K, 0, 0, 0});
  p.push_back({BPF_RET | BPF_K, 0, 0, 0xffff});
  return p;
}

}  // namespace

ProtoDrop check_proto_ip(const uint8_t* p, size_t len, ProtoMeta* meta, uint32_t* payload_off, uint32_t* payload_len) {
  if (len < 20) return ProtoDrop::Truncated;
  if (p[0] >> 4 != 4) return ProtoDrop::BadIpVersion;
  const size_t ihl = size_t{p[0] & 0x0fu} * 4;
  if (ihl < 20) return ProtoDrop::BadIhl;
  if (ihl > len) return ProtoDrop::Truncated;
  if (!ipv4_checksum_ok(p, ihl)) return ProtoDrop::BadIpChecksum;
  const size_t total = size_t{p[2]} << 8 | p[3];
  if (total < ihl || total > len) return ProtoDrop::BadIpTotalLength;
  if ((p[6] & 0x3f) != 0 || p[7] != 0) return ProtoDrop::Fragment;  // MF or an offset (DF is fine)
  bool ra = false;
  if (!parse_options(p + 20, ihl - 20, &ra)) return ProtoDrop::BadOptions;
  meta->src = be32(p + 12);
  meta->dst = be32(p + 16);
  meta->ttl = p[8];
  meta->proto = p[9];
  meta->router_alert = ra;
  *payload_off = static_cast<uint32_t>(ihl);
  *payload_len = static_cast<uint32_t>(total - ihl);
  return ProtoDrop::Ok;
}

/* ---- ProtoRing ---- */

ProtoRing::ProtoRing(size_t bytes, uint32_t max_packets)
    : buf_(std::make_unique<uint8_t[]>(bytes & ~size_t{7})), cap_(bytes & ~size_t{7}), max_(max_packets) {}

bool ProtoRing::push(const ProtoMeta& m, const uint8_t* data, uint32_t len) {
  const size_t need = span(len);
  if (need > cap_ || count_.load(std::memory_order_acquire) >= max_) return false;
  uint64_t h = head_.load(std::memory_order_relaxed);
  const uint64_t t = tail_.load(std::memory_order_acquire);
  size_t pos = h % cap_;
  const size_t waste = cap_ - pos < need ? cap_ - pos : 0;
  if (h + waste + need - t > cap_) return false;
  if (waste) {
    if (waste >= sizeof(Rec)) {
      Rec w{kWrap, {}};
      std::memcpy(&buf_[pos], &w, sizeof w);
    }
    h += waste;
    pos = 0;
  }
  Rec r{len, m};
  std::memcpy(&buf_[pos], &r, sizeof r);
  std::memcpy(&buf_[pos + sizeof r], data, len);
  count_.fetch_add(1, std::memory_order_relaxed);
  head_.store(h + need, std::memory_order_release);
  return true;
}

bool ProtoRing::front(ProtoMeta* m, const uint8_t** data, uint32_t* len) {
  uint64_t t = tail_.load(std::memory_order_relaxed);
  const uint64_t h = head_.load(std::memory_order_acquire);
  while (t != h) {
    const size_t pos = t % cap_;
    Rec r;
    if (cap_ - pos >= sizeof r) std::memcpy(&r, &buf_[pos], sizeof r);
    if (cap_ - pos < sizeof r || r.len == kWrap) {
      t += cap_ - pos;  // the producer skipped the end of the buffer
      continue;
    }
    *m = r.meta;
    *data = &buf_[pos + sizeof r];
    *len = r.len;
    next_tail_ = t + span(r.len);
    return true;
  }
  return false;
}

void ProtoRing::pop() {
  count_.fetch_sub(1, std::memory_order_relaxed);
  tail_.store(next_tail_, std::memory_order_release);
}

/* ---- ProtoRx ---- */

ProtoRx::ProtoRx(const std::vector<uint8_t>& ip_protos, size_t ring_bytes, uint32_t ring_packets)
    : ring_(ring_bytes, ring_packets), scratch_(std::make_unique<uint8_t[]>(kMaxDatagram)) {
  if (ip_protos.empty() || ip_protos.size() > 8) throw SetupError(EINVAL, "ProtoRx", "ipProtos", "", "1 to 8 IP protocol numbers");
  fd_ = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_IP));
  if (fd_ < 0) throw SetupError(errno, "socket", "AF_PACKET", "", "");
  std::vector<sock_filter> f = proto_filter(ip_protos);
  sock_fprog prog{static_cast<unsigned short>(f.size()), f.data()};
  if (setsockopt(fd_, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0) {
    int err = errno;
    close(fd_);
    throw SetupError(err, "setsockopt(SO_ATTACH_FILTER)", "AF_PACKET", "", "");
  }
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) {
    int err = errno;
    close(fd_);
    throw SetupError(err, "eventfd", "", "", "");
  }
}

ProtoRx::~ProtoRx() {
  stop();
  close(wake_fd_);
  close(fd_);
}

bool ProtoRx::enabled(uint32_t ifindex) const {
  for (const auto& e : enabled_)
    if (e.load(std::memory_order_relaxed) == ifindex) return true;
  return false;
}

uint32_t ProtoRx::enable(const std::string& ifname) {
  std::lock_guard<std::mutex> lk(mu_);
  if (ifname.empty() || ifname.size() >= IFNAMSIZ) throw SetupError(EINVAL, "enable", "", ifname, "bad interface name");
  const uint32_t ix = if_nametoindex(ifname.c_str());
  if (ix == 0) throw SetupError(errno == ENXIO ? ENODEV : errno, "if_nametoindex", "", ifname, "");
  if (enabled(ix)) return ix;
  std::atomic<uint32_t>* slot = nullptr;
  for (auto& e : enabled_)
    if (e.load(std::memory_order_relaxed) == 0) {
      slot = &e;
      break;
    }
  if (!slot) throw SetupError(ENOSPC, "enable", "", ifname, "at most 256 protocol interfaces");
  packet_mreq mr{};
  mr.mr_ifindex = static_cast<int>(ix);
  mr.mr_type = PACKET_MR_ALLMULTI;
  if (setsockopt(fd_, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) < 0)
    throw SetupError(errno, "setsockopt(PACKET_ADD_MEMBERSHIP ALLMULTI)", "AF_PACKET", ifname, "");
  slot->store(ix, std::memory_order_relaxed);
  return ix;
}

void ProtoRx::disable(uint32_t ifindex) {
  std::lock_guard<std::mutex> lk(mu_);
  for (auto& e : enabled_) {
    if (ifindex == 0 || e.load(std::memory_order_relaxed) != ifindex) continue;
    e.store(0, std::memory_order_relaxed);
    packet_mreq mr{};
    mr.mr_ifindex = static_cast<int>(ifindex);
    mr.mr_type = PACKET_MR_ALLMULTI;
    // ENODEV/EADDRNOTAVAIL: the interface is gone, and its membership with it.
    (void)setsockopt(fd_, SOL_PACKET, PACKET_DROP_MEMBERSHIP, &mr, sizeof mr);
  }
}

void ProtoRx::start(std::function<void()> notify) {
  std::lock_guard<std::mutex> lk(mu_);
  if (running_) return;
  notify_ = std::move(notify);
  stop_.store(false);
  running_ = true;
  thread_ = std::thread([this] { run(); });
}

void ProtoRx::stop() {
  std::lock_guard<std::mutex> lk(mu_);
  if (!running_) return;
  stop_.store(true, std::memory_order_release);
  uint64_t one = 1;
  ssize_t r = write(wake_fd_, &one, sizeof one);
  (void)r;  // EAGAIN: a wake-up is already pending
  thread_.join();
  running_ = false;
}

ProtoRx::Counters ProtoRx::counters() const {
  Counters c{received_.load(), queue_drops_.load(), not_enabled_.load(), {}};
  for (int i = 0; i < kProtoDropReasons; ++i) c.malformed[i] = malformed_[i].load();
  return c;
}

void ProtoRx::handle(const uint8_t* p, size_t len, size_t wire_len, uint32_t ifindex) {
  received_.fetch_add(1, std::memory_order_relaxed);
  if (!enabled(ifindex)) {
    not_enabled_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  ProtoMeta m{};
  uint32_t off = 0, plen = 0;
  ProtoDrop d = wire_len > len ? ProtoDrop::Truncated : check_proto_ip(p, len, &m, &off, &plen);
  if (d != ProtoDrop::Ok) {
    malformed_[static_cast<size_t>(d) - 1].fetch_add(1, std::memory_order_relaxed);
    return;
  }
  m.ifindex = ifindex;
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);  // cannot fail for CLOCK_REALTIME with a valid pointer
  m.rx_ns = static_cast<uint64_t>(now.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(now.tv_nsec);
  if (!ring_.push(m, p + off, plen)) {
    queue_drops_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (!notified_.exchange(true) && notify_) notify_();
}

void ProtoRx::run() {
  pollfd pfds[2] = {{fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
  while (!stop_.load(std::memory_order_acquire)) {
    pfds[0].revents = pfds[1].revents = 0;
    if (poll(pfds, 2, -1) < 0) continue;  // EINTR
    if (pfds[1].revents & POLLIN) continue;  // stop() (the loop condition decides)
    if (pfds[0].revents & POLLERR) {
      int err = 0;
      socklen_t el = sizeof err;
      getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &el);  // clears it, so poll does not spin
    }
    for (int i = 0; i < kReadsPerPass; ++i) {
      sockaddr_ll sll{};
      socklen_t sl = sizeof sll;
      ssize_t n = recvfrom(fd_, scratch_.get(), kMaxDatagram, MSG_TRUNC | MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&sll), &sl);
      if (n < 0) break;  // EAGAIN (drained) or a transient error
      if (sll.sll_pkttype == PACKET_OUTGOING) continue;  // the filter already refuses these
      const size_t got = static_cast<size_t>(n) < kMaxDatagram ? static_cast<size_t>(n) : kMaxDatagram;
      handle(scratch_.get(), got, static_cast<size_t>(n), static_cast<uint32_t>(sll.sll_ifindex));
    }
  }
}

}  // namespace mcr

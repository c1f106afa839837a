// netlink_watch: see netlink_watch.h. Parser first, then the dump, then the watcher thread.
#include "netlink_watch.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

#include "setup_error.h"

namespace mcr {

namespace {

constexpr size_t kRecvBuf = 64 * 1024;  // above the 32 KiB a dump datagram can reach
constexpr int kSockBuf = 1 << 20;       // absorbs a burst of notifications (hundreds of VLANs coming up)
constexpr int kDumpTimeoutS = 2;
constexpr int kDumpAttempts = 3;        // a dump interrupted by a concurrent change is retried

/* Walk the attributes in [p + from, p + to); false on a malformed one. fn(type, payload, payload_len). */
template <typename Fn>
bool each_attr(const uint8_t* p, size_t from, size_t to, Fn fn) {
  size_t a = from;
  while (a < to && to - a >= sizeof(rtattr)) {
    rtattr rta;
    std::memcpy(&rta, p + a, sizeof rta);
    if (rta.rta_len < sizeof(rtattr) || rta.rta_len > to - a) return false;
    const uint16_t type = rta.rta_type & NLA_TYPE_MASK;
    if (!fn(type, p + a + RTA_LENGTH(0), static_cast<size_t>(rta.rta_len) - RTA_LENGTH(0))) return false;
    a += RTA_ALIGN(rta.rta_len);
  }
  return true;
}

/* An interface name attribute: NUL-terminated within its payload and shorter than IFNAMSIZ. */
bool name_attr(const uint8_t* v, size_t n, std::string* out) {
  const size_t len = strnlen(reinterpret_cast<const char*>(v), n);
  if (len == n || len >= IFNAMSIZ) return false;
  out->assign(reinterpret_cast<const char*>(v), len);
  return true;
}

bool parse_link(const uint8_t* m, size_t mlen, uint16_t type, std::vector<NlEvent>* out) {
  if (mlen < NLMSG_LENGTH(sizeof(ifinfomsg))) return false;
  ifinfomsg ifi;
  std::memcpy(&ifi, m + NLMSG_HDRLEN, sizeof ifi);
  NlEvent e;
  e.kind = NlEvent::Kind::Link;
  e.removed = type == RTM_DELLINK;
  e.flags = ifi.ifi_flags;
  const bool ok = each_attr(m, NLMSG_LENGTH(NLMSG_ALIGN(sizeof(ifinfomsg))), mlen, [&](uint16_t t, const uint8_t* v, size_t n) {
    switch (t) {
      case IFLA_IFNAME: return name_attr(v, n, &e.name);
      case IFLA_MTU:
        if (n < sizeof(uint32_t)) return false;
        std::memcpy(&e.mtu, v, sizeof e.mtu);
        return true;
      case IFLA_ADDRESS:
        if (n > sizeof e.mac) return false;
        std::memcpy(e.mac, v, n);
        e.mac_len = static_cast<uint8_t>(n);
        return true;
      default: return true;
    }
  });
  if (!ok) return false;
  if (ifi.ifi_index <= 0) return true;  // nothing to attach it to; not worth failing the datagram
  e.ifindex = static_cast<uint32_t>(ifi.ifi_index);
  out->push_back(std::move(e));
  return true;
}

bool parse_addr(const uint8_t* m, size_t mlen, uint16_t type, std::vector<NlEvent>* out) {
  if (mlen < NLMSG_LENGTH(sizeof(ifaddrmsg))) return false;
  ifaddrmsg ifa;
  std::memcpy(&ifa, m + NLMSG_HDRLEN, sizeof ifa);
  if (ifa.ifa_family != AF_INET) return true;  // IPv6 does not feed any output template
  NlEvent e;
  e.kind = NlEvent::Kind::Addr;
  e.removed = type == RTM_DELADDR;
  e.prefix = ifa.ifa_prefixlen;
  bool local = false, any = false;
  const bool ok = each_attr(m, NLMSG_LENGTH(NLMSG_ALIGN(sizeof(ifaddrmsg))), mlen, [&](uint16_t t, const uint8_t* v, size_t n) {
    switch (t) {
      case IFA_LOCAL:
      case IFA_ADDRESS: {
        if (n != 4) return false;
        // IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer's on point-to-point links.
        if (t == IFA_ADDRESS && local) return true;
        uint32_t be;
        std::memcpy(&be, v, 4);
        e.addr = ntohl(be);
        local |= t == IFA_LOCAL;
        any = true;
        return true;
      }
      case IFA_LABEL: return name_attr(v, n, &e.name);
      default: return true;
    }
  });
  if (!ok) return false;
  if (!any || ifa.ifa_index == 0) return true;
  e.ifindex = ifa.ifa_index;
  out->push_back(std::move(e));
  return true;
}

int open_netlink(uint32_t groups, const char* what) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) throw SetupError(errno, "socket", "NETLINK_ROUTE", "", what);
  sockaddr_nl sa{};
  sa.nl_family = AF_NETLINK;
  sa.nl_groups = groups;
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) {
    int err = errno;
    close(fd);
    throw SetupError(err, "bind", "NETLINK_ROUTE", "", what);
  }
  return fd;
}

/* One received datagram; >= 0 bytes, or -errno. Sets *from_kernel and *truncated. */
ssize_t receive(int fd, void* buf, size_t len, int flags, bool* from_kernel, bool* truncated) {
  sockaddr_nl sa{};
  iovec iov{buf, len};
  msghdr msg{};
  msg.msg_name = &sa;
  msg.msg_namelen = sizeof sa;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  ssize_t n = recvmsg(fd, &msg, flags);
  if (n < 0) return -errno;
  *from_kernel = msg.msg_namelen >= sizeof sa && sa.nl_family == AF_NETLINK && sa.nl_pid == 0;
  *truncated = (msg.msg_flags & MSG_TRUNC) != 0;
  return n;
}

/* One dump request, replies parsed into @out; false if the kernel flagged it interrupted (retry). */
bool dump(int fd, uint16_t type, uint8_t family, uint32_t seq, void* buf, std::vector<NlEvent>* out) {
  struct {
    nlmsghdr nh;
    union {
      ifinfomsg ifi;
      ifaddrmsg ifa;
    } body;
  } req{};
  req.nh.nlmsg_len = NLMSG_LENGTH(type == RTM_GETLINK ? sizeof(ifinfomsg) : sizeof(ifaddrmsg));
  req.nh.nlmsg_type = type;
  req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.nh.nlmsg_seq = seq;
  if (type == RTM_GETLINK)
    req.body.ifi.ifi_family = family;
  else
    req.body.ifa.ifa_family = family;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd, &req, req.nh.nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0)
    throw SetupError(errno, "sendto", "NETLINK_ROUTE", "", "");
  bool intr = false;
  for (;;) {
    bool from_kernel = false, truncated = false;
    ssize_t n = receive(fd, buf, kRecvBuf, 0, &from_kernel, &truncated);
    if (n == -EINTR) continue;
    if (n < 0) throw SetupError(static_cast<int>(-n), "recvmsg", "NETLINK_ROUTE", "", -n == EAGAIN ? "the kernel did not finish the interface dump in time" : "");
    if (truncated) throw SetupError(EMSGSIZE, "recvmsg", "NETLINK_ROUTE", "", "interface dump datagram larger than the buffer");
    if (!from_kernel) continue;
    int err = 0;
    bool di = false;
    NlParse r = parse_netlink(buf, static_cast<size_t>(n), out, &err, &di);
    intr |= di;
    if (r == NlParse::Error) throw SetupError(err, "recvmsg", "NETLINK_ROUTE", "", "interface dump failed");
    if (r == NlParse::Done) return !intr;
    if (n == 0) throw SetupError(EPIPE, "recvmsg", "NETLINK_ROUTE", "", "interface dump ended early");
  }
}

}  // namespace

NlParse parse_netlink(const void* buf, size_t len, std::vector<NlEvent>* out, int* err, bool* dump_intr) {
  const auto* p = static_cast<const uint8_t*>(buf);
  size_t off = 0;
  while (len - off >= sizeof(nlmsghdr)) {
    nlmsghdr nh;
    std::memcpy(&nh, p + off, sizeof nh);
    const size_t mlen = nh.nlmsg_len;
    if (mlen < sizeof(nlmsghdr) || mlen > len - off) {
      *err = EBADMSG;
      return NlParse::Error;
    }
    const uint8_t* m = p + off;
    if (dump_intr && (nh.nlmsg_flags & NLM_F_DUMP_INTR)) *dump_intr = true;
    bool ok = true;
    switch (nh.nlmsg_type) {
      case NLMSG_DONE:
        return NlParse::Done;
      case NLMSG_ERROR: {
        if (mlen < NLMSG_LENGTH(sizeof(nlmsgerr))) {
          *err = EBADMSG;
          return NlParse::Error;
        }
        nlmsgerr e;
        std::memcpy(&e, m + NLMSG_HDRLEN, sizeof e);
        if (e.error == 0) break;  // an acknowledgement
        *err = e.error < 0 && e.error > -4096 ? -e.error : EBADMSG;
        return NlParse::Error;
      }
      case NLMSG_OVERRUN: {
        NlEvent r;
        r.kind = NlEvent::Kind::Resync;
        out->push_back(r);
        break;
      }
      case RTM_NEWLINK:
      case RTM_DELLINK:
        ok = parse_link(m, mlen, nh.nlmsg_type, out);
        break;
      case RTM_NEWADDR:
      case RTM_DELADDR:
        ok = parse_addr(m, mlen, nh.nlmsg_type, out);
        break;
      default:
        break;
    }
    if (!ok) {
      *err = EBADMSG;
      return NlParse::Error;
    }
    off += std::min(NLMSG_ALIGN(mlen), len - off);
  }
  if (off != len) {  // trailing bytes too short for a header
    *err = EBADMSG;
    return NlParse::Error;
  }
  return NlParse::More;
}

std::vector<IfSnapshot> netlink_snapshot() {
  int fd = open_netlink(0, "");
  std::vector<uint32_t> buf(kRecvBuf / sizeof(uint32_t));  // nlmsghdr alignment
  std::vector<NlEvent> links, addrs;
  try {
    timeval tv{kDumpTimeoutS, 0};
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0) throw SetupError(errno, "setsockopt(SO_RCVTIMEO)", "NETLINK_ROUTE", "", "");
    bool complete = false;
    for (uint32_t attempt = 0; attempt < kDumpAttempts && !complete; ++attempt) {
      links.clear();
      addrs.clear();
      complete = dump(fd, RTM_GETLINK, AF_UNSPEC, 2 * attempt + 1, buf.data(), &links) &&
                 dump(fd, RTM_GETADDR, AF_INET, 2 * attempt + 2, buf.data(), &addrs);
    }
    if (!complete) throw SetupError(EAGAIN, "recvmsg", "NETLINK_ROUTE", "", "interfaces kept changing during the dump");
  } catch (...) {
    close(fd);
    throw;
  }
  close(fd);
  std::map<uint32_t, IfSnapshot> by_index;
  for (const NlEvent& l : links) {
    if (l.kind != NlEvent::Kind::Link || l.removed) continue;
    IfSnapshot& s = by_index[l.ifindex];
    s.ifindex = l.ifindex;
    s.name = l.name;
    s.flags = l.flags;
    s.mtu = l.mtu;
    std::memcpy(s.mac, l.mac, sizeof s.mac);
    s.mac_len = l.mac_len;
  }
  for (const NlEvent& a : addrs) {
    auto it = by_index.find(a.ifindex);
    if (a.kind == NlEvent::Kind::Addr && !a.removed && it != by_index.end()) it->second.addrs.push_back({a.addr, a.prefix});
  }
  std::vector<IfSnapshot> all;
  all.reserve(by_index.size());
  for (auto& [ix, s] : by_index) all.push_back(std::move(s));
  return all;
}

NetlinkWatch::NetlinkWatch(Sink sink) : sink_(std::move(sink)) {
  fd_ = open_netlink(RTMGRP_LINK | RTMGRP_IPV4_IFADDR, "");
  // RCVBUFFORCE passes net.core.rmem_max but needs CAP_NET_ADMIN; the capped size still works.
  if (setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &kSockBuf, sizeof kSockBuf) < 0 &&
      setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &kSockBuf, sizeof kSockBuf) < 0) {
    int err = errno;
    close(fd_);
    throw SetupError(err, "setsockopt(SO_RCVBUF)", "NETLINK_ROUTE", "", "");
  }
  stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd_ < 0) {
    int err = errno;
    close(fd_);
    throw SetupError(err, "eventfd", "", "", "");
  }
}

NetlinkWatch::~NetlinkWatch() {
  stop();
  close(fd_);
  close(stop_fd_);
}

void NetlinkWatch::start() {
  if (running_) return;
  uint64_t v;
  while (read(stop_fd_, &v, sizeof v) == sizeof v) {
  }  // drain a previous stop
  running_ = true;
  thread_ = std::thread([this] { run(); });
}

void NetlinkWatch::stop() {
  if (!running_) return;
  uint64_t one = 1;
  if (write(stop_fd_, &one, sizeof one) < 0 && errno != EAGAIN) {
    // An eventfd write only fails when the counter would overflow; the thread is then woken already.
  }
  thread_.join();
  running_ = false;
}

void NetlinkWatch::run() {
  std::vector<uint32_t> buf(kRecvBuf / sizeof(uint32_t));
  auto fail = [this](int err) {
    NlEvent e;
    e.kind = NlEvent::Kind::Error;
    e.err = err;
    sink_({e});
  };
  pollfd pfd[2] = {{fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
  for (;;) {
    pfd[0].revents = pfd[1].revents = 0;
    if (poll(pfd, 2, -1) < 0) {
      if (errno == EINTR) continue;
      fail(errno);
      return;
    }
    if (pfd[1].revents) return;
    if (!pfd[0].revents) continue;
    std::vector<NlEvent> events;
    bool resync = false;
    for (;;) {
      bool from_kernel = false, truncated = false;
      ssize_t n = receive(fd_, buf.data(), kRecvBuf, MSG_DONTWAIT, &from_kernel, &truncated);
      if (n == -EAGAIN || n == -EWOULDBLOCK) break;
      if (n == -EINTR) continue;
      if (n == -ENOBUFS) {  // the kernel dropped notifications: only a full re-read is right now
        resync = true;
        continue;
      }
      if (n < 0) {
        if (!events.empty()) sink_(std::move(events));
        fail(static_cast<int>(-n));
        return;
      }
      if (!from_kernel) continue;  // only the kernel speaks for the interfaces
      int err = 0;
      if (truncated || parse_netlink(buf.data(), static_cast<size_t>(n), &events, &err) == NlParse::Error) resync = true;
    }
    if (resync) {
      NlEvent r;
      r.kind = NlEvent::Kind::Resync;
      events.push_back(r);
    }
    if (!events.empty()) sink_(std::move(events));
  }
}

}  // namespace mcr

// route_lookup: see route_lookup.h.
#include "route_lookup.h"

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mcr {

int route_get(uint32_t dst, RouteAnswer* out) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return errno;
  const timeval tv{1, 0};  // the kernel answers at once; never hang the caller
  (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  struct {
    nlmsghdr nh;
    rtmsg rt;
    alignas(4) uint8_t attrs[RTA_SPACE(4)];
  } req{};
  req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(rtmsg)) + RTA_SPACE(4);
  req.nh.nlmsg_type = RTM_GETROUTE;
  req.nh.nlmsg_flags = NLM_F_REQUEST;
  req.nh.nlmsg_seq = 1;
  req.rt.rtm_family = AF_INET;
  req.rt.rtm_dst_len = 32;
  req.rt.rtm_flags = RTM_F_FIB_MATCH;  // the matched FIB entry, with its metric (Linux 4.13+)
  auto* rta = reinterpret_cast<rtattr*>(req.attrs);
  rta->rta_type = RTA_DST;
  rta->rta_len = RTA_LENGTH(4);
  const uint32_t be = htonl(dst);
  std::memcpy(RTA_DATA(rta), &be, 4);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd, &req, req.nh.nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0) {
    int err = errno;
    close(fd);
    return err;
  }
  alignas(nlmsghdr) uint8_t buf[4096];
  ssize_t n;
  do n = recv(fd, buf, sizeof buf, 0);
  while (n < 0 && errno == EINTR);
  int err = n < 0 ? errno : 0;
  close(fd);
  if (n < 0) return err;
  auto len = static_cast<unsigned>(n);
  for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
    if (h->nlmsg_type == NLMSG_ERROR) {
      if (h->nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr))) return EPROTO;
      const int code = -static_cast<const nlmsgerr*>(NLMSG_DATA(h))->error;
      return code > 0 ? code : EPROTO;
    }
    if (h->nlmsg_type != RTM_NEWROUTE || h->nlmsg_len < NLMSG_LENGTH(sizeof(rtmsg))) continue;
    const auto* rt = static_cast<const rtmsg*>(NLMSG_DATA(h));
    *out = RouteAnswer{};
    out->type = rt->rtm_type;
    out->protocol = rt->rtm_protocol;
    unsigned alen = h->nlmsg_len - NLMSG_LENGTH(sizeof(rtmsg));
    for (auto* a = RTM_RTA(rt); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
      if (RTA_PAYLOAD(a) < 4) continue;
      uint32_t v;
      std::memcpy(&v, RTA_DATA(a), 4);
      if (a->rta_type == RTA_OIF) out->ifindex = v;
      else if (a->rta_type == RTA_GATEWAY) out->gateway = ntohl(v);
      else if (a->rta_type == RTA_PRIORITY) out->metric = v;
    }
    return 0;
  }
  return EPROTO;
}

}  // namespace mcr

// netlink_watch: follows interfaces through rtnetlink instead of polling /sys. A NETLINK_ROUTE socket
// subscribed to RTMGRP_LINK and RTMGRP_IPV4_IFADDR is read on its own thread; each datagram becomes a
// batch of compact events handed to a sink (the addon forwards them to JS through a thread-safe
// function). A receive overrun (ENOBUFS: the kernel dropped notifications) becomes a Resync event, so
// the reader re-reads everything instead of trusting a partial picture. netlink_snapshot() is that
// re-read: a synchronous RTM_GETLINK + RTM_GETADDR dump.
//
// Messages come from the kernel, but the parser treats them as untrusted bytes: every header and
// attribute is bounds-checked (NLMSG_OK/RTA_OK plus payload sizes) before it is read, and datagrams
// not sent by the kernel (nl_pid != 0) are ignored. No N-API here (netlink_wrap.cc wraps it).
// Tested by native/test/test_netlink.cc (parser on crafted bytes, watcher and dump in a private netns).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace mcr {

struct NlEvent {
  enum class Kind : uint8_t { Link, Addr, Resync, Error };
  Kind kind = Kind::Link;
  bool removed = false;   // RTM_DELLINK / RTM_DELADDR
  uint32_t ifindex = 0;
  std::string name;       // IFLA_IFNAME, or IFA_LABEL for addresses (may be empty)
  uint32_t flags = 0;     // ifi_flags (IFF_UP, IFF_RUNNING, ...) of a link event
  uint32_t mtu = 0;       // 0 when absent
  uint8_t mac[32] = {};   // IFLA_ADDRESS
  uint8_t mac_len = 0;
  uint32_t addr = 0;      // IPv4, host byte order (IFA_LOCAL, else IFA_ADDRESS)
  uint8_t prefix = 0;
  int err = 0;            // Error: errno of the failed receive
};

enum class NlParse { More, Done, Error };

/**
 * parse_netlink - decode one netlink datagram into events (RTM_{NEW,DEL}{LINK,ADDR}; other types and
 * non-IPv4 addresses are skipped). Return: Done after NLMSG_DONE, Error after an NLMSG_ERROR with a
 * non-zero code (*err = its errno) or a malformed message, else More. Events decoded before a malformed
 * message are kept in @out. @dump_intr (optional) is set when a message carries NLM_F_DUMP_INTR.
 */
NlParse parse_netlink(const void* buf, size_t len, std::vector<NlEvent>* out, int* err, bool* dump_intr = nullptr);

struct IfSnapshot {
  uint32_t ifindex = 0;
  std::string name;
  uint32_t flags = 0;
  uint32_t mtu = 0;
  uint8_t mac[32] = {};
  uint8_t mac_len = 0;
  std::vector<std::pair<uint32_t, uint8_t>> addrs;  // IPv4 (host order), prefix length; kernel order
};

/* All interfaces of this network namespace with their IPv4 addresses. Throws SetupError. */
std::vector<IfSnapshot> netlink_snapshot();

class NetlinkWatch {
 public:
  using Sink = std::function<void(std::vector<NlEvent>&&)>;

  /* Opens and subscribes the socket (throws SetupError); events flow once start() is called. */
  explicit NetlinkWatch(Sink sink);
  ~NetlinkWatch();
  NetlinkWatch(const NetlinkWatch&) = delete;
  NetlinkWatch& operator=(const NetlinkWatch&) = delete;

  void start();  // spawns the reader thread; no-op if running
  void stop();   // wakes and joins it; idempotent. The sink is never called after stop() returns.

 private:
  void run();

  Sink sink_;
  int fd_ = -1;
  int stop_fd_ = -1;
  std::thread thread_;
  bool running_ = false;
};

}  // namespace mcr

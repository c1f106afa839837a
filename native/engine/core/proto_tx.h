// proto_tx: the protocol plane's send side: one raw IP socket per protocol (socket(AF_INET, SOCK_RAW,
// proto), the kernel builds the IP header), never bound, with a drop-all receive filter (a raw socket
// would otherwise queue a copy of every IGMP/PIM packet the host receives) and IP_MULTICAST_LOOP off.
// Each send names its interface: IP_PKTINFO carries the ifindex and the interface's primary address as
// the source (so 224.0.0.x leaves the right interface, from the right address); IP_TTL carries the TTL
// (default 1) and IP_RETOPTS the Router Alert option when asked. One socket per protocol serves every
// combination because all of it is per send. Errors are returned as errno, never thrown.
// forward() sends a whole IPv4 datagram as a router forwards it (PIM RP: a Register's inner packet down
// the shared tree) on a send-only AF_PACKET SOCK_DGRAM socket, so its foreign source address stays.
// Exercised by native/test/test_proto.cc and relay/protocols/io/io.e2e.test.ts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace mcr {

class ProtoTx {
 public:
  /* Throws SetupError (EPERM without CAP_NET_RAW). */
  explicit ProtoTx(const std::vector<uint8_t>& ip_protos);
  ~ProtoTx();
  ProtoTx(const ProtoTx&) = delete;
  ProtoTx& operator=(const ProtoTx&) = delete;

  /**
   * send - @payload as the IP payload of @proto out of @ifname to @dst (host byte order).
   * Return: 0, or the errno: ENODEV (no such interface), EADDRNOTAVAIL (it has no IPv4 address),
   * EPROTONOSUPPORT (@proto was not opened), EINVAL (ttl), or what sendmsg said (ENETDOWN, ...).
   */
  int send(const std::string& ifname, uint32_t dst, uint8_t proto, const uint8_t* payload, size_t len, int ttl, bool router_alert);

  /**
   * forward - send the IPv4 datagram @ip (@len bytes, its header first) out of @ifname as a router
   * forwards it: TTL decremented and the header checksum updated, to the group's Ethernet address.
   * Return: 0, or EINVAL (not a well-formed IPv4 multicast datagram, or longer than kMaxForward),
   * ETIMEDOUT (its TTL would reach 0: not sent), ENODEV, or what sendto said (EMSGSIZE, ENETDOWN, ...).
   */
  int forward(const std::string& ifname, const uint8_t* ip, size_t len);
  static constexpr size_t kMaxForward = 65535;

  void close_all();

 private:
  std::vector<std::pair<uint8_t, int>> fds_;  // (protocol, socket)
  int fwd_fd_ = -1;                           // AF_PACKET SOCK_DGRAM, protocol 0: sends only
};

}  // namespace mcr

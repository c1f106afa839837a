// ref_relay: the plainest relay of one multicast stream that the same kernel interfaces allow, to
// measure mcrd against side by side (docs/performance.md, "mcrd against a minimal relay"). It shares
// no code with the engine on purpose: one TPACKET_V2 ring on the input interface, poll() per wake-up,
// every ready frame parsed just enough (Ethernet/IPv4/UDP to the configured group and port), and all
// of them sent in one sendmmsg on an AF_PACKET socket bound to the output interface, each as a
// header this program built plus the payload straight from the ring (no GSO, no checksum offload:
// UDP checksum 0, which IPv4 allows). No counters beyond a total, no table, no threads.
//
//   g++ -std=c++20 -O2 -Wall -Wextra native/test/bench/ref_relay.cc -o /tmp/ref_relay
//   ip netns exec R taskset -c 1 /tmp/ref_relay --in r0 --group 239.1.1.1:5001 --out r1 --to 239.9.9.9:5099
//   ... --join            also join the group in the kernel's IP layer (IGMP), as mcrd does by default
//   ... --busy-poll-us N  after a frame, keep checking the ring for N µs before sleeping in poll()
//
// Stops on SIGINT/SIGTERM and prints "relayed N" on stderr.
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

namespace {

constexpr uint32_t kSlot = 2048, kSlotsPerBlock = 32, kBlocks = 256, kBatch = 256;
volatile sig_atomic_t g_stop = 0;

struct Cfg {
  std::string in, out;
  uint32_t group = 0, to = 0;  // network order
  uint16_t port = 0, to_port = 0;  // host order
  bool join = false;
  uint64_t busy_poll_ns = 0;
};

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "ref_relay: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

bool group_port(const char* s, uint32_t* g, uint16_t* p) {
  std::string t(s);
  size_t c = t.find(':');
  if (c == std::string::npos || inet_pton(AF_INET, t.substr(0, c).c_str(), g) != 1) return false;
  *p = static_cast<uint16_t>(std::atoi(t.c_str() + c + 1));
  return *p != 0;
}

uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000u + uint64_t(ts.tv_nsec);
}

uint16_t ip_checksum(const uint8_t* p) {
  uint32_t s = 0;
  for (int i = 0; i < 20; i += 2) s += uint32_t(p[i] << 8 | p[i + 1]);
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return htons(static_cast<uint16_t>(~s));
}

/* The 42-byte Ethernet/IPv4/UDP header every relayed datagram gets (lengths, id, checksum per datagram). */
void header_template(const Cfg& c, int fd, uint8_t* h) {
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, c.out.c_str(), IFNAMSIZ - 1);
  if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) die("SIOCGIFHWADDR");
  const uint8_t* g = reinterpret_cast<const uint8_t*>(&c.to);
  const uint8_t dmac[6] = {0x01, 0x00, 0x5e, uint8_t(g[1] & 0x7f), g[2], g[3]};
  std::memcpy(h, dmac, 6);
  std::memcpy(h + 6, ifr.ifr_hwaddr.sa_data, 6);
  h[12] = 0x08, h[13] = 0x00;
  if (ioctl(fd, SIOCGIFADDR, &ifr) < 0) die("SIOCGIFADDR (the output needs an IPv4 address)");
  uint8_t* ip = h + 14;
  std::memset(ip, 0, 28);
  ip[0] = 0x45, ip[6] = 0x40, ip[8] = 16, ip[9] = 17;
  std::memcpy(ip + 12, &reinterpret_cast<sockaddr_in*>(&ifr.ifr_addr)->sin_addr, 4);
  std::memcpy(ip + 16, &c.to, 4);
  const uint16_t port = htons(c.to_port);
  std::memcpy(ip + 20, &port, 2);
  std::memcpy(ip + 22, &port, 2);
}

int open_input(const Cfg& c, uint8_t** ring) {
  int fd = socket(AF_PACKET, SOCK_RAW, 0);
  if (fd < 0) die("socket(AF_PACKET)");
  int v = TPACKET_V2;
  if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v) < 0) die("PACKET_VERSION");
  tpacket_req req{kSlot * kSlotsPerBlock, kBlocks, kSlot, kSlotsPerBlock * kBlocks};
  if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) < 0) die("PACKET_RX_RING");
  void* m = mmap(nullptr, size_t(kSlot) * kSlotsPerBlock * kBlocks, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) die("mmap");
  *ring = static_cast<uint8_t*>(m);
  const unsigned ifindex = if_nametoindex(c.in.c_str());
  if (!ifindex) die("if_nametoindex(in)");
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_IP);
  sll.sll_ifindex = int(ifindex);
  if (bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) < 0) die("bind(in)");
  const uint8_t* g = reinterpret_cast<const uint8_t*>(&c.group);
  packet_mreq mr{};
  mr.mr_ifindex = int(ifindex);
  mr.mr_type = PACKET_MR_MULTICAST;
  mr.mr_alen = 6;
  const uint8_t mac[6] = {0x01, 0x00, 0x5e, uint8_t(g[1] & 0x7f), g[2], g[3]};
  std::memcpy(mr.mr_address, mac, 6);
  if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) < 0) die("PACKET_ADD_MEMBERSHIP");
  if (c.join) {
    int u = socket(AF_INET, SOCK_DGRAM, 0);  // kept open for the membership
    ip_mreqn mq{};
    mq.imr_multiaddr.s_addr = c.group;
    mq.imr_ifindex = int(ifindex);
    if (u < 0 || setsockopt(u, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mq, sizeof mq) < 0) die("IP_ADD_MEMBERSHIP");
  }
  return fd;
}

int open_output(const Cfg& c) {
  int fd = socket(AF_PACKET, SOCK_RAW, 0);
  if (fd < 0) die("socket(AF_PACKET)");
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_ifindex = int(if_nametoindex(c.out.c_str()));
  if (!sll.sll_ifindex || bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) < 0) die("bind(out)");
  return fd;
}

Cfg parse(int argc, char** argv) {
  Cfg c;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) { std::fprintf(stderr, "ref_relay: %s needs a value\n", a.c_str()); std::exit(64); }
      return argv[++i];
    };
    if (a == "--in") c.in = next();
    else if (a == "--out") c.out = next();
    else if (a == "--group") { if (!group_port(next(), &c.group, &c.port)) { std::fprintf(stderr, "ref_relay: --group GROUP:PORT\n"); std::exit(64); } }
    else if (a == "--to") { if (!group_port(next(), &c.to, &c.to_port)) { std::fprintf(stderr, "ref_relay: --to GROUP:PORT\n"); std::exit(64); } }
    else if (a == "--join") c.join = true;
    else if (a == "--busy-poll-us") c.busy_poll_ns = uint64_t(std::atoll(next())) * 1000;
    else { std::fprintf(stderr, "usage: ref_relay --in IF --group G:P --out IF --to G:P [--join] [--busy-poll-us N]\n"); std::exit(64); }
  }
  if (c.in.empty() || c.out.empty() || !c.port || !c.to_port) { std::fprintf(stderr, "ref_relay: --in, --group, --out and --to are required\n"); std::exit(64); }
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  const Cfg c = parse(argc, argv);
  std::signal(SIGINT, [](int) { g_stop = 1; });
  std::signal(SIGTERM, [](int) { g_stop = 1; });
  uint8_t* ring = nullptr;
  const int in = open_input(c, &ring), out = open_output(c);
  static uint8_t tmpl[42], hdrs[kBatch][42];
  header_template(c, out, tmpl);
  static iovec iov[kBatch][2];
  static mmsghdr msgs[kBatch];
  const uint32_t nslots = kSlotsPerBlock * kBlocks;
  uint32_t head = 0;
  uint16_t ip_id = 0;
  uint64_t relayed = 0, last = 0;
  pollfd pfd{in, POLLIN, 0};
  while (!g_stop) {
    uint32_t n = 0, queued = 0;
    for (; n < kBatch; ++n) {
      auto* h = reinterpret_cast<tpacket2_hdr*>(ring + size_t((head + n) % nslots) * kSlot);
      if (!(__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)) break;
      const uint8_t* f = reinterpret_cast<uint8_t*>(h) + h->tp_mac;
      const uint8_t* ip = f + 14;
      if (h->tp_snaplen < 42 || f[12] != 0x08 || f[13] != 0 || (ip[0] & 0x0f) != 5 || ip[9] != 17 ||
          std::memcmp(ip + 16, &c.group, 4) != 0 || (ip[6] & 0x3f) || ip[7])
        continue;
      const uint8_t* udp = ip + 20;
      const uint16_t dport = uint16_t(udp[2] << 8 | udp[3]), ulen = uint16_t(udp[4] << 8 | udp[5]);
      if (dport != c.port || ulen < 8 || 34u + ulen > h->tp_snaplen) continue;
      uint8_t* hd = hdrs[queued];
      std::memcpy(hd, tmpl, 42);
      const uint16_t tot = htons(uint16_t(20 + ulen)), id = htons(ip_id++), ul = htons(ulen);
      std::memcpy(hd + 16, &tot, 2);
      std::memcpy(hd + 18, &id, 2);
      const uint16_t sum = ip_checksum(hd + 14);
      std::memcpy(hd + 24, &sum, 2);
      std::memcpy(hd + 38, &ul, 2);
      iov[queued][0] = {hd, 42};
      iov[queued][1] = {const_cast<uint8_t*>(udp + 8), size_t(ulen - 8)};
      msgs[queued].msg_hdr = msghdr{nullptr, 0, iov[queued], 2, nullptr, 0, 0};
      ++queued;
    }
    for (uint32_t sent = 0; sent < queued;) {
      int r = sendmmsg(out, msgs + sent, queued - sent, MSG_DONTWAIT);
      if (r < 0 && errno == EINTR) continue;
      sent += r > 0 ? uint32_t(r) : 1;  // a refused datagram is dropped, as a full queue would
      if (r > 0) relayed += uint64_t(r);
    }
    for (uint32_t k = 0; k < n; ++k)
      __atomic_store_n(&reinterpret_cast<tpacket2_hdr*>(ring + size_t((head + k) % nslots) * kSlot)->tp_status,
                       TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    head = (head + n) % nslots;
    if (n) { if (c.busy_poll_ns) last = now_ns(); continue; }
    if (c.busy_poll_ns && now_ns() - last < c.busy_poll_ns) continue;
    if (poll(&pfd, 1, 100) < 0 && errno != EINTR) die("poll");
  }
  std::fprintf(stderr, "relayed %llu\n", static_cast<unsigned long long>(relayed));
  return 0;
}

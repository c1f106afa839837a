// netlink_watch cases: the parser on crafted datagrams (well-formed, truncated, lying lengths, foreign
// families), then the real thing in a private network namespace: the snapshot dump and the watcher
// thread seeing a veth interface come, get an address, go down, lose the address, and go away.
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

#include "check.h"
#include "netlink_watch.h"
#include "netns.h"
#include "setup_error.h"

using namespace mcr;

namespace {

/* A growing netlink datagram: messages with attributes, lengths filled in as they are written. */
struct Dgram {
  std::vector<uint8_t> b;
  size_t msg = 0;

  void begin(uint16_t type, const void* body, size_t body_len) {
    while (b.size() % 4) b.push_back(0);
    msg = b.size();
    nlmsghdr nh{};
    nh.nlmsg_type = type;
    append(&nh, sizeof nh);
    append(body, body_len);
    while (b.size() % 4) b.push_back(0);
    fix();
  }
  void attr(uint16_t type, const void* v, size_t n) {
    rtattr a{};
    a.rta_type = type;
    a.rta_len = static_cast<unsigned short>(RTA_LENGTH(n));
    append(&a, sizeof a);
    append(v, n);
    while (b.size() % 4) b.push_back(0);
    fix();
  }
  void append(const void* p, size_t n) {
    const auto* c = static_cast<const uint8_t*>(p);
    b.insert(b.end(), c, c + n);
  }
  void fix() {
    uint32_t len = static_cast<uint32_t>(b.size() - msg);
    std::memcpy(&b[msg], &len, 4);
  }
};

Dgram link_msg(uint16_t type, int ifindex, const char* name, uint32_t flags, uint32_t mtu) {
  Dgram d;
  ifinfomsg ifi{};
  ifi.ifi_index = ifindex;
  ifi.ifi_flags = flags;
  d.begin(type, &ifi, sizeof ifi);
  d.attr(IFLA_IFNAME, name, std::strlen(name) + 1);
  d.attr(IFLA_MTU, &mtu, 4);
  const uint8_t mac[6] = {2, 0, 0, 0, 0, 7};
  d.attr(IFLA_ADDRESS, mac, 6);
  return d;
}

void addr_msg(Dgram& d, uint16_t type, uint8_t family, uint32_t index, uint32_t ip, uint8_t prefix) {
  ifaddrmsg ifa{};
  ifa.ifa_family = family;
  ifa.ifa_index = index;
  ifa.ifa_prefixlen = prefix;
  d.begin(type, &ifa, sizeof ifa);
  uint32_t be = htonl(ip);
  d.attr(IFA_ADDRESS, &be, 4);
  d.attr(IFA_LOCAL, &be, 4);
  d.attr(IFA_LABEL, "x0", 3);
}

NlParse parse(const std::vector<uint8_t>& b, std::vector<NlEvent>* ev, int* err) {
  *err = 0;
  // Parse from an odd offset too: the parser must not depend on the buffer's alignment.
  std::vector<uint8_t> odd(b.size() + 1);
  if (!b.empty()) std::memcpy(odd.data() + 1, b.data(), b.size());
  std::vector<NlEvent> ev2;
  int err2 = 0;
  NlParse r2 = parse_netlink(odd.data() + 1, b.size(), &ev2, &err2);
  NlParse r = parse_netlink(b.data(), b.size(), ev, err);
  if (r != r2 || ev->size() != ev2.size() || *err != err2) return NlParse::Error;
  return r;
}

}  // namespace

TEST_CASE(netlink_parse_link_and_addr) {
  Dgram d = link_msg(RTM_NEWLINK, 7, "r1", IFF_UP | IFF_RUNNING, 1400);
  addr_msg(d, RTM_NEWADDR, AF_INET, 7, 0x0a020001, 24);
  addr_msg(d, RTM_DELADDR, AF_INET6, 7, 0x0a020001, 64);  // not IPv4: skipped
  addr_msg(d, RTM_DELADDR, AF_INET, 7, 0x0a020009, 24);
  std::vector<NlEvent> ev;
  int err = 0;
  CHECK(parse(d.b, &ev, &err) == NlParse::More);
  CHECK_EQ(ev.size(), 3u);
  CHECK(ev[0].kind == NlEvent::Kind::Link && !ev[0].removed);
  CHECK_EQ(ev[0].ifindex, 7u);
  CHECK(ev[0].name == "r1");
  CHECK_EQ(ev[0].flags, static_cast<uint32_t>(IFF_UP | IFF_RUNNING));
  CHECK_EQ(ev[0].mtu, 1400u);
  CHECK_EQ(ev[0].mac_len, 6);
  CHECK_EQ(ev[0].mac[5], 7);
  CHECK(ev[1].kind == NlEvent::Kind::Addr && !ev[1].removed);
  CHECK_EQ(ev[1].addr, 0x0a020001u);
  CHECK_EQ(ev[1].prefix, 24);
  CHECK(ev[1].name == "x0");
  CHECK(ev[2].kind == NlEvent::Kind::Addr && ev[2].removed);
  CHECK_EQ(ev[2].addr, 0x0a020009u);
}

TEST_CASE(netlink_parse_done_error_ack_overrun) {
  Dgram d = link_msg(RTM_DELLINK, 3, "gone", 0, 1500);
  d.begin(NLMSG_DONE, "\0\0\0\0", 4);
  std::vector<NlEvent> ev;
  int err = 0;
  CHECK(parse(d.b, &ev, &err) == NlParse::Done);
  CHECK(ev.size() == 1 && ev[0].removed);

  nlmsgerr ack{};
  Dgram a;
  a.begin(NLMSG_ERROR, &ack, sizeof ack);
  ev.clear();
  CHECK(parse(a.b, &ev, &err) == NlParse::More);  // error 0 is an acknowledgement

  nlmsgerr e{};
  e.error = -EPERM;
  Dgram f;
  f.begin(NLMSG_ERROR, &e, sizeof e);
  CHECK(parse(f.b, &ev, &err) == NlParse::Error);
  CHECK_EQ(err, EPERM);

  Dgram o;
  o.begin(NLMSG_OVERRUN, nullptr, 0);
  ev.clear();
  CHECK(parse(o.b, &ev, &err) == NlParse::More);
  CHECK(ev.size() == 1 && ev[0].kind == NlEvent::Kind::Resync);
}

TEST_CASE(netlink_parse_refuses_lying_lengths) {
  const Dgram good = link_msg(RTM_NEWLINK, 7, "r1", IFF_UP, 1500);
  std::vector<NlEvent> ev;
  int err = 0;

  // Every truncation of a valid message is refused or yields nothing half-read.
  for (size_t n = 1; n < good.b.size(); ++n) {
    std::vector<uint8_t> cut(good.b.begin(), good.b.begin() + static_cast<long>(n));
    ev.clear();
    err = 0;
    CHECK(parse(cut, &ev, &err) == NlParse::Error);
    CHECK_EQ(err, EBADMSG);
    CHECK(ev.empty());
  }

  // Message length past the datagram, and below the header size.
  for (uint32_t bad : {static_cast<uint32_t>(good.b.size() + 4), 8u, 0u, 0xffffffffu}) {
    Dgram d = good;
    std::memcpy(d.b.data(), &bad, 4);
    ev.clear();
    CHECK(parse(d.b, &ev, &err) == NlParse::Error);
    CHECK(ev.empty());
  }

  // An attribute claiming more than its message holds; one shorter than its own header.
  const size_t first_attr = NLMSG_LENGTH(sizeof(ifinfomsg));
  for (uint16_t bad : {static_cast<uint16_t>(500), static_cast<uint16_t>(2)}) {
    Dgram d = good;
    std::memcpy(&d.b[first_attr], &bad, 2);
    ev.clear();
    CHECK(parse(d.b, &ev, &err) == NlParse::Error);
  }

  // A name without its NUL, an MTU of two bytes, an over-long hardware address.
  {
    Dgram d;
    ifinfomsg ifi{};
    ifi.ifi_index = 4;
    d.begin(RTM_NEWLINK, &ifi, sizeof ifi);
    d.attr(IFLA_IFNAME, "abcd", 4);
    ev.clear();
    CHECK(parse(d.b, &ev, &err) == NlParse::Error);
    Dgram m;
    m.begin(RTM_NEWLINK, &ifi, sizeof ifi);
    m.attr(IFLA_MTU, "\1\2", 2);
    CHECK(parse(m.b, &ev, &err) == NlParse::Error);
    Dgram h;
    h.begin(RTM_NEWLINK, &ifi, sizeof ifi);
    uint8_t big[40] = {};
    h.attr(IFLA_ADDRESS, big, sizeof big);
    CHECK(parse(h.b, &ev, &err) == NlParse::Error);
    CHECK(ev.empty());
  }
  // A body shorter than ifinfomsg / ifaddrmsg.
  {
    Dgram d;
    d.begin(RTM_NEWLINK, "\0\0\0\0", 4);
    CHECK(parse(d.b, &ev, &err) == NlParse::Error);
    Dgram a;
    a.begin(RTM_NEWADDR, "\2\0\0\0", 4);
    CHECK(parse(a.b, &ev, &err) == NlParse::Error);
  }
  // Unknown message types and attributes pass; an empty datagram is fine.
  {
    Dgram d;
    d.begin(RTM_NEWROUTE, "\0\0\0\0\0\0\0\0\0\0\0\0", 12);
    ev.clear();
    CHECK(parse(d.b, &ev, &err) == NlParse::More);
    CHECK(ev.empty());
    CHECK(parse({}, &ev, &err) == NlParse::More);
  }
}

TEST_CASE(netlink_parse_random_bytes_never_overread) {
  // Mutations of a valid datagram: the parser must return (never crash, ASan-clean) on any of them.
  Dgram base = link_msg(RTM_NEWLINK, 7, "r1", IFF_UP, 1500);
  addr_msg(base, RTM_NEWADDR, AF_INET, 7, 0x0a000001, 8);
  uint32_t seed = 12345;
  size_t parsed = 0;
  for (int i = 0; i < 20000; ++i) {
    std::vector<uint8_t> b = base.b;
    for (int k = 0; k < 3; ++k) {
      seed = seed * 1103515245u + 12345u;
      b[(seed >> 8) % b.size()] = static_cast<uint8_t>(seed >> 24);
    }
    std::vector<NlEvent> ev;
    int err = 0;
    if (parse_netlink(b.data(), b.size(), &ev, &err) != NlParse::Error) ++parsed;
  }
  CHECK(parsed > 0);  // some mutations only touch values, not lengths
}

namespace {

const IfSnapshot* find(const std::vector<IfSnapshot>& all, const char* name) {
  for (const IfSnapshot& s : all)
    if (s.name == name) return &s;
  return nullptr;
}

struct Collected {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<NlEvent> events;

  /* Wait until pred holds for some event (5 s at most). */
  template <typename Pred>
  bool wait_for(Pred pred) {
    std::unique_lock<std::mutex> lk(mu);
    return cv.wait_for(lk, std::chrono::seconds(5), [&] {
      for (const NlEvent& e : events)
        if (pred(e)) return true;
      return false;
    });
  }
};

void snapshot_and_watch() {
  CHILD_CHECK(system("ip link add d0 type veth peer name d0p && ip link set d0 mtu 1400 && ip addr add 10.9.0.1/24 dev d0 && ip link set d0 up") == 0);
  auto all = netlink_snapshot();
  const IfSnapshot* d0 = find(all, "d0");
  const IfSnapshot* lo = find(all, "lo");
  CHILD_CHECK(d0 && lo);
  CHILD_CHECK(d0->ifindex == if_nametoindex("d0"));
  CHILD_CHECK(d0->mtu == 1400 && d0->mac_len == 6 && (d0->flags & IFF_UP));
  CHILD_CHECK(d0->addrs.size() == 1 && d0->addrs[0].first == 0x0a090001 && d0->addrs[0].second == 24);
  CHILD_CHECK(lo->addrs.size() == 1 && lo->addrs[0].first == 0x7f000001);

  Collected c;
  NetlinkWatch w([&](std::vector<NlEvent>&& ev) {
    std::lock_guard<std::mutex> lk(c.mu);
    c.events.insert(c.events.end(), ev.begin(), ev.end());
    c.cv.notify_all();
  });
  w.start();
  CHILD_CHECK(system("ip addr add 10.9.0.7/24 dev d0 && ip link set d0 down && ip addr del 10.9.0.1/24 dev d0 && "
                     "ip link add d1 type veth peer name d1p && ip link del d1") == 0);
  const uint32_t ix = d0->ifindex;
  CHILD_CHECK(c.wait_for([&](const NlEvent& e) { return e.kind == NlEvent::Kind::Addr && !e.removed && e.addr == 0x0a090007 && e.ifindex == ix; }));
  CHILD_CHECK(c.wait_for([&](const NlEvent& e) { return e.kind == NlEvent::Kind::Link && e.ifindex == ix && !(e.flags & IFF_UP) && e.name == "d0"; }));
  CHILD_CHECK(c.wait_for([&](const NlEvent& e) { return e.kind == NlEvent::Kind::Addr && e.removed && e.addr == 0x0a090001; }));
  CHILD_CHECK(c.wait_for([&](const NlEvent& e) { return e.kind == NlEvent::Kind::Link && !e.removed && e.name == "d1"; }));
  CHILD_CHECK(c.wait_for([&](const NlEvent& e) { return e.kind == NlEvent::Kind::Link && e.removed && e.name == "d1"; }));
  w.stop();
  const size_t n = c.events.size();
  CHILD_CHECK(system("ip link set d0 up") == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHILD_CHECK(c.events.size() == n);  // nothing delivered after stop()
  w.start();                          // and it can start again
  CHILD_CHECK(system("ip link set d0 down") == 0);
  CHILD_CHECK(c.wait_for([&](const NlEvent& e) { return e.kind == NlEvent::Kind::Link && e.ifindex == ix && !(e.flags & IFF_UP); }) &&
              c.events.size() > n);
}

}  // namespace

TEST_CASE(netlink_snapshot_and_watch_in_netns) {
  mcrtest::report_child(__FILE__, __LINE__, mcrtest::in_private_netns(snapshot_and_watch));
}

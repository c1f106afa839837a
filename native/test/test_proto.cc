// Protocol I/O cases: the IPv4 header checks (check_proto_ip) on crafted datagrams, the bounded ring
// (order, wrap-around, both bounds), then ProtoRx/ProtoTx for real in a private network namespace:
// TTL, Router Alert and source address of what ProtoTx sends, as ProtoRx sees it on the far end of a
// veth pair, and packets of an interface that is not enabled counted, not queued.
#include <net/if.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "check.h"
#include "frames.h"
#include "netns.h"
#include "proto_rx.h"
#include "proto_tx.h"
#include "setup_error.h"

using namespace mcr;

namespace {

/* An IGMP-ish IPv4 datagram: 20-byte header (+ @opts bytes of options), @payload bytes of 0x5a. */
std::vector<uint8_t> datagram(std::vector<uint8_t> opts = {}, size_t payload = 8) {
  while (opts.size() % 4) opts.push_back(0);
  const size_t ihl = 20 + opts.size();
  std::vector<uint8_t> p(ihl + payload, 0x5a);
  p[0] = static_cast<uint8_t>(0x40 | ihl / 4);
  p[1] = 0;
  mcrtest::put16(p, 2, static_cast<uint16_t>(p.size()));
  mcrtest::put16(p, 4, 1);
  mcrtest::put16(p, 6, 0x4000);  // DF
  p[8] = 1;
  p[9] = 2;
  mcrtest::put32(p, 12, 0x0a000002);
  mcrtest::put32(p, 16, 0xe0000016);
  for (size_t i = 0; i < opts.size(); ++i) p[20 + i] = opts[i];
  mcrtest::fix_ip_checksum(p, 0);
  return p;
}

ProtoDrop check(const std::vector<uint8_t>& p, ProtoMeta* m = nullptr, uint32_t* off = nullptr, uint32_t* len = nullptr) {
  ProtoMeta mm{};
  uint32_t o = 0, l = 0;
  return check_proto_ip(p.data(), p.size(), m ? m : &mm, off ? off : &o, len ? len : &l);
}

}  // namespace

TEST_CASE(proto_header_ok_with_and_without_router_alert) {
  ProtoMeta m{};
  uint32_t off = 0, len = 0;
  CHECK(check(datagram(), &m, &off, &len) == ProtoDrop::Ok);
  CHECK_EQ(m.src, 0x0a000002u);
  CHECK_EQ(m.dst, 0xe0000016u);
  CHECK_EQ(m.ttl, 1);
  CHECK_EQ(m.proto, 2);
  CHECK_EQ(m.router_alert, 0);
  CHECK_EQ(off, 20u);
  CHECK_EQ(len, 8u);
  CHECK(check(datagram({148, 4, 0, 0}), &m, &off, &len) == ProtoDrop::Ok);
  CHECK_EQ(m.router_alert, 1);
  CHECK_EQ(off, 24u);
  CHECK_EQ(len, 8u);
  // Tolerated around it: NOPs before, EOL after, an unknown option with a sane length.
  CHECK(check(datagram({1, 1, 7, 3, 0, 148, 4, 0, 0, 0}), &m) == ProtoDrop::Ok);
  CHECK_EQ(m.router_alert, 1);
  CHECK(check(datagram({1, 0, 148, 99}), &m) == ProtoDrop::Ok);  // after EOL nothing is read
  CHECK_EQ(m.router_alert, 0);
  // Ethernet padding after the datagram: the total length decides the payload.
  auto padded = datagram();
  padded.resize(padded.size() + 18, 0);
  CHECK(check(padded, &m, &off, &len) == ProtoDrop::Ok);
  CHECK_EQ(len, 8u);
}

TEST_CASE(proto_header_rejects_each_reason) {
  auto p = datagram();
  p[10] ^= 1;
  CHECK(check(p) == ProtoDrop::BadIpChecksum);
  p = datagram();
  p[0] = 0x65;
  CHECK(check(p) == ProtoDrop::BadIpVersion);
  p = datagram();
  p[0] = 0x44;
  mcrtest::fix_ip_checksum(p, 0);
  CHECK(check(p) == ProtoDrop::BadIhl);
  p = datagram();
  p.resize(19);
  CHECK(check(p) == ProtoDrop::Truncated);
  p = datagram({148, 4, 0, 0});
  p.resize(22);  // inside the options
  CHECK(check(p) == ProtoDrop::Truncated);
  p = datagram();
  mcrtest::put16(p, 2, 29);  // one byte more than captured
  mcrtest::fix_ip_checksum(p, 0);
  CHECK(check(p) == ProtoDrop::BadIpTotalLength);
  mcrtest::put16(p, 2, 19);  // less than the header
  mcrtest::fix_ip_checksum(p, 0);
  CHECK(check(p) == ProtoDrop::BadIpTotalLength);
  p = datagram();
  mcrtest::put16(p, 6, 0x2000);  // MF
  mcrtest::fix_ip_checksum(p, 0);
  CHECK(check(p) == ProtoDrop::Fragment);
  mcrtest::put16(p, 6, 0x0001);  // offset 8
  mcrtest::fix_ip_checksum(p, 0);
  CHECK(check(p) == ProtoDrop::Fragment);
  CHECK(check(datagram({148, 3, 0, 0})) == ProtoDrop::BadOptions);   // Router Alert must be 4 bytes
  CHECK(check(datagram({7, 9, 0, 0})) == ProtoDrop::BadOptions);     // runs past the header
  CHECK(check(datagram({7, 1, 0, 0})) == ProtoDrop::BadOptions);     // length below 2
  CHECK(check(datagram({1, 1, 1, 7})) == ProtoDrop::BadOptions);     // length byte missing
}

TEST_CASE(proto_header_never_reads_past_the_capture) {
  // Every prefix of a datagram with options: a verdict, never a read beyond the buffer (ASan build).
  auto full = datagram({1, 148, 4, 0, 0, 1, 1, 1}, 4);
  for (size_t n = 0; n <= full.size(); ++n) {
    std::vector<uint8_t> cut(full.begin(), full.begin() + static_cast<long>(n));
    ProtoDrop d = check(cut);
    CHECK(n == full.size() ? d == ProtoDrop::Ok : d != ProtoDrop::Ok);
  }
}

TEST_CASE(proto_ring_fifo_across_wraps) {
  ProtoRing ring(4096, 1000);
  uint32_t next_in = 0, next_out = 0;
  std::vector<uint8_t> buf(700);
  // Variable sizes so records straddle the end in every possible way; the consumer lags by a few.
  for (int round = 0; round < 5000; ++round) {
    const uint32_t len = (next_in * 37) % 600;
    for (uint32_t i = 0; i < len; ++i) buf[i] = static_cast<uint8_t>(next_in + i);
    ProtoMeta m{};
    m.ifindex = next_in;
    if (ring.push(m, buf.data(), len)) ++next_in;
    if (round % 3 != 0) {
      ProtoMeta got{};
      const uint8_t* d = nullptr;
      uint32_t l = 0;
      if (ring.front(&got, &d, &l)) {
        CHECK_EQ(got.ifindex, next_out);
        CHECK_EQ(l, (next_out * 37) % 600);
        for (uint32_t i = 0; i < l; ++i) CHECK_EQ(d[i], static_cast<uint8_t>(next_out + i));
        ring.pop();
        ++next_out;
      }
    }
  }
  CHECK(next_in > 1000);
  ProtoMeta got{};
  const uint8_t* d = nullptr;
  uint32_t l = 0;
  while (ring.front(&got, &d, &l)) {
    CHECK_EQ(got.ifindex, next_out++);
    ring.pop();
  }
  CHECK_EQ(next_out, next_in);
  CHECK(ring.empty());
}

TEST_CASE(proto_ring_bounded_by_packets_and_bytes) {
  ProtoRing by_count(1 << 16, 3);
  ProtoMeta m{};
  uint8_t b[100] = {};
  CHECK(by_count.push(m, b, 10));
  CHECK(by_count.push(m, b, 10));
  CHECK(by_count.push(m, b, 10));
  CHECK(!by_count.push(m, b, 10));
  const uint8_t* d;
  uint32_t l;
  CHECK(by_count.front(&m, &d, &l));
  by_count.pop();
  CHECK(by_count.push(m, b, 10));
  ProtoRing by_bytes(256, 100);
  int n = 0;
  while (by_bytes.push(m, b, 40)) ++n;
  CHECK(n >= 3 && n <= 4);  // 64-byte records in 256 bytes
  CHECK(!by_bytes.push(m, b, 100));
  ProtoRing tiny(64, 10);
  CHECK(!tiny.push(m, b, 100));  // bigger than the whole ring: refused, not corrupted
}

namespace {

/* Waits up to 3 s for the ring to hold a record; pops it into the outputs. */
bool next_packet(ProtoRx& rx, ProtoMeta* m, std::vector<uint8_t>* payload) {
  for (int i = 0; i < 300; ++i) {
    const uint8_t* d;
    uint32_t l;
    if (rx.ring().front(m, &d, &l)) {
      payload->assign(d, d + l);
      rx.ring().pop();
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

void proto_rx_tx_child() {
  ProtoRx rx({2, 103});
  std::atomic<int> notified{0};
  rx.start([&] { notified.fetch_add(1); });
  const uint32_t p1 = rx.enable("p1");
  CHILD_CHECK(p1 == if_nametoindex("p1"));
  CHILD_CHECK(rx.enable("p1") == p1);  // idempotent
  bool threw = false;
  try {
    rx.enable("nosuch0");
  } catch (const SetupError& e) {
    threw = e.code == "ENODEV";
  }
  CHILD_CHECK(threw);

  ProtoTx tx({2, 103});
  const uint8_t query[8] = {0x11, 0x64, 0xee, 0x9b, 0, 0, 0, 0};
  CHILD_CHECK(tx.send("p0", 0xe0000001, 2, query, sizeof query, 1, true) == 0);
  ProtoMeta m{};
  std::vector<uint8_t> got;
  CHILD_CHECK(next_packet(rx, &m, &got));
  CHILD_CHECK(m.ifindex == p1);
  CHILD_CHECK(m.src == 0x0a590001);  // p0's address, though 224.0.0.1 has no route of its own
  CHILD_CHECK(m.dst == 0xe0000001);
  CHILD_CHECK(m.ttl == 1);
  CHILD_CHECK(m.router_alert == 1);
  CHILD_CHECK(m.proto == 2);
  CHILD_CHECK(got == std::vector<uint8_t>(query, query + sizeof query));
  CHILD_CHECK(notified.load() >= 1);
  rx.rearm();

  const uint8_t hello[4] = {0x20, 0, 0, 0};
  CHILD_CHECK(tx.send("p0", 0xe000000d, 103, hello, sizeof hello, 1, false) == 0);
  CHILD_CHECK(next_packet(rx, &m, &got));
  CHILD_CHECK(m.proto == 103 && m.router_alert == 0 && m.dst == 0xe000000d);

  // Not enabled: q1 receives, the counter moves, nothing is queued.
  auto before = rx.counters();
  CHILD_CHECK(tx.send("q0", 0xe0000001, 2, query, sizeof query, 1, false) == 0);
  for (int i = 0; i < 300 && rx.counters().not_enabled == before.not_enabled; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHILD_CHECK(rx.counters().not_enabled == before.not_enabled + 1);
  CHILD_CHECK(rx.ring().empty());

  // Other protocols never pass the filter; send errors come back as errno.
  CHILD_CHECK(tx.send("p0", 0xe0000001, 17, query, sizeof query, 1, false) == EPROTONOSUPPORT);
  CHILD_CHECK(tx.send("nosuch0", 0xe0000001, 2, query, sizeof query, 1, false) == ENODEV);
  CHILD_CHECK(tx.send("noaddr0", 0xe0000001, 2, query, sizeof query, 1, false) == EADDRNOTAVAIL);
  CHILD_CHECK(tx.send("p0", 0xe0000001, 2, query, sizeof query, 0, false) == EINVAL);

  // disable: p1's packets are now counted as not enabled.
  rx.disable(p1);
  before = rx.counters();
  CHILD_CHECK(tx.send("p0", 0xe0000001, 2, query, sizeof query, 1, false) == 0);
  for (int i = 0; i < 300 && rx.counters().not_enabled == before.not_enabled; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHILD_CHECK(rx.counters().not_enabled == before.not_enabled + 1);
  CHILD_CHECK(rx.counters().received >= 4);
  rx.stop();
  rx.stop();  // idempotent
}

}  // namespace

TEST_CASE(proto_rx_tx_in_netns) {
  mcrtest::report_child(__FILE__, __LINE__,
                        mcrtest::in_private_netns(proto_rx_tx_child,
                                                  "ip link set lo up && "
                                                  "ip link add p0 type veth peer name p1 && ip addr add 10.89.0.1/24 dev p0 && "
                                                  "ip link add q0 type veth peer name q1 && ip addr add 10.89.1.1/24 dev q0 && "
                                                  "ip link add noaddr0 type veth peer name noaddr1 && ip link set noaddr0 up && "
                                                  "ip link set p0 up && ip link set p1 up && ip link set q0 up && ip link set q1 up"));
}

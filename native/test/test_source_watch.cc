// PIM data-path cases: the source watch (first report at once, refresh per kRefreshNs, again when a
// route first takes a flow, links and SSM never reported, the table bound and the rate limit counted), the Register encoding (the header
// checksum covers the 8-byte header only; a rebuilt inner datagram has valid IPv4 and UDP checksums;
// the received one is carried byte for byte) and the any-multicast BPF filter of a watched interface.
#include <cstring>

#include "bpf.h"
#include "check.h"
#include "counters.h"
#include "frames.h"
#include "parse.h"
#include "register_encap.h"
#include "source_watch.h"

using namespace mcr;

namespace {

constexpr uint64_t kSec = 1'000'000'000;

struct Watch {
  std::unique_ptr<uint64_t[]> c{new uint64_t[kSourceWatchCounters]()};
  SourceWatch w{c.get()};
  uint64_t count(SourceWatchCounter k) const { return c[k]; }
  uint32_t drain(std::vector<SourceReport>* out = nullptr) {
    SourceReport r[64];
    uint32_t n = 0, got;
    while ((got = w.drain(r, 64)) > 0) {
      if (out) out->insert(out->end(), r, r + got);
      n += got;
    }
    return n;
  }
};

/* One's-complement sum over big-endian words; 0xffff when a checksummed block verifies. */
uint16_t fold(const uint8_t* p, size_t n, uint32_t sum = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (n & 1) sum += static_cast<uint32_t>(p[n - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

}  // namespace

TEST_CASE(source_watch_reports_first_packet_then_every_refresh_period) {
  Watch t;
  bool woke = false;
  t.w.set_notify([&] { woke = true; });
  const uint64_t t0 = 1000 * kSec;
  for (int i = 0; i < 100; ++i) t.w.note(3, 0x0a000001, 0xef010101, false, t0 + i * 1000);
  CHECK(woke);
  std::vector<SourceReport> r;
  CHECK_EQ(t.drain(&r), 1u);
  CHECK(r[0].ifindex == 3 && r[0].source == 0x0a000001 && r[0].group == 0xef010101 && r[0].local == 0);
  t.w.note(3, 0x0a000001, 0xef010101, false, t0 + SourceWatch::kRefreshNs - 1);
  CHECK_EQ(t.drain(), 0u);
  t.w.note(3, 0x0a000001, 0xef010101, false, t0 + SourceWatch::kRefreshNs);
  CHECK_EQ(t.drain(), 1u);
  // The same (S,G) on another interface, and our own stream (local), are flows of their own.
  t.w.note(4, 0x0a000001, 0xef010101, false, t0 + SourceWatch::kRefreshNs);
  t.w.note(3, 0, 0xef010101, true, t0 + SourceWatch::kRefreshNs);
  r.clear();
  CHECK_EQ(t.drain(&r), 2u);
  CHECK_EQ(r[1].local, 1u);
  CHECK_EQ(t.count(kSourcesReported), 4u);
}

TEST_CASE(source_watch_reports_a_flow_again_when_a_route_first_takes_it) {
  Watch t;
  const uint64_t t0 = 1000 * kSec;
  std::vector<SourceReport> r;
  // Dropped (no route yet): reported once, as unrouted.
  for (int i = 0; i < 10; ++i) t.w.note(3, 0x0a000001, 0xef010101, false, t0 + i, false);
  CHECK_EQ(t.drain(&r), 1u);
  CHECK_EQ(r[0].routed, 0u);
  CHECK_EQ(r[0].at_ns, t0);
  // The route is in: the first datagram it takes is reported at once (with its time), the next ones are not.
  for (int i = 10; i < 20; ++i) t.w.note(3, 0x0a000001, 0xef010101, false, t0 + i, true);
  r.clear();
  CHECK_EQ(t.drain(&r), 1u);
  CHECK_EQ(r[0].routed, 1u);
  CHECK_EQ(r[0].at_ns, t0 + 10);
  // Routed, then dropped again (route withdrawn): nothing new until the refresh.
  t.w.note(3, 0x0a000001, 0xef010101, false, t0 + 30, false);
  CHECK_EQ(t.drain(), 0u);
  t.w.note(3, 0x0a000001, 0xef010101, false, t0 + 30 + SourceWatch::kRefreshNs, false);
  r.clear();
  CHECK_EQ(t.drain(&r), 1u);
  CHECK_EQ(r[0].routed, 0u);
}

TEST_CASE(source_watch_ignores_link_local_and_ssm_groups) {
  Watch t;
  t.w.note(1, 0x0a000001, 0xe00000fb, false, kSec);  // 224.0.0.251 (mDNS)
  t.w.note(1, 0x0a000001, 0xe8010101, false, kSec);  // 232.1.1.1 (SSM)
  t.w.note(1, 0x0a000001, 0x0a000002, false, kSec);  // unicast
  CHECK_EQ(t.drain(), 0u);
  t.w.note(1, 0x0a000001, 0xe0000100, false, kSec);  // 224.0.1.0 is PIM-SM range
  CHECK_EQ(t.drain(), 1u);
}

TEST_CASE(source_watch_flood_is_bounded_by_table_and_rate) {
  Watch t;
  // 100k distinct sources within one millisecond: the burst is reported, the rest rate limited; the
  // table holds at most its size, the others are counted as tableFull. Nothing grows.
  const uint64_t t0 = 5000 * kSec;
  for (uint32_t i = 0; i < 100'000; ++i) t.w.note(2, 0x0b000000 + i, 0xef000001, false, t0 + i * 10);
  const uint32_t reported = t.drain();
  CHECK(reported >= SourceWatch::kBurst && reported <= SourceWatch::kBurst + 2);  // + kReportsPerSec over 1 ms
  CHECK(t.count(kSourcesRateLimited) > 0);
  CHECK_EQ(t.count(kSourcesRateLimited) + t.count(kSourcesTableFull) + reported, 100'000u);
  CHECK(t.count(kSourcesTableFull) >= 100'000u - SourceWatch::kBuckets * SourceWatch::kWays);
  // After the flood a new source is reported again once tokens have come back, and an idle flow's
  // entry is given to a new one.
  const uint64_t later = t0 + SourceWatch::kIdleNs + kSec;
  t.w.note(2, 0x0c000001, 0xef000001, false, later);
  CHECK_EQ(t.drain(), 1u);
}

TEST_CASE(source_watch_queue_full_is_counted_and_retried) {
  Watch t;
  const uint64_t t0 = 9000 * kSec;
  // 200 flows, one datagram each per refresh period, 25 periods: 5000 reports, the consumer never drains.
  for (uint64_t round = 0; round < 25; ++round)
    for (uint32_t f = 0; f < 200; ++f) t.w.note(7, 0x0d000000 + f, 0xef000002, false, t0 + round * SourceWatch::kRefreshNs);
  CHECK_EQ(t.count(kSourcesQueueFull), 5000u - SourceWatch::kRingSize);
  CHECK_EQ(t.drain(), SourceWatch::kRingSize);
  // A flow that found the queue full is reported on its next datagram.
  t.w.note(7, 0x0d000000 + 199, 0xef000002, false, t0 + 24 * SourceWatch::kRefreshNs + 1);
  CHECK_EQ(t.drain(), 1u);
}

TEST_CASE(register_header_checksum_covers_the_pim_header_only) {
  uint8_t h[kRegisterHeader];
  register_header(h);
  CHECK_EQ(h[0], 0x21);
  CHECK_EQ(fold(h, kRegisterHeader), 0xffff);
  CHECK_EQ(h[2] << 8 | h[3], 0xdeff);  // ~0x2100: every other word is zero
}

TEST_CASE(register_relayed_inner_datagram_has_valid_checksums) {
  mcrtest::FrameSpec spec;
  spec.payload = 101;  // odd: the UDP checksum pads the last byte
  std::vector<uint8_t> f = mcrtest::build_frame(spec);
  ParsedFrame p{};
  CHECK(parse_frame(f.data(), f.size(), OobVlan{false, 0}, &p) == ParseStatus::Ok);
  RegisterSpec s;
  s.relayed = true;
  s.source = 0x0a050001;
  s.group = 0xef090909;
  s.port = 0;  // the datagram's own port
  s.ttl = 16;
  s.tos = 0xb8;
  uint8_t h[kRegisterRelayedHeader];
  register_relayed_header(h, s, p.dst_port, f.data() + p.payload_offset, p.payload_len, 77);
  const uint8_t* ip = h + kRegisterHeader;
  CHECK_EQ(fold(h, kRegisterHeader), 0xffff);
  CHECK_EQ(fold(ip, 20), 0xffff);
  CHECK_EQ(ip[2] << 8 | ip[3], 28 + 101);
  CHECK(ip[1] == 0xb8 && ip[8] == 16 && ip[9] == 17);
  CHECK_EQ(static_cast<uint32_t>(ip[12] << 24 | ip[13] << 16 | ip[14] << 8 | ip[15]), 0x0a050001u);
  const uint8_t* udp = ip + 20;
  CHECK_EQ(udp[2] << 8 | udp[3], 5000);
  // UDP checksum over pseudo-header + header + payload verifies.
  uint32_t sum = fold(ip + 12, 8, 17 + 8 + 101);
  sum = fold(udp, 8, sum);
  CHECK_EQ(fold(f.data() + p.payload_offset, p.payload_len, sum), 0xffff);
}

TEST_CASE(register_received_inner_is_the_ip_datagram_byte_for_byte) {
  mcrtest::FrameSpec spec;
  spec.tags = {{0x8100, 5}};
  spec.ip_options = 4;
  spec.padding = 6;  // Ethernet padding is not part of the datagram
  std::vector<uint8_t> f = mcrtest::build_frame(spec);
  ParsedFrame p{};
  CHECK(parse_frame(f.data(), f.size(), OobVlan{false, 0}, &p) == ParseStatus::Ok);
  uint32_t len = 0;
  const uint8_t* inner = register_inner(f.data(), p, &len);
  CHECK(inner == f.data() + 18);
  CHECK_EQ(len, 24u + 8 + 16);
}

TEST_CASE(bpf_any_multicast_marker_builds_the_multicast_filter) {
  std::set<GroupPort> exact{{0xef010101, 5000}};
  std::set<GroupPort> watched{{0xef010101, 5000}, kAnyMulticast};
  CHECK(!same_program(build_filter(exact), multicast_filter({})));
  CHECK(same_program(build_filter(watched), multicast_filter({})));
  std::set<GroupPort> with_unicast{{0x0a000005, 6000}, kAnyMulticast};
  CHECK(same_program(build_filter(with_unicast), multicast_filter({0x0a000005})));
}

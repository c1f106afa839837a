// Parser cases: every header variant and every ParseStatus (see native/engine/core/parse.h).
#include <cstring>

#include "check.h"
#include "frames.h"
#include "parse.h"

using mcr::OobVlan;
using mcr::parse_frame;
using mcr::ParsedFrame;
using mcr::ParseStatus;
using mcrtest::build_frame;
using mcrtest::FrameSpec;

namespace {

constexpr OobVlan kNoVlan{false, 0};

ParseStatus parse(const std::vector<uint8_t>& f, ParsedFrame* p, OobVlan v = kNoVlan) {
  return parse_frame(f.data(), f.size(), v, p);
}

/* The payload the parser points at is exactly what build_frame wrote. */
bool payload_intact(const std::vector<uint8_t>& f, const ParsedFrame& p, size_t n) {
  if (p.payload_len != n || p.payload_offset + n > f.size()) return false;
  for (size_t i = 0; i < n; ++i)
    if (f[p.payload_offset + i] != static_cast<uint8_t>(i * 7 + 3)) return false;
  return true;
}

}  // namespace

TEST_CASE(parse_plain_udp) {
  FrameSpec s;
  auto f = build_frame(s);
  ParsedFrame p;
  CHECK_EQ(static_cast<int>(parse(f, &p)), 0);
  CHECK_EQ(p.vlan_count, 0);
  CHECK_EQ(p.src_ip, 0x0a000001u);
  CHECK_EQ(p.dst_ip, 0xef010101u);
  CHECK_EQ(p.src_port, 40000);
  CHECK_EQ(p.dst_port, 5000);
  CHECK_EQ(p.ttl, 7);
  CHECK_EQ(p.ip_header_len, 20);
  CHECK_EQ(p.payload_offset, 14u + 20 + 8);
  CHECK(payload_intact(f, p, 16));
}

TEST_CASE(parse_zero_length_payload) {
  FrameSpec s;
  s.payload = 0;
  auto f = build_frame(s);
  ParsedFrame p;
  CHECK_EQ(static_cast<int>(parse(f, &p)), 0);
  CHECK_EQ(p.payload_len, 0u);
}

TEST_CASE(parse_8021q_tag) {
  FrameSpec s;
  s.tags = {{0x8100, 0x2064}};  // PCP 1, VID 100
  auto f = build_frame(s);
  ParsedFrame p;
  CHECK_EQ(static_cast<int>(parse(f, &p)), 0);
  CHECK_EQ(p.vlan_count, 1);
  CHECK_EQ(p.vlan_ids[0], 100);
  CHECK_EQ(p.ip_offset, 18u);
  CHECK(payload_intact(f, p, 16));
}

TEST_CASE(parse_qinq_tags) {
  FrameSpec s;
  s.tags = {{0x88a8, 300}, {0x8100, 42}};
  auto f = build_frame(s);
  ParsedFrame p;
  CHECK_EQ(static_cast<int>(parse(f, &p)), 0);
  CHECK_EQ(p.vlan_count, 2);
  CHECK_EQ(p.vlan_ids[0], 300);
  CHECK_EQ(p.vlan_ids[1], 42);
  CHECK_EQ(p.ip_offset, 22u);
  CHECK(payload_intact(f, p, 16));
}

TEST_CASE(parse_double_8021q_tags) {
  FrameSpec s;
  s.tags = {{0x8100, 10}, {0x8100, 20}};
  auto f = build_frame(s);
  ParsedFrame p;
  CHECK_EQ(static_cast<int>(parse(f, &p)), 0);
  CHECK_EQ(p.vlan_count, 2);
  CHECK_EQ(p.vlan_ids[1], 20);
}

TEST_CASE(parse_out_of_band_vlan) {
  FrameSpec s;
  auto f = build_frame(s);
  ParsedFrame p;
  CHECK_EQ(static_cast<int>(parse(f, &p, OobVlan{true, 0xe07b})), 0);  // PCP 7, VID 123
  CHECK_EQ(p.vlan_count, 1);
  CHECK_EQ(p.vlan_ids[0], 123);
  CHECK(payload_intact(f, p, 16));
}

TEST_CASE(parse_out_of_band_vlan_outside_in_frame_tag) {
  FrameSpec s;
  s.tags = {{0x8100, 7}};
  auto f = build_frame(s);
  ParsedFrame p;
  CHECK_EQ(static_cast<int>(parse(f, &p, OobVlan{true, 5})), 0);
  CHECK_EQ(p.vlan_count, 2);
  CHECK_EQ(p.vlan_ids[0], 5);
  CHECK_EQ(p.vlan_ids[1], 7);
}

TEST_CASE(parse_ipv4_options) {
  for (size_t opt = 4; opt <= 40; opt += 4) {
    FrameSpec s;
    s.ip_options = opt;
    auto f = build_frame(s);
    ParsedFrame p;
    CHECK_EQ(static_cast<int>(parse(f, &p)), 0);
    CHECK_EQ(p.ip_header_len, 20 + opt);
    CHECK_EQ(p.dst_port, 5000);
    CHECK(payload_intact(f, p, 16));
  }
}

TEST_CASE(parse_jumbo_9000_mtu) {
  FrameSpec s;
  s.payload = 9000 - 20 - 8;
  s.tags = {{0x8100, 1}};
  auto f = build_frame(s);
  ParsedFrame p;
  CHECK_EQ(static_cast<int>(parse(f, &p)), 0);
  CHECK(payload_intact(f, p, 8972));
}

TEST_CASE(parse_ethernet_padding_ignored) {
  FrameSpec s;
  s.payload = 2;
  s.padding = 16;  // minimum-size Ethernet frame padded by the sender
  auto f = build_frame(s);
  ParsedFrame p;
  CHECK_EQ(static_cast<int>(parse(f, &p)), 0);
  CHECK(payload_intact(f, p, 2));
}

TEST_CASE(parse_udp_shorter_than_ip_payload_uses_udp_length) {
  FrameSpec s;
  auto f = build_frame(s);
  const size_t u = 14 + 20;
  mcrtest::put16(f, u + 4, 8 + 10);  // UDP says 10 payload bytes, IP carries 16
  ParsedFrame p;
  CHECK_EQ(static_cast<int>(parse(f, &p)), 0);
  CHECK_EQ(p.payload_len, 10u);
}

TEST_CASE(parse_unaligned_buffer) {
  FrameSpec s;
  auto f = build_frame(s);
  std::vector<uint8_t> buf(f.size() + 1);
  std::memcpy(buf.data() + 1, f.data(), f.size());
  ParsedFrame p;
  CHECK_EQ(static_cast<int>(parse_frame(buf.data() + 1, f.size(), kNoVlan, &p)), 0);
  CHECK_EQ(p.dst_ip, 0xef010101u);
}

/* ---- malformed frames, one case per reason ---- */

TEST_CASE(parse_malformed_truncated_ethernet) {
  auto f = build_frame(FrameSpec{});
  ParsedFrame p;
  for (size_t n : {0, 1, 13}) {
    f.resize(n);
    CHECK_EQ(static_cast<int>(parse(f, &p)), static_cast<int>(ParseStatus::TruncatedEthernet));
  }
}

TEST_CASE(parse_malformed_truncated_vlan) {
  FrameSpec s;
  s.tags = {{0x8100, 1}};
  auto f = build_frame(s);
  f.resize(16);  // TPID present, tag cut
  ParsedFrame p;
  CHECK_EQ(static_cast<int>(parse(f, &p)), static_cast<int>(ParseStatus::TruncatedVlan));
  s.tags = {{0x88a8, 1}, {0x8100, 2}};
  f = build_frame(s);
  f.resize(20);  // inner tag cut
  CHECK_EQ(static_cast<int>(parse(f, &p)), static_cast<int>(ParseStatus::TruncatedVlan));
}

TEST_CASE(parse_malformed_not_ipv4) {
  auto f = build_frame(FrameSpec{});
  mcrtest::put16(f, 12, 0x86dd);  // IPv6
  ParsedFrame p;
  CHECK_EQ(static_cast<int>(parse(f, &p)), static_cast<int>(ParseStatus::NotIpv4));
  mcrtest::put16(f, 12, 0x0806);  // ARP
  CHECK_EQ(static_cast<int>(parse(f, &p)), static_cast<int>(ParseStatus::NotIpv4));
  FrameSpec s;
  s.tags = {{0x88a8, 1}, {0x8100, 2}, {0x8100, 3}};  // three in-frame tags: beyond what we accept
  f = build_frame(s);
  CHECK_EQ(static_cast<int>(parse(f, &p)), static_cast<int>(ParseStatus::NotIpv4));
}

TEST_CASE(parse_malformed_bad_ip_version) {
  auto f = build_frame(FrameSpec{});
  f[14] = 0x65;
  ParsedFrame p;
  CHECK_EQ(static_cast<int>(parse(f, &p)), static_cast<int>(ParseStatus::BadIpVersion));
}

TEST_CASE(parse_malformed_bad_ihl) {
  auto f = build_frame(FrameSpec{});
  ParsedFrame p;
  for (uint8_t ihl = 0; ihl < 5; ++ihl) {
    f[14] = static_cast<uint8_t>(0x40 | ihl);
    CHECK_EQ(static_cast<int>(parse(f, &p)), static_cast<int>(ParseStatus::BadIhl));
  }
}

TEST_CASE(parse_malformed_bad_ip_total_length) {
  auto f = build_frame(FrameSpec{});
  ParsedFrame p;
  mcrtest::put16(f, 16, static_cast<uint16_t>(f.size() - 14 + 1));  // one byte beyond the frame
  mcrtest::fix_ip_checksum(f, 14);
  CHECK_EQ(static_cast<int>(parse(f, &p)), static_cast<int>(ParseStatus::BadIpTotalLength));
  mcrtest::put16(f, 16, 19);  // shorter than the header
  mcrtest::fix_ip_checksum(f, 14);
  CHECK_EQ(static_cast<int>(parse(f, &p)), static_cast<int>(ParseStatus::BadIpTotalLength));
}

TEST_CASE(parse_malformed_truncated_ip) {
  FrameSpec s;
  s.ip_options = 8;
  auto f = build_frame(s);
  ParsedFrame p;
  for (size_t n : {14, 15, 33, 14 + 27}) {  // no header, partial fixed header, inside the options
    auto g = f;
    g.resize(n);
    CHECK_EQ(static_cast<int>(parse(g, &p)), static_cast<int>(ParseStatus::TruncatedIp));
  }
}

TEST_CASE(parse_malformed_fragment) {
  ParsedFrame p;
  for (uint16_t frag : {0x2000 /* MF */, 0x0001 /* offset 8 */, 0x2010}) {
    FrameSpec s;
    s.frag = frag;
    auto f = build_frame(s);
    CHECK_EQ(static_cast<int>(parse(f, &p)), static_cast<int>(ParseStatus::Fragment));
  }
  FrameSpec s;
  s.frag = 0x4000;  // DF alone is a whole datagram
  auto f = build_frame(s);
  CHECK_EQ(static_cast<int>(parse(f, &p)), 0);
}

TEST_CASE(parse_malformed_not_udp) {
  FrameSpec s;
  s.proto = 6;
  auto f = build_frame(s);
  ParsedFrame p;
  CHECK_EQ(static_cast<int>(parse(f, &p)), static_cast<int>(ParseStatus::NotUdp));
}

TEST_CASE(parse_malformed_truncated_udp) {
  FrameSpec s;
  auto f = build_frame(s);
  mcrtest::put16(f, 16, 20 + 7);  // IP payload of 7 bytes: no room for a UDP header
  mcrtest::fix_ip_checksum(f, 14);
  ParsedFrame p;
  CHECK_EQ(static_cast<int>(parse(f, &p)), static_cast<int>(ParseStatus::TruncatedUdp));
}

TEST_CASE(parse_malformed_bad_udp_length) {
  auto f = build_frame(FrameSpec{});
  const size_t u = 14 + 20;
  ParsedFrame p;
  mcrtest::put16(f, u + 4, 7);
  CHECK_EQ(static_cast<int>(parse(f, &p)), static_cast<int>(ParseStatus::BadUdpLength));
  mcrtest::put16(f, u + 4, 8 + 17);  // one beyond the IP payload
  CHECK_EQ(static_cast<int>(parse(f, &p)), static_cast<int>(ParseStatus::BadUdpLength));
}

TEST_CASE(parse_malformed_bad_ip_checksum) {
  auto f = build_frame(FrameSpec{});
  f[14 + 10] ^= 0x01;
  ParsedFrame p;
  CHECK_EQ(static_cast<int>(parse(f, &p)), static_cast<int>(ParseStatus::BadIpChecksum));
  f = build_frame(FrameSpec{});
  f[14 + 8] = 1;  // TTL changed without fixing the checksum
  CHECK_EQ(static_cast<int>(parse(f, &p)), static_cast<int>(ParseStatus::BadIpChecksum));
}

TEST_CASE(parse_every_prefix_of_a_frame_is_rejected_cleanly) {
  // Bounds: each truncation must yield a malformed status, never read past the end (ASan checks that).
  FrameSpec s;
  s.tags = {{0x88a8, 1}, {0x8100, 2}};
  s.ip_options = 12;
  auto f = build_frame(s);
  ParsedFrame p;
  for (size_t n = 0; n < f.size(); ++n) {
    std::vector<uint8_t> g(f.begin(), f.begin() + static_cast<long>(n));
    CHECK(parse(g, &p) != ParseStatus::Ok);
  }
  CHECK_EQ(static_cast<int>(parse(f, &p)), 0);
}

TEST_CASE(parse_malformed_names_match_types_ts) {
  CHECK(std::strcmp(mcr::kMalformedNames[static_cast<int>(ParseStatus::TruncatedEthernet) - 1], "truncatedEthernet") == 0);
  CHECK(std::strcmp(mcr::kMalformedNames[static_cast<int>(ParseStatus::Fragment) - 1], "fragment") == 0);
  CHECK(std::strcmp(mcr::kMalformedNames[static_cast<int>(ParseStatus::BadIpChecksum) - 1], "badIpChecksum") == 0);
}

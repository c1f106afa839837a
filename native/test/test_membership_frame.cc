// mcr-member's packet classifier (native/traffic/lib/membership_frame.h): IGMPv1/v2/v3 joins and
// leaves of one group, data to its port, and everything else (other groups, queries, truncation).
#include <arpa/inet.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <tuple>
#include <vector>

#include "check.h"
#include "lib/membership_frame.h"

using mcrt::classify_frame;
using mcrt::FrameKind;

namespace {

const in_addr_t kGroup = htonl(0xef010101);  // 239.1.1.1

std::vector<uint8_t> ipv4(uint8_t proto, uint32_t dst, const std::vector<uint8_t>& l4, uint16_t frag = 0) {
  const uint8_t header[20] = {0x45, 0, 0, 0, 0, 0, static_cast<uint8_t>(frag >> 8), static_cast<uint8_t>(frag), 1, proto, 0, 0,
                              10, 2, 0, 2, static_cast<uint8_t>(dst >> 24), static_cast<uint8_t>(dst >> 16), static_cast<uint8_t>(dst >> 8),
                              static_cast<uint8_t>(dst)};
  std::vector<uint8_t> p(sizeof header + l4.size());
  std::copy(std::begin(header), std::end(header), p.begin());
  std::copy(l4.begin(), l4.end(), p.begin() + sizeof header);
  p[2] = static_cast<uint8_t>(p.size() >> 8);
  p[3] = static_cast<uint8_t>(p.size());
  return p;
}

std::vector<uint8_t> igmp_v2(uint8_t type, uint32_t group) {
  return ipv4(2, group, {type, 0, 0, 0, static_cast<uint8_t>(group >> 24), static_cast<uint8_t>(group >> 16), static_cast<uint8_t>(group >> 8), static_cast<uint8_t>(group)});
}

/* A v3 report with one record per (type, group, sources). */
std::vector<uint8_t> igmp_v3(const std::vector<std::tuple<uint8_t, uint32_t, uint16_t>>& records) {
  std::vector<uint8_t> l4 = {0x22, 0, 0, 0, 0, 0, 0, static_cast<uint8_t>(records.size())};
  for (auto [type, group, sources] : records) {
    l4.insert(l4.end(), {type, 0, static_cast<uint8_t>(sources >> 8), static_cast<uint8_t>(sources),
                         static_cast<uint8_t>(group >> 24), static_cast<uint8_t>(group >> 16), static_cast<uint8_t>(group >> 8), static_cast<uint8_t>(group)});
    for (uint16_t i = 0; i < sources; ++i) l4.insert(l4.end(), {10, 0, 0, static_cast<uint8_t>(i + 1)});
  }
  return ipv4(2, 0xe0000016, l4);
}

FrameKind kind(const std::vector<uint8_t>& p, uint16_t port = 5000) { return classify_frame(p.data(), p.size(), kGroup, port); }

}  // namespace

TEST_CASE(member_frame_v1_v2_reports_and_leave) {
  CHECK(kind(igmp_v2(0x12, 0xef010101)) == FrameKind::join);
  CHECK(kind(igmp_v2(0x16, 0xef010101)) == FrameKind::join);
  CHECK(kind(igmp_v2(0x17, 0xef010101)) == FrameKind::leave);
  CHECK(kind(igmp_v2(0x16, 0xef010102)) == FrameKind::other);  // another group
  CHECK(kind(igmp_v2(0x11, 0xef010101)) == FrameKind::other);  // a query is neither
}

TEST_CASE(member_frame_v3_records) {
  CHECK(kind(igmp_v3({{4, 0xef010101, 0}})) == FrameKind::join);   // TO_EX {}
  CHECK(kind(igmp_v3({{2, 0xef010101, 0}})) == FrameKind::join);   // IS_EX {}
  CHECK(kind(igmp_v3({{3, 0xef010101, 0}})) == FrameKind::leave);  // TO_IN {}
  CHECK(kind(igmp_v3({{3, 0xef010101, 2}})) == FrameKind::other);  // TO_IN {S1,S2}: still a member
  // Our group's record after another's with sources: the walk skips those sources.
  CHECK(kind(igmp_v3({{5, 0xef020202, 3}, {4, 0xef010101, 0}})) == FrameKind::join);
  CHECK(kind(igmp_v3({{4, 0xef020202, 0}})) == FrameKind::other);
}

TEST_CASE(member_frame_truncated_v3_is_other_not_a_read_past_the_end) {
  auto p = igmp_v3({{5, 0xef020202, 3}, {4, 0xef010101, 0}});
  for (size_t cut = 1; cut <= 8; ++cut) {
    std::vector<uint8_t> t(p.begin(), p.end() - static_cast<long>(cut));
    t[2] = static_cast<uint8_t>(t.size() >> 8);
    t[3] = static_cast<uint8_t>(t.size());
    CHECK(kind(t) == FrameKind::other);
  }
  CHECK(classify_frame(p.data(), 19, kGroup, 5000) == FrameKind::other);
}

TEST_CASE(member_frame_data_by_group_port_and_fragment) {
  const std::vector<uint8_t> udp = {0x30, 0x39, 0x13, 0x88, 0, 16, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8};  // to port 5000
  CHECK(kind(ipv4(17, 0xef010101, udp)) == FrameKind::data);
  CHECK(kind(ipv4(17, 0xef010101, udp), 5001) == FrameKind::other);
  CHECK(kind(ipv4(17, 0xef010101, udp), 0) == FrameKind::data);  // any port
  CHECK(kind(ipv4(17, 0xef010102, udp)) == FrameKind::other);
  CHECK(kind(ipv4(17, 0xef010101, udp, 0x0010)) == FrameKind::other);  // a later fragment has no UDP header
  CHECK(kind(ipv4(17, 0xef010101, {0x30, 0x39, 0x13})) == FrameKind::other);
}

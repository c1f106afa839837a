// See membership_frame.h.
#include "membership_frame.h"

#include <cstring>

namespace mcrt {

namespace {

constexpr uint8_t kProtoIgmp = 2, kProtoUdp = 17;
constexpr uint8_t kV1Report = 0x12, kV2Report = 0x16, kV2Leave = 0x17, kV3Report = 0x22;
// RFC 3376 §4.2.12 record types.
constexpr uint8_t kModeIsExclude = 2, kChangeToInclude = 3, kChangeToExclude = 4;

in_addr_t read_addr(const uint8_t* p) {
  in_addr_t a;
  std::memcpy(&a, p, sizeof a);
  return a;
}

uint16_t read_u16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

FrameKind classify_v3(const uint8_t* igmp, size_t len, in_addr_t group) {
  if (len < 8) return FrameKind::other;
  const unsigned records = read_u16(igmp + 6);
  size_t off = 8;
  for (unsigned i = 0; i < records; i++) {
    if (off + 8 > len) return FrameKind::other;
    const uint8_t type = igmp[off];
    const size_t aux_words = igmp[off + 1];
    const size_t sources = read_u16(igmp + off + 2);
    const in_addr_t g = read_addr(igmp + off + 4);
    if (g == group) {
      if (type == kModeIsExclude || type == kChangeToExclude) return FrameKind::join;
      if (type == kChangeToInclude && sources == 0) return FrameKind::leave;
    }
    off += 8 + 4 * sources + 4 * aux_words;
  }
  return FrameKind::other;
}

}  // namespace

FrameKind classify_frame(const uint8_t* pkt, size_t len, in_addr_t group, uint16_t port) {
  if (len < 20 || (pkt[0] >> 4) != 4) return FrameKind::other;
  const size_t ihl = static_cast<size_t>(pkt[0] & 0x0f) * 4;
  if (ihl < 20 || len < ihl) return FrameKind::other;
  const size_t total = read_u16(pkt + 2);
  const size_t end = total >= ihl && total < len ? total : len;  // trailing link padding is not IGMP
  const uint8_t proto = pkt[9];
  const uint8_t* l4 = pkt + ihl;
  const size_t l4len = end - ihl;
  if (proto == kProtoUdp) {
    const bool first_fragment = (read_u16(pkt + 6) & 0x1fff) == 0;
    if (!first_fragment || read_addr(pkt + 16) != group || l4len < 8) return FrameKind::other;
    return port == 0 || read_u16(l4 + 2) == port ? FrameKind::data : FrameKind::other;
  }
  if (proto != kProtoIgmp || l4len < 8) return FrameKind::other;
  const uint8_t type = l4[0];
  if (type == kV3Report) return classify_v3(l4, l4len, group);
  if (read_addr(l4 + 4) != group) return FrameKind::other;
  if (type == kV1Report || type == kV2Report) return FrameKind::join;
  if (type == kV2Leave) return FrameKind::leave;
  return FrameKind::other;
}

}  // namespace mcrt

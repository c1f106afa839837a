// parse: see parse.h. Every multi-byte read goes through load16/load32 (memcpy), so unaligned frames in
// the RX ring are fine, and every read is preceded by a bounds check against len.
#include "parse.h"

#include <cstring>

namespace mcr {

const char* const kMalformedNames[kMalformedReasons] = {
    "truncatedEthernet", "truncatedVlan", "notIpv4",     "badIpVersion", "badIhl",     "badIpTotalLength",
    "truncatedIp",       "fragment",      "notUdp",      "truncatedUdp", "badUdpLength", "badIpChecksum",
};

namespace {

constexpr uint16_t kEthIpv4 = 0x0800;
constexpr uint16_t kEthVlan = 0x8100;   // 802.1Q C-tag
constexpr uint16_t kEthQinQ = 0x88a8;   // 802.1ad S-tag
constexpr size_t kEthHeader = 14;
constexpr size_t kVlanTag = 4;
constexpr int kMaxInFrameTags = 2;
constexpr uint8_t kProtoUdp = 17;

inline uint16_t load16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, sizeof v);
  return __builtin_bswap16(v);
}

inline uint32_t load32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return __builtin_bswap32(v);
}

}  // namespace

bool ipv4_checksum_ok(const uint8_t* hdr, size_t hdr_len) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < hdr_len; i += 2) sum += load16(hdr + i);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return sum == 0xffff;
}

ParseStatus parse_frame(const uint8_t* data, size_t len, OobVlan oob, ParsedFrame* out) {
  std::memset(out, 0, sizeof *out);
  if (len < kEthHeader) return ParseStatus::TruncatedEthernet;
  if (oob.valid) out->vlan_ids[out->vlan_count++] = oob.tci & 0x0fff;

  size_t off = 12;  // EtherType / TPID position
  uint16_t type = load16(data + off);
  int tags = 0;
  while (type == kEthVlan || type == kEthQinQ) {
    if (tags == kMaxInFrameTags) return ParseStatus::NotIpv4;
    if (len < off + kVlanTag + 2) return ParseStatus::TruncatedVlan;
    out->vlan_ids[out->vlan_count++] = load16(data + off + 2) & 0x0fff;
    off += kVlanTag;
    type = load16(data + off);
    ++tags;
  }
  if (type != kEthIpv4) return ParseStatus::NotIpv4;

  const size_t ip = off + 2;
  out->ip_offset = static_cast<uint32_t>(ip);
  if (len < ip + 1) return ParseStatus::TruncatedIp;
  const uint8_t* h = data + ip;
  if ((h[0] >> 4) != 4) return ParseStatus::BadIpVersion;
  const size_t ihl = static_cast<size_t>(h[0] & 0x0f) * 4;
  if (ihl < 20) return ParseStatus::BadIhl;
  if (len < ip + ihl) return ParseStatus::TruncatedIp;
  const size_t total = load16(h + 2);
  if (total < ihl || ip + total > len) return ParseStatus::BadIpTotalLength;
  if (!ipv4_checksum_ok(h, ihl)) return ParseStatus::BadIpChecksum;
  if ((load16(h + 6) & 0x3fff) != 0) return ParseStatus::Fragment;  // MF flag or a fragment offset
  if (h[9] != kProtoUdp) return ParseStatus::NotUdp;

  out->ttl = h[8];
  out->ip_header_len = static_cast<uint8_t>(ihl);
  out->src_ip = load32(h + 12);
  out->dst_ip = load32(h + 16);

  const size_t ip_payload = total - ihl;
  if (ip_payload < 8) return ParseStatus::TruncatedUdp;
  const uint8_t* u = h + ihl;
  const size_t udp_len = load16(u + 4);
  if (udp_len < 8 || udp_len > ip_payload) return ParseStatus::BadUdpLength;
  out->src_port = load16(u);
  out->dst_port = load16(u + 2);
  out->payload_offset = static_cast<uint32_t>(ip + ihl + 8);
  out->payload_len = static_cast<uint32_t>(udp_len - 8);
  return ParseStatus::Ok;
}

}  // namespace mcr

// frames: builds test frames (Ethernet [+ tags] + IPv4 [+ options] + UDP + payload) with valid checksums.
#pragma once

#include <cstdint>
#include <vector>

namespace mcrtest {

struct FrameSpec {
  std::vector<std::pair<uint16_t, uint16_t>> tags;  // (TPID, VLAN id), outermost first
  size_t ip_options = 0;                            // bytes of IPv4 options, multiple of 4, <= 40
  size_t payload = 16;
  size_t padding = 0;  // Ethernet padding after the IP datagram
  uint32_t src = 0x0a000001;   // 10.0.0.1
  uint32_t dst = 0xef010101;   // 239.1.1.1
  uint16_t sport = 40000;
  uint16_t dport = 5000;
  uint16_t frag = 0;           // IPv4 flags+fragment offset field
  uint8_t proto = 17;
  uint8_t ttl = 7;
};

inline void put16(std::vector<uint8_t>& f, size_t at, uint16_t v) {
  f[at] = static_cast<uint8_t>(v >> 8);
  f[at + 1] = static_cast<uint8_t>(v);
}
inline void put32(std::vector<uint8_t>& f, size_t at, uint32_t v) {
  put16(f, at, static_cast<uint16_t>(v >> 16));
  put16(f, at + 2, static_cast<uint16_t>(v));
}

/* Offset of the IPv4 header for a spec. */
inline size_t ip_offset(const FrameSpec& s) { return 14 + 4 * s.tags.size(); }

/* Recompute the IPv4 header checksum in place (after a test mutates the header). */
inline void fix_ip_checksum(std::vector<uint8_t>& f, size_t ip) {
  size_t ihl = static_cast<size_t>(f[ip] & 0x0f) * 4;
  put16(f, ip + 10, 0);
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < ihl && ip + i + 1 < f.size(); i += 2) sum += (f[ip + i] << 8) | f[ip + i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  put16(f, ip + 10, static_cast<uint16_t>(~sum));
}

inline std::vector<uint8_t> build_frame(const FrameSpec& s) {
  const size_t ip = ip_offset(s);
  const size_t ihl = 20 + s.ip_options;
  const size_t total = ihl + 8 + s.payload;
  std::vector<uint8_t> f(ip + total + s.padding, 0);
  const uint8_t dmac[6] = {0x01, 0x00, 0x5e, 0x01, 0x01, 0x01};
  const uint8_t smac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
  for (int i = 0; i < 6; ++i) f[i] = dmac[i], f[6 + i] = smac[i];
  size_t off = 12;
  for (auto [tpid, vid] : s.tags) {
    put16(f, off, tpid);
    put16(f, off + 2, vid);
    off += 4;
  }
  put16(f, off, 0x0800);
  f[ip] = static_cast<uint8_t>(0x40 | (ihl / 4));
  put16(f, ip + 2, static_cast<uint16_t>(total));
  put16(f, ip + 6, s.frag);
  f[ip + 8] = s.ttl;
  f[ip + 9] = s.proto;
  put32(f, ip + 12, s.src);
  put32(f, ip + 16, s.dst);
  for (size_t i = 0; i < s.ip_options; ++i) f[ip + 20 + i] = 1;  // NOP options
  const size_t u = ip + ihl;
  put16(f, u, s.sport);
  put16(f, u + 2, s.dport);
  put16(f, u + 4, static_cast<uint16_t>(8 + s.payload));
  for (size_t i = 0; i < s.payload; ++i) f[u + 8 + i] = static_cast<uint8_t>(i * 7 + 3);
  fix_ip_checksum(f, ip);
  return f;
}

}  // namespace mcrtest

// Payload encode/decode; format and worked example in payload.h.
//
// The pattern (b + 7*i) & 0xff with b = (seq*131 + streamId) & 0xff equals T[(k + i)] for the table
// T[j] = (7*j) & 0xff and k = b * 7^-1 mod 256 (7 * 183 = 1281 = 1 mod 256). So filling and checking
// a datagram is one memcpy / memcmp from a precomputed table instead of a per-byte loop: the
// generator and the sink stay far cheaper than the kernel's own per-datagram work.
#include "payload.h"

#include <endian.h>

#include <cstring>

namespace mcrt {
namespace {

constexpr uint32_t kInv7 = 183;
constexpr size_t kTableLen = 256 + kMaxPayload + 1;

struct PatternTable {
  uint8_t bytes[kTableLen];
  PatternTable() {
    for (size_t j = 0; j < kTableLen; j++) bytes[j] = static_cast<uint8_t>((7 * j) & 0xff);
  }
};

const PatternTable& table() {
  static const PatternTable t;  // built once, before the first packet
  return t;
}

inline const uint8_t* pattern_start(uint64_t seq, uint32_t stream_id) {
  uint32_t b = static_cast<uint32_t>((seq * 131 + stream_id) & 0xff);
  uint32_t k = (b * kInv7) & 0xff;
  return table().bytes + k;
}

inline void put16(uint8_t* p, uint16_t v) { v = htobe16(v); std::memcpy(p, &v, 2); }
inline void put32(uint8_t* p, uint32_t v) { v = htobe32(v); std::memcpy(p, &v, 4); }
inline void put64(uint8_t* p, uint64_t v) { v = htobe64(v); std::memcpy(p, &v, 8); }
inline uint16_t get16(const uint8_t* p) { uint16_t v; std::memcpy(&v, p, 2); return be16toh(v); }
inline uint32_t get32(const uint8_t* p) { uint32_t v; std::memcpy(&v, p, 4); return be32toh(v); }
inline uint64_t get64(const uint8_t* p) { uint64_t v; std::memcpy(&v, p, 8); return be64toh(v); }

}  // namespace

const char* check_name(Check c) {
  switch (c) {
    case Check::ok: return "ok";
    case Check::too_short: return "too_short";
    case Check::bad_magic: return "bad_magic";
    case Check::bad_version: return "bad_version";
    case Check::bad_header_len: return "bad_header_len";
    case Check::bad_length: return "bad_length";
    case Check::bad_pattern: return "bad_pattern";
  }
  return "unknown";
}

void payload_write(uint8_t* buf, uint32_t len, uint32_t stream_id, uint64_t seq, uint64_t send_ns) {
  std::memcpy(buf, kMagic, 4);
  buf[4] = kVersion;
  buf[5] = 0;
  put16(buf + 6, kHeaderLen);
  put32(buf + 8, stream_id);
  put64(buf + 12, seq);
  put64(buf + 20, send_ns);
  put32(buf + 28, len);
  if (len > kHeaderLen) std::memcpy(buf + kHeaderLen, pattern_start(seq, stream_id) + kHeaderLen, len - kHeaderLen);
}

void payload_stamp(uint8_t* buf, uint64_t send_ns) { put64(buf + 20, send_ns); }

Check payload_parse(const uint8_t* buf, size_t n, Header* out) {
  if (n < kHeaderLen) return Check::too_short;
  if (std::memcmp(buf, kMagic, 4) != 0) return Check::bad_magic;
  if (buf[4] != kVersion) return Check::bad_version;
  if (get16(buf + 6) != kHeaderLen) return Check::bad_header_len;
  out->flags = buf[5];
  out->stream_id = get32(buf + 8);
  out->seq = get64(buf + 12);
  out->send_ns = get64(buf + 20);
  out->length = get32(buf + 28);
  if (out->length != n) return Check::bad_length;
  return Check::ok;
}

uint32_t payload_pattern_sum(uint64_t seq, uint32_t stream_id, uint32_t len) {
  const uint8_t* p = pattern_start(seq, stream_id);
  uint32_t sum = 0;
  uint32_t i = kHeaderLen;  // even, so words line up with the datagram's own 16-bit words
  for (; i + 1 < len; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (i < len) sum += static_cast<uint32_t>(p[i] << 8);
  return sum;
}

bool payload_pattern_ok(const uint8_t* buf, size_t n, const Header& h) {
  if (n <= kHeaderLen) return true;
  return std::memcmp(buf + kHeaderLen, pattern_start(h.seq, h.stream_id) + kHeaderLen, n - kHeaderLen) == 0;
}

}  // namespace mcrt

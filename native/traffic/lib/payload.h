// mcr traffic payload: the datagram format mcr-gen writes and mcr-sink verifies byte by byte.
//
// Every datagram (the UDP payload) starts with a 32-byte header in network byte order:
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +---------------+---------------+---------------+---------------+
//  |      'M'      |      'C'      |      'R'      |      'T'      |  0  magic
//  +---------------+---------------+---------------+---------------+
//  |  version = 1  |   flags = 0   |      header length = 32       |  4
//  +---------------+---------------+-------------------------------+
//  |                           stream id                           |  8
//  +---------------------------------------------------------------+
//  |                 sequence (u64, first datagram = 0)            | 12
//  +                                                               +
//  |                                                               | 16
//  +---------------------------------------------------------------+
//  |          send timestamp (u64, CLOCK_MONOTONIC in ns)          | 20
//  +                                                               +
//  |                                                               | 24
//  +---------------------------------------------------------------+
//  |      payload length (u32, the whole datagram incl. header)    | 28
//  +---------------------------------------------------------------+
//  |  pattern bytes ...                                            | 32
//
// Pattern: byte i, counted from the start of the datagram (so the first pattern byte is i = 32), is
//   (seq * 131 + i * 7 + streamId) & 0xff
// so a flipped, shifted or swapped byte anywhere is caught, and two consecutive datagrams differ.
//
// Worked example: stream 7, seq 2, 40 bytes:
//   4d 43 52 54  01 00 00 20  00 00 00 07  00 00 00 00 00 00 00 02  <8 timestamp bytes>  00 00 00 28
//   then bytes 32..39 = (2*131 + 7*i + 7) & 0xff = ed f4 fb 02 09 10 17 1e
//
// The timestamp is CLOCK_MONOTONIC, which is one clock per host shared by every network namespace
// (namespaces do not virtualise it; only time namespaces would), so generator and sink in different
// namespaces of one machine can subtract it directly. Across machines the latency is meaningless.
//
// Sizes: minimum 32 (header only), 8972 fits a 9000-byte MTU (9000 - 20 IP - 8 UDP), up to 65507
// (the UDP maximum) is allowed but IP-fragmented on any real link.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mcrt {

constexpr uint8_t kMagic[4] = {'M', 'C', 'R', 'T'};
constexpr uint8_t kVersion = 1;
constexpr uint32_t kHeaderLen = 32;
constexpr uint32_t kMinPayload = kHeaderLen;
constexpr uint32_t kMaxJumboPayload = 8972;
constexpr uint32_t kMaxPayload = 65507;

struct Header {
  uint8_t flags;
  uint32_t stream_id;
  uint64_t seq;
  uint64_t send_ns;
  uint32_t length;
};

enum class Check { ok, too_short, bad_magic, bad_version, bad_header_len, bad_length, bad_pattern };

/** Name of a check result for reports, e.g. "bad_magic". */
const char* check_name(Check c);

/** payload_write - build a complete datagram (header + pattern) of @len bytes into @buf. */
void payload_write(uint8_t* buf, uint32_t len, uint32_t stream_id, uint64_t seq, uint64_t send_ns);

/** payload_stamp - rewrite only the send timestamp (used when a send is retried). */
void payload_stamp(uint8_t* buf, uint64_t send_ns);

/**
 * payload_parse - decode and sanity-check the header of a received datagram of @n bytes.
 * Return: Check::ok with @out filled, or the first thing that is wrong. The pattern is not checked.
 */
Check payload_parse(const uint8_t* buf, size_t n, Header* out);

/**
 * payload_pattern_sum - 16-bit one's-complement sum (not folded) of the pattern bytes of a datagram
 * of @len bytes for (@seq, @stream_id), as the UDP checksum counts them (big-endian words from the
 * start of the datagram). Depends only on (seq*131 + stream_id) & 0xff and len, so callers cache it.
 */
uint32_t payload_pattern_sum(uint64_t seq, uint32_t stream_id, uint32_t len);

/** payload_phase - the (seq*131 + stream_id) & 0xff that selects one of the 256 patterns. */
inline uint32_t payload_phase(uint64_t seq, uint32_t stream_id) {
  return static_cast<uint32_t>((seq * 131 + stream_id) & 0xff);
}

/** payload_pattern_ok - true when every byte after the header matches the pattern for @h. */
bool payload_pattern_ok(const uint8_t* buf, size_t n, const Header& h);

}  // namespace mcrt

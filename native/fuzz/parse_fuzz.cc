// parse_fuzz: libFuzzer target for the frame parser (native/engine/core/parse.cc).
//   native/fuzz/build.sh && native/fuzz/parse_fuzz -max_total_time=60 native/fuzz/corpus
// Byte 0 of the input chooses an out-of-band VLAN tag (bit 0) and its id (the rest); the frame follows.
// Besides ASan/UBSan catching any out-of-bounds read, every accepted frame must satisfy the invariants
// the engine relies on when it points a send's iovec into the ring.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const mcr::OobVlan oob{(data[0] & 1) != 0, static_cast<uint16_t>(data[0] << 4)};
  // Copy into an exact-size heap buffer so ASan sees any read past the frame's end.
  std::vector<uint8_t> frame(data + 1, data + size);
  mcr::ParsedFrame p;
  const mcr::ParseStatus st = mcr::parse_frame(frame.data(), frame.size(), oob, &p);
  if (st != mcr::ParseStatus::Ok) {
    if (static_cast<int>(st) < 1 || static_cast<int>(st) > mcr::kMalformedReasons) abort();
    return 0;
  }
  const size_t n = frame.size();
  if (p.payload_offset > n || p.payload_len > n - p.payload_offset) abort();
  if (p.ip_header_len < 20 || p.ip_header_len > 60 || p.ip_header_len % 4) abort();
  if (p.payload_offset != p.ip_offset + p.ip_header_len + 8u) abort();
  if (p.vlan_count > mcr::kMaxVlanTags) abort();
  if (!mcr::ipv4_checksum_ok(frame.data() + p.ip_offset, p.ip_header_len)) abort();
  return 0;
}

// csum_bench: what a valid UDP checksum costs the engine thread per relayed datagram, offloaded (what
// the engine does: NEEDS_CSUM in the virtio_net_hdr, SendBatch::add_packet) or computed in userspace
// (the alternative: the payload's one's-complement sum once per input datagram, reused for every
// output, plus a per-output fold of its pseudo-header and UDP header). Run under callgrind, which
// counts instructions exactly (the machine's timings are too noisy to compare):
//
//   g++ -std=c++20 -O2 -Inative/engine/core native/test/bench/csum_bench.cc native/engine/core/egress.cc
//       native/engine/core/egress_packet.cc native/engine/core/counters.cc native/engine/core/setup_error.cc
//       -o /tmp/csum_bench
//   valgrind --tool=callgrind --callgrind-out-file=/dev/null /tmp/csum_bench MODE FANOUT BYTES DATAGRAMS
//
// with MODE offload or compute; instructions per datagram = (Collected at DATAGRAMS=100000 minus
// Collected at DATAGRAMS=0) / 100000. Each run also checks one computed checksum against a plain sum.
// Not part of mcr-engine-test (it has its own main).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "egress.h"

using namespace mcr;

namespace {

/* 64-bit words with end-around carry (what csum_partial does without asm), folded to 16 bits. */
uint16_t payload_sum(const uint8_t* p, uint32_t n) {
  uint64_t sum = 0;
  uint32_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    sum += w;
    sum += sum < w;  // the carry out of bit 63 wraps around
  }
  uint64_t tail = 0;
  std::memcpy(&tail, p + i, n - i);  // little-endian: zero-padded, odd byte lands as a big-endian high half
  sum += tail;
  sum += sum < tail;
  sum = (sum & 0xffffffff) + (sum >> 32);
  sum = (sum & 0xffffffff) + (sum >> 32);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);  // native byte order
}

/* Finish the checksum of a frame add_packet just filled, from the payload's sum (native order). */
void finish(uint8_t* frame, uint16_t psum) {
  uint8_t* ip = frame + 14;
  uint64_t sum = psum;
  for (int i = 12; i < 20; i += 2) {
    uint16_t w;
    std::memcpy(&w, ip + i, 2);
    sum += w;
  }
  uint16_t w;
  std::memcpy(&w, ip + 24, 2);  // UDP length, once more for the pseudo-header
  sum += w + (17u << 8);        // protocol, big-endian in native order
  for (int i = 20; i < 26; i += 2) {
    std::memcpy(&w, ip + i, 2);
    sum += w;
  }
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  uint16_t c = static_cast<uint16_t>(~sum);
  if (c == 0) c = 0xffff;
  std::memcpy(ip + 26, &c, 2);
}

/* Independent check: the whole UDP datagram plus pseudo-header sums to 0xffff. */
bool valid(const uint8_t* frame, const std::vector<uint8_t>& payload) {
  const uint8_t* ip = frame + 14;
  uint32_t sum = 17 + (ip[24] << 8 | ip[25]);
  for (int i = 12; i < 28; i += 2) sum += static_cast<uint32_t>(ip[i] << 8 | ip[i + 1]);
  for (size_t i = 0; i < payload.size(); i += 2)
    sum += static_cast<uint32_t>(payload[i] << 8 | (i + 1 < payload.size() ? payload[i + 1] : 0));
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return sum == 0xffff;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: csum_bench offload|compute FANOUT BYTES DATAGRAMS\n");
    return 64;
  }
  const bool compute = std::string(argv[1]) == "compute";
  const uint32_t fanout = static_cast<uint32_t>(std::atoi(argv[2]));
  const uint32_t len = static_cast<uint32_t>(std::atoi(argv[3]));
  const uint32_t datagrams = static_cast<uint32_t>(std::atoi(argv[4]));
  std::vector<PacketTemplate> outs(fanout);
  for (uint32_t o = 0; o < fanout; ++o) {
    PacketTemplate& t = outs[o];
    std::memset(&t, 0, sizeof t);
    t.bytes[12] = 0x08;
    t.bytes[14] = 0x45;
    t.bytes[14 + 9] = 17;
    const uint8_t src[4] = {10, 0, 0, 1}, dst[4] = {239, 1, 2, static_cast<uint8_t>(o)};
    std::memcpy(t.bytes + 14 + 12, src, 4);
    std::memcpy(t.bytes + 14 + 16, dst, 4);
    t.bytes[14 + 20] = 0x17;
    t.bytes[14 + 22] = 0x17;
    t.mtu = 9000;
  }
  std::vector<uint8_t> payload(len);
  for (uint32_t i = 0; i < len; ++i) payload[i] = static_cast<uint8_t>(i * 7);
  SendBatch b({{-1, false}});
  uint64_t check = 0;
  for (uint32_t n = 0; n < datagrams; ++n) {
    payload[0] = static_cast<uint8_t>(n);  // a new datagram each time, as from the ring
    const uint16_t psum = compute ? payload_sum(payload.data(), len) : 0;
    for (uint32_t o = 0; o < fanout; ++o) {
      const SendBatch::Queue& q = b.queues_[0];
      const uint32_t i = q.count;
      const bool full = b.add_packet(0, outs[o], payload.data(), len, o);
      if (compute) finish(static_cast<uint8_t*>(q.msgs[i].msg_hdr.msg_iov[0].iov_base) + kVnetHdr, psum);
      if (compute && n == 0 && o == 0 && !valid(static_cast<uint8_t*>(q.msgs[i].msg_hdr.msg_iov[0].iov_base) + kVnetHdr, payload)) {
        std::fprintf(stderr, "computed checksum does not verify\n");
        return 1;
      }
      if (full) {
        check += q.hdrs[kVnetHdr + 40];
        b.reset();
      }
    }
  }
  std::printf("%s fanout %u bytes %u datagrams %u (check %llu)\n", compute ? "compute" : "offload", fanout, len, datagrams,
              static_cast<unsigned long long>(check));
  return 0;
}

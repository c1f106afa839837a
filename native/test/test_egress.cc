// Send-batch cases: how datagrams become messages (no sockets: the batch is only filled, never sent).
// GSO queues join a datagram to the message before it when output and size match, within 64 datagrams
// and 64 KiB; everything else starts a message. Frame headers: lengths, IP ids, virtio_net_hdr (every
// frame offloads its UDP checksum).
#include <cerrno>
#include <cstring>
#include <vector>

#include "check.h"
#include "egress.h"

using namespace mcr;

namespace {

PacketTemplate tmpl() {
  PacketTemplate t{};
  t.bytes[12] = 0x08;
  t.bytes[14] = 0x45;
  t.bytes[14 + 9] = 17;
  const uint8_t src[4] = {10, 0, 0, 1}, dst[4] = {239, 1, 2, 3};
  std::memcpy(t.bytes + 14 + 12, src, 4);
  std::memcpy(t.bytes + 14 + 16, dst, 4);
  t.mtu = 1500;
  return t;
}

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint16_t le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }

const uint8_t kPayload[9000] = {};

/* Pseudo-header sum of tmpl() for a UDP length: 10.0.0.1 + 239.1.2.3 + proto 17 + length, folded, not
   inverted (what CHECKSUM_PARTIAL expects in the checksum field). */
uint32_t pseudo_sum(uint32_t udp_len) {
  uint32_t sum = 0x0a00 + 0x0001 + 0xef01 + 0x0203 + 17 + udp_len;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return sum;
}

}  // namespace

TEST_CASE(egress_gso_joins_equal_datagrams_of_one_output) {
  SendBatch b({{-1, true}});
  const PacketTemplate t = tmpl();
  for (int i = 0; i < 5; ++i) CHECK(!b.add_packet(0, t, kPayload, 1316, 7));
  const SendBatch::Queue& q = b.queues_[0];
  CHECK_EQ(q.count, 1u);
  CHECK_EQ(q.segs[0], 5u);
  CHECK_EQ(q.lens[0], 5u * 1316);
  CHECK_EQ(q.msgs[0].msg_hdr.msg_iovlen, 6u);  // header + 5 payloads
  CHECK_EQ(q.msgs[0].msg_hdr.msg_iov[0].iov_len, kVnetHdr + kRawHeader);
  const uint8_t* v = static_cast<const uint8_t*>(q.msgs[0].msg_hdr.msg_iov[0].iov_base);
  CHECK_EQ(v[0], 1u);                 // NEEDS_CSUM
  CHECK_EQ(v[1], 5u);                 // GSO_UDP_L4
  CHECK_EQ(le16(v + 2), kRawHeader);  // hdr_len
  CHECK_EQ(le16(v + 4), 1316u);       // gso_size
  CHECK_EQ(le16(v + 6), 34u);         // csum_start: the UDP header
  CHECK_EQ(le16(v + 8), 6u);          // csum_offset: its checksum field
  const uint8_t* ip = v + kVnetHdr + 14;
  CHECK_EQ(be16(ip + 2), 28u + 5 * 1316);  // IPv4 total length of the whole frame
  CHECK_EQ(be16(ip + 4), 0u);              // first IP id; segmentation numbers the rest
  CHECK_EQ(be16(ip + 20 + 4), 8u + 5 * 1316);
  CHECK_EQ(be16(ip + 20 + 6), pseudo_sum(8 + 5 * 1316));
  // The next message's IP id continues after the 5 the frame used.
  b.add_packet(0, t, kPayload, 100, 7);
  CHECK_EQ(be16(static_cast<const uint8_t*>(q.msgs[1].msg_hdr.msg_iov[0].iov_base) + kVnetHdr + 14 + 4), 5u);
}

TEST_CASE(egress_gso_starts_a_message_for_another_output_or_size) {
  SendBatch b({{-1, true}});
  const PacketTemplate t = tmpl();
  b.add_packet(0, t, kPayload, 1316, 7);
  b.add_packet(0, t, kPayload, 1316, 8);  // other output
  b.add_packet(0, t, kPayload, 1000, 8);  // other size
  b.add_packet(0, t, kPayload, 1000, 8);
  const SendBatch::Queue& q = b.queues_[0];
  CHECK_EQ(q.count, 3u);
  CHECK_EQ(q.segs[0], 1u);
  CHECK_EQ(q.segs[1], 1u);
  CHECK_EQ(q.segs[2], 2u);
  // A single datagram is a plain frame, its UDP checksum offloaded like a GSO frame's.
  const uint8_t* v = static_cast<const uint8_t*>(q.msgs[0].msg_hdr.msg_iov[0].iov_base);
  CHECK_EQ(v[0], 1u);  // NEEDS_CSUM
  CHECK_EQ(v[1], 0u);  // no GSO
  CHECK_EQ(le16(v + 4), 0u);
  CHECK_EQ(be16(v + kVnetHdr + 14 + 2), 28u + 1316);
  CHECK_EQ(be16(v + kVnetHdr + 34 + 6), pseudo_sum(8 + 1316));
}

TEST_CASE(egress_gso_caps_segments_and_frame_size) {
  SendBatch b({{-1, true}});
  const PacketTemplate t = tmpl();
  for (uint32_t i = 0; i < kMaxGsoSegs + 1; ++i) b.add_packet(0, t, kPayload, 100, 1);
  CHECK_EQ(b.queues_[0].count, 2u);
  CHECK_EQ(b.queues_[0].segs[0], kMaxGsoSegs);
  SendBatch big({{-1, true}});
  for (int i = 0; i < 8; ++i) big.add_packet(0, t, kPayload, 9000, 1);  // 7 fit under 65507 bytes
  CHECK_EQ(big.queues_[0].count, 2u);
  CHECK_EQ(big.queues_[0].segs[0], 7u);
  CHECK_EQ(big.queues_[0].lens[0], 7u * 9000);
}

TEST_CASE(egress_without_gso_every_datagram_is_a_message_with_its_checksum_offloaded) {
  SendBatch b({{-1, false}});
  const PacketTemplate t = tmpl();
  for (int i = 0; i < 3; ++i) b.add_packet(0, t, kPayload, 1317, 7);
  const SendBatch::Queue& q = b.queues_[0];
  CHECK_EQ(q.count, 3u);
  const uint8_t* v = static_cast<const uint8_t*>(q.msgs[2].msg_hdr.msg_iov[0].iov_base);
  CHECK_EQ(q.msgs[2].msg_hdr.msg_iov[0].iov_len, kVnetHdr + kRawHeader);
  CHECK_EQ(v[0], 1u);            // NEEDS_CSUM
  CHECK_EQ(v[1], 0u);            // no GSO
  CHECK_EQ(le16(v + 6), 34u);    // csum_start
  CHECK_EQ(le16(v + 8), 6u);     // csum_offset
  CHECK_EQ(be16(v + kVnetHdr + 14 + 4), 2u);  // IP id
  CHECK_EQ(be16(v + kVnetHdr + 34 + 6), pseudo_sum(8 + 1317));
}

TEST_CASE(egress_queue_reports_full_before_iovecs_run_out) {
  SendBatch b({{-1, true}});
  const PacketTemplate t = tmpl();
  // Alternating outputs: no joining, one message per datagram, full at kQueueCap messages.
  uint32_t n = 0;
  while (!b.add_packet(0, t, kPayload, 100, n % 2)) ++n;
  CHECK_EQ(n + 1, kQueueCap);
  CHECK(b.queues_[0].niov <= 2 * kQueueCap);
  b.reset();
  CHECK(b.empty());
  CHECK_EQ(b.queues_[0].niov, 0u);
  // Long GSO runs: iovecs (a header plus one per datagram) bound the queue before messages do.
  n = 0;
  while (!b.add_packet(0, t, kPayload, 100, 1)) ++n;
  CHECK(b.queues_[0].niov + 2 > 2 * kQueueCap);
  CHECK(b.queues_[0].niov <= 2 * kQueueCap);
}

TEST_CASE(egress_accounts_a_frame_as_its_datagrams) {
  auto cb = CounterBlock::create();
  SendBatch b({{-1, true}});
  const PacketTemplate t = tmpl();
  for (int i = 0; i < 4; ++i) b.add_packet(0, t, kPayload, 1316, 3);
  SendBatch::account(*cb, b.queues_[0], 0, 4 * (1316 + 42));
  CHECK_EQ(counter_get(cb->output(3) + kOutPackets), 4u);
  CHECK_EQ(counter_get(cb->output(3) + kOutBytes), 4u * 1316);
  SendBatch::account(*cb, b.queues_[0], 0, -ENOBUFS);
  CHECK_EQ(counter_get(cb->output(3) + kOutSendErrors), 4u);
  CHECK_EQ(counter_get(cb->output(3) + kOutPackets), 4u);
}

TEST_CASE(egress_keep_source_writes_each_datagrams_source_and_checksum) {
  // A keep-source output: each datagram leaves with its own IPv4 source and UDP source port, a valid
  // IPv4 header checksum, and datagrams of different sources never share a GSO frame.
  SendBatch b({{-1, true}});
  PacketTemplate t = tmpl();
  packet_set_port(&t, 5000);
  packet_set_source(&t, 0xc0a80a02, 40001);  // 192.168.10.2:40001
  b.add_packet(0, t, kPayload, 1316, 4);
  b.add_packet(0, t, kPayload, 1316, 4);
  packet_set_source(&t, 0xc0a80a03, 40001);  // another source, same ports
  b.add_packet(0, t, kPayload, 1316, 4);
  const SendBatch::Queue& q = b.queues_[0];
  CHECK_EQ(q.count, 2u);
  CHECK_EQ(q.segs[0], 2u);
  CHECK_EQ(q.segs[1], 1u);
  const uint32_t want_src[2] = {0xc0a80a02, 0xc0a80a03};
  for (uint32_t i = 0; i < 2; ++i) {
    const uint8_t* ip = static_cast<const uint8_t*>(q.msgs[i].msg_hdr.msg_iov[0].iov_base) + kVnetHdr + 14;
    CHECK_EQ(uint32_t{be16(ip + 12)} << 16 | be16(ip + 14), want_src[i]);
    CHECK_EQ(be16(ip + 16), 0xef01u);  // destination unchanged: 239.1.2.3
    CHECK_EQ(be16(ip + 20), 40001u);   // UDP source port of the input
    CHECK_EQ(be16(ip + 22), 5000u);
    uint32_t sum = 0;
    for (int k = 0; k < 20; k += 2) sum += be16(ip + k);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    CHECK_EQ(sum, 0xffffu);  // the header checksum covers the rewritten source
  }
}

TEST_CASE(egress_any_port_output_keeps_each_datagrams_port) {
  // Packet egress: equal sizes of one output but different ports never share a GSO frame.
  SendBatch b({{-1, true}, {-1, false}});
  PacketTemplate t = tmpl();
  packet_set_port(&t, 5000);
  b.add_packet(0, t, kPayload, 1316, 7);
  b.add_packet(0, t, kPayload, 1316, 7);
  packet_set_port(&t, 5002);
  b.add_packet(0, t, kPayload, 1316, 7);
  const SendBatch::Queue& q = b.queues_[0];
  CHECK_EQ(q.count, 2u);
  CHECK_EQ(q.segs[0], 2u);
  const uint8_t* h1 = static_cast<const uint8_t*>(q.msgs[1].msg_hdr.msg_iov[0].iov_base) + kVnetHdr;
  CHECK_EQ(be16(h1 + 34), 5002u);
  CHECK_EQ(be16(h1 + 36), 5002u);
  // Socket egress: each message carries its own destination port; port 0 keeps the output's sockaddr.
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_addr.s_addr = htonl(0xef020201);
  b.add(1, &dst, kPayload, 100, 9, 5000);
  b.add(1, &dst, kPayload, 100, 9, 5002);
  b.add(1, &dst, kPayload, 100, 9);
  const SendBatch::Queue& s = b.queues_[1];
  auto port_of = [&](uint32_t i) { return ntohs(static_cast<const sockaddr_in*>(s.msgs[i].msg_hdr.msg_name)->sin_port); };
  CHECK_EQ(port_of(0), 5000u);
  CHECK_EQ(port_of(1), 5002u);
  CHECK(s.msgs[2].msg_hdr.msg_name == &dst);
  CHECK_EQ(static_cast<const sockaddr_in*>(s.msgs[0].msg_hdr.msg_name)->sin_addr.s_addr, dst.sin_addr.s_addr);
}

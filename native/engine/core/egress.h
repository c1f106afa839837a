// egress: AF_INET UDP sockets that republish payloads, the per-table send batch, and the two batching
// backends (sendmmsg in egress_mmsg.cc, io_uring in egress_uring.cc).
//
// One EgressSocket per (interface, ttl, tos): every output on one interface with the same TTL/TOS shares
// it, each message carrying its own destination, so fan-out to N outputs on an interface is one
// sendmmsg call. Message iovecs point straight into the RX ring: fan-out never copies the payload. A
// batch is flushed before its ring block is handed back to the kernel.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "counters.h"
#include "egress_packet.h"

namespace mcr {

struct EgressKey {
  std::string ifname;
  int ttl;
  int tos;  // -1 = leave the kernel default
  bool packet = false;  // AF_PACKET raw socket (ttl/tos are then in each output's header template)
  bool gso = false;     // with packet: PACKET_VNET_HDR, frames may carry several datagrams (egress_packet.h)
  bool pim_register = false;  // the engine's raw IPPROTO_PIM socket for Registers (register_encap.h)
  bool operator<(const EgressKey& o) const {
    if (pim_register != o.pim_register) return pim_register < o.pim_register;
    if (packet != o.packet) return packet < o.packet;
    if (gso != o.gso) return gso < o.gso;
    if (ifname != o.ifname) return ifname < o.ifname;
    if (ttl != o.ttl) return ttl < o.ttl;
    return tos < o.tos;
  }
};

/* A UDP socket bound to an interface (SO_BINDTODEVICE) with TTL/TOS set and multicast loop off; or,
   for key.packet, an AF_PACKET raw socket bound to the interface for sending only, with PACKET_VNET_HDR:
   every frame it sends starts with a virtio_net_hdr that offloads its UDP checksum (with key.gso the
   frame may also carry several datagrams). */
class EgressSocket {
 public:
  EgressSocket(const EgressKey& key, uint32_t ifindex);  // throws SetupError
  ~EgressSocket();
  EgressSocket(const EgressSocket&) = delete;
  EgressSocket& operator=(const EgressSocket&) = delete;
  int fd() const { return fd_; }
  bool gso() const { return gso_; }

 private:
  int fd_ = -1;
  bool gso_ = false;
};

inline constexpr uint32_t kQueueCap = 256;  // messages per socket per flush (sendmmsg's vlen cap is 1024)

/* One egress socket as a send queue sees it. */
struct QueueSpec {
  int fd;
  bool gso;  // a packet socket's frames may carry several datagrams (UDP GSO)
};

/* Pending sends of one table, grouped by egress socket. Engine thread only; sized off the packet path. */
class SendBatch {
 public:
  explicit SendBatch(const std::vector<QueueSpec>& queues);

  /* Queue one send; returns true when that socket's queue is full and the batch must be flushed.
     @port != 0: send to dst's address at that port (an any-port output; the address is copied into the message). */
  bool add(uint32_t queue, const sockaddr_in* dst, const uint8_t* payload, uint32_t len, uint32_t out_slot, uint16_t port = 0) {
    Queue& q = queues_[queue];
    uint32_t i = next_message(q, queue);
    if (port != 0) {
      q.names[i] = *dst;
      q.names[i].sin_port = htons(port);
      dst = &q.names[i];
    }
    q.iov[q.niov] = iovec{const_cast<uint8_t*>(payload), len};
    return finish_message(q, i, const_cast<sockaddr_in*>(dst), sizeof(sockaddr_in), 1, len, out_slot);
  }

  /* Queue one raw frame (virtio_net_hdr + headers, UDP checksum offloaded): the headers go into this
     message's own slot, the payload stays in the ring. On a GSO queue a datagram of the same output and size as the message before it joins that message. */
  bool add_packet(uint32_t queue, const PacketTemplate& t, const uint8_t* payload, uint32_t len, uint32_t out_slot) {
    Queue& q = queues_[queue];
    if (q.gso && q.count > 0) {
      const uint32_t last = q.count - 1;
      if (q.slots[last] == out_slot && q.lens[last] == q.segs[last] * len && q.segs[last] < kMaxGsoSegs &&
          q.lens[last] + len <= kMaxGsoPayload && packet_same_flow(header(q, last) + kVnetHdr, t)) {
        // The frame's first IP id: every datagram since it took one, and only the last message grows.
        const auto first_id = static_cast<uint16_t>(q.ip_id - q.segs[last]);
        q.iov[q.niov++] = iovec{const_cast<uint8_t*>(payload), len};
        ++q.msgs[last].msg_hdr.msg_iovlen;
        ++q.segs[last];
        q.lens[last] += len;
        packet_fill_vnet(header(q, last), t, len, q.segs[last], first_id);
        ++q.ip_id;
        return full(q);
      }
    }
    uint32_t i = next_message(q, queue);
    uint8_t* hdr = header(q, i);
    const uint16_t ip_id = q.ip_id++;
    packet_fill_vnet(hdr, t, len, 1, ip_id);
    q.iov[q.niov] = iovec{hdr, kVnetHdr + kRawHeader};
    q.iov[q.niov + 1] = iovec{const_cast<uint8_t*>(payload), len};
    // No destination: the raw socket is bound to the interface.
    return finish_message(q, i, nullptr, 0, 2, len, out_slot);
  }

  /* Queue one message of @hdr_len bytes written by @fill into this message's own header slot (at most
     kVnetHdr + kRawHeader), then the payload from the ring, to @dst (e.g. a PIM Register to the RP). */
  template <typename Fill>
  bool add_framed(uint32_t queue, const sockaddr_in* dst, uint32_t hdr_len, Fill&& fill, const uint8_t* payload, uint32_t len,
                  uint32_t out_slot) {
    Queue& q = queues_[queue];
    uint32_t i = next_message(q, queue);
    uint8_t* hdr = header(q, i);
    fill(hdr, q.ip_id++);
    q.iov[q.niov] = iovec{hdr, hdr_len};
    q.iov[q.niov + 1] = iovec{const_cast<uint8_t*>(payload), len};
    return finish_message(q, i, const_cast<sockaddr_in*>(dst), sizeof(sockaddr_in), 2, len, out_slot);
  }

  bool empty() const { return pending_ == 0; }

  struct Queue {
    int fd;
    bool gso = false;
    uint32_t count = 0;  // messages
    uint32_t niov = 0;   // iovecs in use: a message's are contiguous, [headers,] payload[, payload...]
    std::unique_ptr<mmsghdr[]> msgs;
    std::unique_ptr<iovec[]> iov;      // 2 * kQueueCap: at most a header and a payload per datagram
    std::unique_ptr<uint32_t[]> slots;
    std::unique_ptr<uint32_t[]> lens;  // payload bytes, what output counters count
    std::unique_ptr<uint32_t[]> segs;  // datagrams in the message (> 1 only on GSO queues), each lens/segs bytes
    std::unique_ptr<uint8_t[]> hdrs;   // raw-egress headers, kVnetHdr + kRawHeader per message
    std::unique_ptr<sockaddr_in[]> names;  // per-message destinations of any-port outputs
    uint16_t ip_id = 0;
  };
  std::vector<Queue> queues_;
  std::vector<uint32_t> dirty_;  // queues with count > 0, in first-use order
  uint32_t pending_ = 0;

  uint32_t next_message(Queue& q, uint32_t queue) {
    uint32_t i = q.count++;
    if (i == 0) dirty_.push_back(queue);  // capacity reserved up front: never reallocates
    return i;
  }
  static uint8_t* header(Queue& q, uint32_t i) { return &q.hdrs[static_cast<size_t>(i) * (kVnetHdr + kRawHeader)]; }
  static bool full(const Queue& q) { return q.count == kQueueCap || q.niov + 2 > 2 * kQueueCap; }
  /* Fill message i's header around the iovecs just set at q.niov; returns true when the queue is full. */
  bool finish_message(Queue& q, uint32_t i, void* name, socklen_t namelen, size_t iovlen, uint32_t len, uint32_t out_slot) {
    mmsghdr& m = q.msgs[i];
    m.msg_hdr.msg_name = name;
    m.msg_hdr.msg_namelen = namelen;
    m.msg_hdr.msg_iov = &q.iov[q.niov];
    m.msg_hdr.msg_iovlen = iovlen;
    m.msg_hdr.msg_control = nullptr;
    m.msg_hdr.msg_controllen = 0;
    m.msg_hdr.msg_flags = 0;
    m.msg_len = 0;
    q.niov += static_cast<uint32_t>(iovlen);
    q.slots[i] = out_slot;
    q.lens[i] = len;
    q.segs[i] = 1;
    ++pending_;
    return full(q);
  }

  /* Account one finished message of `segs` datagrams: success (result >= 0) or failure (-errno). */
  static void account(CounterBlock& c, uint32_t out_slot, long result, uint32_t len, uint32_t segs = 1) {
    uint64_t* o = c.output(out_slot);
    if (result >= 0) {
      counter_add(o + kOutPackets, segs);
      counter_add(o + kOutBytes, len);
    } else {
      counter_add(o + kOutSendErrors, segs);
      counter_add(o + kOutErrnoBase + errno_bucket(static_cast<int>(-result)), segs);
    }
  }
  static void account(CounterBlock& c, const Queue& q, uint32_t i, long result) {
    account(c, q.slots[i], result, result >= 0 ? q.lens[i] : 0, q.segs[i]);
  }
  void reset() {
    for (uint32_t q : dirty_) queues_[q].count = queues_[q].niov = 0;
    dirty_.clear();
    pending_ = 0;
  }
};

/* A batching backend: sends everything queued in a batch, accounts every message, empties the batch. */
class Sender {
 public:
  virtual ~Sender() = default;
  virtual void flush(SendBatch& batch, CounterBlock& counters) = 0;
};

std::unique_ptr<Sender> make_mmsg_sender();
std::unique_ptr<Sender> make_uring_sender();  // throws SetupError (hint: try --backend mmsg)

}  // namespace mcr

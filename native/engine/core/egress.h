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
  bool operator<(const EgressKey& o) const {
    if (packet != o.packet) return packet < o.packet;
    if (ifname != o.ifname) return ifname < o.ifname;
    if (ttl != o.ttl) return ttl < o.ttl;
    return tos < o.tos;
  }
};

/* A UDP socket bound to an interface (SO_BINDTODEVICE) with TTL/TOS set and multicast loop off; or,
   for key.packet, an AF_PACKET raw socket bound to the interface for sending only. */
class EgressSocket {
 public:
  EgressSocket(const EgressKey& key, uint32_t ifindex);  // throws SetupError
  ~EgressSocket();
  EgressSocket(const EgressSocket&) = delete;
  EgressSocket& operator=(const EgressSocket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

inline constexpr uint32_t kQueueCap = 256;  // messages per socket per flush (sendmmsg's vlen cap is 1024)

/* Pending sends of one table, grouped by egress socket. Engine thread only; sized off the packet path. */
class SendBatch {
 public:
  explicit SendBatch(const std::vector<int>& fds);

  /* Queue one send; returns true when that socket's queue is full and the batch must be flushed. */
  bool add(uint32_t queue, const sockaddr_in* dst, const uint8_t* payload, uint32_t len, uint32_t out_slot) {
    Queue& q = queues_[queue];
    uint32_t i = next_message(q, queue);
    q.iov[2 * i] = iovec{const_cast<uint8_t*>(payload), len};
    return finish_message(q, i, const_cast<sockaddr_in*>(dst), sizeof(sockaddr_in), 1, len, out_slot);
  }

  /* Queue one raw frame: the headers go into this message's own slot, the payload stays in the ring. */
  bool add_packet(uint32_t queue, const PacketTemplate& t, const uint8_t* payload, uint32_t len, uint32_t out_slot) {
    Queue& q = queues_[queue];
    uint32_t i = next_message(q, queue);
    uint8_t* hdr = &q.hdrs[static_cast<size_t>(i) * kRawHeader];
    packet_fill(hdr, t, len, q.ip_id++);
    q.iov[2 * i] = iovec{hdr, kRawHeader};
    q.iov[2 * i + 1] = iovec{const_cast<uint8_t*>(payload), len};
    // No destination: the raw socket is bound to the interface.
    return finish_message(q, i, nullptr, 0, 2, len, out_slot);
  }

  bool empty() const { return pending_ == 0; }

  struct Queue {
    int fd;
    uint32_t count = 0;
    std::unique_ptr<mmsghdr[]> msgs;
    std::unique_ptr<iovec[]> iov;      // two per message: [headers,] payload
    std::unique_ptr<uint32_t[]> slots;
    std::unique_ptr<uint32_t[]> lens;  // payload bytes, what output counters count
    std::unique_ptr<uint8_t[]> hdrs;   // raw-egress headers, kRawHeader per message
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
  /* Fill message i's header around the iovecs already set; returns true when the queue is full. */
  bool finish_message(Queue& q, uint32_t i, void* name, socklen_t namelen, size_t iovlen, uint32_t len, uint32_t out_slot) {
    mmsghdr& m = q.msgs[i];
    m.msg_hdr.msg_name = name;
    m.msg_hdr.msg_namelen = namelen;
    m.msg_hdr.msg_iov = &q.iov[2 * i];
    m.msg_hdr.msg_iovlen = iovlen;
    m.msg_hdr.msg_control = nullptr;
    m.msg_hdr.msg_controllen = 0;
    m.msg_hdr.msg_flags = 0;
    m.msg_len = 0;
    q.slots[i] = out_slot;
    q.lens[i] = len;
    ++pending_;
    return q.count == kQueueCap;
  }

  /* Account one finished message: success (bytes >= 0) or failure (-errno). */
  static void account(CounterBlock& c, uint32_t out_slot, long result, uint32_t len) {
    uint64_t* o = c.output(out_slot);
    if (result >= 0) {
      counter_add(o + kOutPackets, 1);
      counter_add(o + kOutBytes, len);
    } else {
      counter_add(o + kOutSendErrors, 1);
      counter_add(o + kOutErrnoBase + errno_bucket(static_cast<int>(-result)), 1);
    }
  }
  void reset() {
    for (uint32_t q : dirty_) queues_[q].count = 0;
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

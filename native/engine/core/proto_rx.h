// proto_rx: the protocol plane's receive socket (IGMP, PIM): one AF_PACKET SOCK_DGRAM socket for
// ETH_P_IP, never bound to an interface, so it survives interfaces that come and go. A classic BPF
// filter admits only IPv4 of the requested IP protocols and never PACKET_OUTGOING; enable(ifname) adds
// PACKET_MR_ALLMULTI on that interface (so reports to any group reach the host) and admits its packets.
// A reader thread of its own checks each IPv4 header (check_proto_ip) and copies the IP payload into
// a bounded single-producer/single-consumer byte ring (ProtoRing): a flood costs at most the ring and
// is counted as queue drops; the reader never allocates. The consumer (the addon, on the JS thread) is
// told through `notify` when the ring turns non-empty and drains it in batches.
// Exercised by native/test/test_proto.cc and relay/protocols/io/io.e2e.test.ts.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mcr {

/* Why a protocol packet was dropped; order = kProtoDropNames (relay/protocols/io ProtoRxCounters.malformed). */
enum class ProtoDrop : uint8_t {
  Ok = 0,
  Truncated,         // shorter than 20 bytes or than its IHL, or cut by the capture
  BadIpVersion,      // version nibble is not 4
  BadIhl,            // IHL < 5
  BadIpChecksum,     // header checksum does not verify
  BadIpTotalLength,  // total length < header length or beyond what was captured
  Fragment,          // MF set or a fragment offset: protocol messages are never reassembled
  BadOptions,        // an IP option with a length that runs past the header, or a Router Alert not 4 bytes long
};
inline constexpr int kProtoDropReasons = 7;
extern const char* const kProtoDropNames[kProtoDropReasons];  // indexed by (reason - 1)

struct ProtoMeta {
  uint32_t ifindex;
  uint32_t src;  // host byte order
  uint32_t dst;
  uint8_t ttl;
  uint8_t proto;
  uint8_t router_alert;  // RFC 2113 option present
  uint8_t pad = 0;
  uint64_t rx_ns = 0;  // CLOCK_REALTIME when the reader took it (an RP orders Registers against native data by it)
};

/**
 * check_proto_ip - validate one captured IPv4 datagram (starting at its header).
 * On Ok fills @meta (not ifindex) and @payload_off/@payload_len (the IP payload, up to the total length).
 * Never reads outside [p, p+len).
 */
ProtoDrop check_proto_ip(const uint8_t* p, size_t len, ProtoMeta* meta, uint32_t* payload_off, uint32_t* payload_len);

/* A fixed byte ring of (ProtoMeta, payload) records, one producer thread and one consumer thread. */
class ProtoRing {
 public:
  ProtoRing(size_t bytes, uint32_t max_packets);
  /* Producer. false = no room (bytes or packet count): the caller counts a queue drop. */
  bool push(const ProtoMeta& m, const uint8_t* data, uint32_t len);
  /* Consumer: the oldest record, or false if empty; valid until pop(). */
  bool front(ProtoMeta* m, const uint8_t** data, uint32_t* len);
  void pop();
  bool empty() const { return tail_.load(std::memory_order_relaxed) == head_.load(std::memory_order_acquire); }

 private:
  struct Rec {
    uint32_t len;  // kWrap: the rest of the buffer is unused, continue at 0
    ProtoMeta meta;
  };
  static constexpr uint32_t kWrap = UINT32_MAX;
  static size_t span(uint32_t len) { return (sizeof(Rec) + len + 7) & ~size_t{7}; }

  std::unique_ptr<uint8_t[]> buf_;
  size_t cap_;
  uint32_t max_;
  std::atomic<uint64_t> head_{0};  // bytes ever produced (incl. skipped ends)
  std::atomic<uint64_t> tail_{0};  // bytes ever consumed
  std::atomic<uint32_t> count_{0};
  uint64_t next_tail_ = 0;  // consumer: where pop() moves the tail
};

class ProtoRx {
 public:
  static constexpr size_t kRingBytes = 4u << 20;
  static constexpr uint32_t kRingPackets = 4096;
  static constexpr size_t kMaxEnabled = 256;

  /* Opens the socket with its filter (needs CAP_NET_RAW). Throws SetupError. */
  explicit ProtoRx(const std::vector<uint8_t>& ip_protos, size_t ring_bytes = kRingBytes, uint32_t ring_packets = kRingPackets);
  ~ProtoRx();
  ProtoRx(const ProtoRx&) = delete;
  ProtoRx& operator=(const ProtoRx&) = delete;

  /* ALLMULTI on @ifname and admit it; returns its ifindex; idempotent. Throws SetupError (ENODEV, ...). */
  uint32_t enable(const std::string& ifname);
  /* Stop admitting @ifindex and drop its ALLMULTI (best effort: the interface may be gone). */
  void disable(uint32_t ifindex);

  /* Spawn the reader; @notify runs on the reader thread when the ring turns non-empty while not armed. */
  void start(std::function<void()> notify);
  /* Wake and join the reader; idempotent. No notify after it returns. */
  void stop();

  /* Consumer side. The consumer calls rearm() before draining, then drains; see proto_wrap.cc. */
  ProtoRing& ring() { return ring_; }
  void rearm() { notified_.store(false, std::memory_order_seq_cst); }
  /* After a partial drain: true if the caller must schedule another drain (claims the notification). */
  bool claim_notify() { return !ring_.empty() && !notified_.exchange(true); }

  struct Counters {
    uint64_t received, queue_drops, not_enabled;
    std::array<uint64_t, kProtoDropReasons> malformed;
  };
  Counters counters() const;

  /* Reader-side step, public for tests: account and queue one captured datagram. */
  void handle(const uint8_t* p, size_t len, size_t wire_len, uint32_t ifindex);

 private:
  void run();
  bool enabled(uint32_t ifindex) const;

  int fd_ = -1;
  int wake_fd_ = -1;
  ProtoRing ring_;
  std::array<std::atomic<uint32_t>, kMaxEnabled> enabled_{};  // 0 = free slot
  std::mutex mu_;  // enable/disable/start/stop
  std::thread thread_;
  bool running_ = false;
  std::atomic<bool> stop_{false};
  std::atomic<bool> notified_{false};
  std::function<void()> notify_;
  std::unique_ptr<uint8_t[]> scratch_;  // one IP datagram, the reader's only buffer
  std::atomic<uint64_t> received_{0}, queue_drops_{0}, not_enabled_{0};
  std::array<std::atomic<uint64_t>, kProtoDropReasons> malformed_{};
};

}  // namespace mcr

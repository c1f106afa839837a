// source_watch: PIM source discovery in the engine, the userspace counterpart of the kernel's NOCACHE
// upcall. The engine thread calls note() for every datagram that arrives on a PIM interface (matched by
// a rule or not) and for every datagram a static rule re-originates onto one (`local`). The first
// datagram of each (interface, source, group) is reported at once, then one report per kRefreshNs while
// it keeps flowing (PIM's KeepAlive timer needs "still flowing" at least once a minute). A flow first
// seen with no route for it (`routed` false: the engine dropped it) is reported again at its first
// datagram a route took: PIM sets the SPT bit only on data it forwards (RFC 7761 §4.2.2), and an RP
// that set it on a dropped datagram stops decapsulating before the native copies are forwarded.
//
// Bounded on every side, so a flood of sources costs CPU, never memory or latency:
//   - a fixed set-associative table (kBuckets x kWays flows); a new flow whose bucket is full takes the
//     way idle longest if it has been idle for kIdleNs, else it is counted `tableFull` and not tracked;
//   - reports pass a token bucket (kReportsPerSec, burst kBurst); over it they are counted
//     `rateLimited` and the flow is retried on a later datagram;
//   - reports queue in a fixed single-producer/single-consumer ring; full = counted `queueFull`, retried.
// note() is O(1) (one bucket of four entries), never allocates and never blocks. The consumer (the
// addon, on the JS thread) is woken through `notify` when the ring turns non-empty, like ProtoRx.
// Exercised by native/test/test_source_watch.cc and relay/e2e/pim-*.e2e.test.ts.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>

#include "counters.h"

namespace mcr {

/* One report: (ifindex, source, group) seen; `local` = re-originated by us onto ifindex (source 0:
   the interface's own address, which the control plane knows); `routed` = a rule took the datagram;
   `at_ns` = its frame timestamp (CLOCK_REALTIME). Host byte order. */
struct SourceReport {
  uint32_t ifindex;
  uint32_t source;
  uint32_t group;
  uint32_t local;
  uint32_t routed;
  uint64_t at_ns;
};

class SourceWatch {
 public:
  static constexpr uint32_t kBuckets = 1024;
  static constexpr uint32_t kWays = 4;  // 4096 flows per engine
  static constexpr uint64_t kRefreshNs = 20'000'000'000;  // "still flowing" every 20 s (KeepAlive: 210 s)
  static constexpr uint64_t kIdleNs = 60'000'000'000;     // a flow silent this long may give up its entry
  static constexpr uint32_t kRingSize = 4096;             // power of two
  static constexpr uint64_t kReportsPerSec = 400;  // the supervisor spends up to ~1 ms on each (RPF lookup, PIM state)
  static constexpr uint64_t kBurst = 256;

  /* @counters: where tableFull / rateLimited / queueFull / reported are counted (global words). */
  explicit SourceWatch(uint64_t* counters);

  /* Whether a group is one PIM-SM tracks: 224/4 minus link-local 224.0.0.0/24 and SSM 232/8. */
  static bool watched_group(uint32_t group) {
    return (group >> 28) == 0xe && (group >> 8) != 0xe00000 && (group >> 24) != 232;
  }

  /* Engine thread. @now_ns: any monotonic-enough clock (the frame's timestamp); @routed: a rule took
     the datagram (re-originated ones always are). */
  void note(uint32_t ifindex, uint32_t source, uint32_t group, bool local, uint64_t now_ns, bool routed = true) {
    if (!watched_group(group)) return;
    Entry* e = find_or_insert(ifindex, source, group, local, now_ns);
    if (!e) return;
    e->last_seen = now_ns;
    const bool news = !e->reported || (routed && !e->routed);
    if (!news && now_ns - e->last_report < kRefreshNs) return;
    if (report(*e, routed, now_ns)) {
      e->reported = true;
      e->routed = routed;
      e->last_report = now_ns;
    }
  }

  /* Consumer: take up to @max reports; returns how many. */
  uint32_t drain(SourceReport* out, uint32_t max);
  /* Consumer: the ring turned non-empty while not armed -> notify() on the engine thread. */
  void set_notify(std::function<void()> notify) { notify_ = std::move(notify); }
  void rearm() { notified_.store(false, std::memory_order_seq_cst); }
  /* After a partial drain: true if the caller must schedule another drain (claims the notification). */
  bool claim_notify() { return !empty() && !notified_.exchange(true); }
  bool empty() const { return tail_.load(std::memory_order_relaxed) == head_.load(std::memory_order_acquire); }

 private:
  struct Entry {
    uint32_t ifindex;
    uint32_t source;
    uint32_t group;
    bool used;
    bool local;
    bool reported;
    bool routed;  // as last reported
    uint64_t last_seen;
    uint64_t last_report;
  };

  static uint32_t bucket_of(uint32_t ifindex, uint32_t source, uint32_t group) {
    uint64_t h = (uint64_t{group} << 32 | source) ^ (uint64_t{ifindex} * 0x9e3779b97f4a7c15ULL);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return static_cast<uint32_t>(h) & (kBuckets - 1);
  }

  Entry* find_or_insert(uint32_t ifindex, uint32_t source, uint32_t group, bool local, uint64_t now_ns);
  bool report(const Entry& e, bool routed, uint64_t now_ns);

  uint64_t* counters_;
  std::unique_ptr<Entry[]> table_;
  std::array<SourceReport, kRingSize> ring_{};
  std::atomic<uint64_t> head_{0};  // reports produced
  std::atomic<uint64_t> tail_{0};  // reports consumed
  std::atomic<bool> notified_{false};
  std::function<void()> notify_;
  uint64_t tokens_ = kBurst;  // engine thread only
  uint64_t tokens_at_ns_ = 0;
};

}  // namespace mcr

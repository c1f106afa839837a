// source_watch: see source_watch.h.
#include "source_watch.h"

namespace mcr {

const char* const kSourceWatchNames[kSourceWatchCounters] = {"reported", "tableFull", "rateLimited", "queueFull"};

SourceWatch::SourceWatch(uint64_t* counters)
    : counters_(counters), table_(std::make_unique<Entry[]>(size_t{kBuckets} * kWays)) {}

SourceWatch::Entry* SourceWatch::find_or_insert(uint32_t ifindex, uint32_t source, uint32_t group, bool local, uint64_t now_ns) {
  Entry* b = &table_[size_t{bucket_of(ifindex, source, group)} * kWays];
  Entry* victim = nullptr;
  for (uint32_t w = 0; w < kWays; ++w) {
    Entry& e = b[w];
    if (e.used && e.ifindex == ifindex && e.source == source && e.group == group && e.local == local) return &e;
    if (!e.used) {
      if (!victim || victim->used) victim = &e;
    } else if (now_ns - e.last_seen >= kIdleNs && (!victim || (victim->used && e.last_seen < victim->last_seen))) {
      victim = &e;
    }
  }
  if (!victim) {
    counter_add(counters_ + kSourcesTableFull, 1);
    return nullptr;
  }
  *victim = Entry{ifindex, source, group, true, local, false, false, now_ns, 0};
  return victim;
}

bool SourceWatch::report(const Entry& e, bool routed, uint64_t now_ns) {
  // Token bucket: kReportsPerSec, at most kBurst saved up.
  if (now_ns > tokens_at_ns_) {
    const uint64_t earned = (now_ns - tokens_at_ns_) * kReportsPerSec / 1'000'000'000u;
    if (earned > 0) {
      tokens_ = tokens_ + earned > kBurst ? kBurst : tokens_ + earned;
      tokens_at_ns_ = now_ns;
    }
  } else if (now_ns + kRefreshNs < tokens_at_ns_) {
    tokens_at_ns_ = now_ns;  // the clock went back (frame timestamps are CLOCK_REALTIME)
  }
  if (tokens_ == 0) {
    counter_add(counters_ + kSourcesRateLimited, 1);
    return false;
  }
  const uint64_t head = head_.load(std::memory_order_relaxed);
  if (head - tail_.load(std::memory_order_acquire) >= kRingSize) {
    counter_add(counters_ + kSourcesQueueFull, 1);
    return false;
  }
  --tokens_;
  ring_[head & (kRingSize - 1)] = SourceReport{e.ifindex, e.source, e.group, e.local ? 1u : 0u, routed ? 1u : 0u, now_ns};
  head_.store(head + 1, std::memory_order_release);
  counter_add(counters_ + kSourcesReported, 1);
  if (notify_ && !notified_.exchange(true)) notify_();
  return true;
}

uint32_t SourceWatch::drain(SourceReport* out, uint32_t max) {
  uint64_t tail = tail_.load(std::memory_order_relaxed);
  const uint64_t head = head_.load(std::memory_order_acquire);
  uint32_t n = 0;
  while (tail != head && n < max) out[n++] = ring_[tail++ & (kRingSize - 1)];
  tail_.store(tail, std::memory_order_release);
  return n;
}

}  // namespace mcr

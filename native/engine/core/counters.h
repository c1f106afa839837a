// counters: the engine's counter block, a flat array of uint64 that JS reads as a BigUint64Array.
//
// Layout (word = 8 bytes; all offsets in words; also exported to JS as `layout` by the addon so the
// TypeScript facade never hard-codes them):
//
//   [0, 32)                         global: rxFrames, rxBytes, ringDrops, ringFreezes, unmatched,
//                                   malformed[12] (ParseStatus order), txBatches, rxBlocks, tableGeneration,
//                                   sourceWatch[4] (SourceWatchCounter order)
//   [32, 32 + 4*MAX_RULE_SLOTS)     per rule slot:   packets, bytes, lastPacketNs, (reserved)
//   [..., + 16*MAX_OUTPUT_SLOTS)    per output slot: packets, bytes, sendErrors, errno buckets[11], (2 reserved)
//
// Writers: only the engine thread, with relaxed atomic load+store (single writer, no lock prefix needed);
// the JS thread zeroes a slot only while no published table references it. Readers: JS, plain 64-bit
// loads (naturally aligned, so never torn on the 64-bit targets Node supports).
// Exercised by native/test/test_counters.cc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "parse.h"

namespace mcr {

inline constexpr uint32_t kMaxRuleSlots = 32768;  // 10,000 rules per worker and then some (issue 13)
inline constexpr uint32_t kMaxOutputSlots = 65536;

inline constexpr size_t kGlobalWords = 32;
inline constexpr size_t kRuleWords = 4;
inline constexpr size_t kOutputWords = 16;

enum GlobalCounter : size_t {
  kRxFrames = 0,
  kRxBytes = 1,
  kRingDrops = 2,
  kRingFreezes = 3,
  kUnmatched = 4,
  kMalformedBase = 5,  // + (ParseStatus - 1), 12 words
  kTxBatches = kMalformedBase + kMalformedReasons,  // send syscalls (sendmmsg calls / io_uring_enter submits)
  kRxBlocks,                                        // ring blocks consumed
  kTableGeneration,                                 // generation of the table the engine thread runs
  kSourceWatchBase,                                 // + SourceWatchCounter, kSourceWatchCounters words
};
// PIM source discovery (source_watch.h): reports sent, flows not tracked (table full), reports over the
// rate limit and reports that found the queue full.
enum SourceWatchCounter : size_t { kSourcesReported = 0, kSourcesTableFull, kSourcesRateLimited, kSourcesQueueFull };
inline constexpr int kSourceWatchCounters = 4;
extern const char* const kSourceWatchNames[kSourceWatchCounters];
static_assert(kSourceWatchBase + kSourceWatchCounters <= kGlobalWords);

enum RuleCounter : size_t { kRulePackets = 0, kRuleBytes = 1, kRuleLastNs = 2 };
enum OutputCounter : size_t { kOutPackets = 0, kOutBytes = 1, kOutSendErrors = 2, kOutErrnoBase = 3 };

/* Errno buckets of an output slot, in order; the last one is "other". */
inline constexpr int kErrnoBuckets = 11;
extern const int kErrnoBucketValues[kErrnoBuckets - 1];
extern const char* const kErrnoBucketNames[kErrnoBuckets];
static_assert(kOutErrnoBase + kErrnoBuckets <= kOutputWords);

inline constexpr size_t kRuleBase = kGlobalWords;
inline constexpr size_t kOutputBase = kRuleBase + kRuleWords * kMaxRuleSlots;
inline constexpr size_t kTotalWords = kOutputBase + kOutputWords * kMaxOutputSlots;

/* Index of errno bucket for err (kErrnoBuckets - 1 = other). */
int errno_bucket(int err);

/* Owns the counter memory (anonymous mmap: zero pages cost nothing until touched). */
class CounterBlock {
 public:
  static std::shared_ptr<CounterBlock> create();  // throws SetupError on mmap failure
  ~CounterBlock();
  CounterBlock(const CounterBlock&) = delete;
  CounterBlock& operator=(const CounterBlock&) = delete;

  uint64_t* words() const { return words_; }
  size_t bytes() const { return kTotalWords * sizeof(uint64_t); }

  uint64_t* global() const { return words_; }
  uint64_t* rule(uint32_t slot) const { return words_ + kRuleBase + kRuleWords * slot; }
  uint64_t* output(uint32_t slot) const { return words_ + kOutputBase + kOutputWords * slot; }
  void zero_rule(uint32_t slot);
  void zero_output(uint32_t slot);

 private:
  explicit CounterBlock(uint64_t* w) : words_(w) {}
  uint64_t* words_;
};

/* Single-writer increment: relaxed load + relaxed store, no read-modify-write bus lock. */
inline void counter_add(uint64_t* c, uint64_t v) {
  __atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + v, __ATOMIC_RELAXED);
}
inline void counter_set(uint64_t* c, uint64_t v) { __atomic_store_n(c, v, __ATOMIC_RELAXED); }
inline uint64_t counter_get(const uint64_t* c) { return __atomic_load_n(c, __ATOMIC_RELAXED); }

}  // namespace mcr

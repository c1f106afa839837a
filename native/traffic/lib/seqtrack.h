// Per-stream sequence accounting for mcr-sink: duplicates, reordering and loss from the sequence
// numbers alone, in constant memory.
//
// A ring bitmap remembers which of the last kWindow sequence numbers below the highest one were seen.
//   seq >  highest: new; the bits skipped over are cleared (they now stand for the newer numbers)
//   seq <= highest and its bit set: duplicate
//   seq <  highest and its bit clear: reordered (late but first copy); its bit is set
//   seq more than kWindow below highest: counted as reordered (too old to tell a duplicate apart)
// lost = (highest + 1) - unique, since sequences start at 0: everything up to the highest seen
// number that never arrived.
#pragma once

#include <cstdint>
#include <vector>

namespace mcrt {

class SeqTracker {
 public:
  static constexpr uint64_t kWindow = 1u << 16;
  enum class Kind { in_order, reordered, duplicate };

  SeqTracker() : bits_(kWindow / 64, 0) {}

  /** observe - account one arriving sequence number; hot path, no allocation. */
  Kind observe(uint64_t seq);

  bool any() const { return any_; }
  uint64_t highest() const { return highest_; }
  uint64_t lowest() const { return lowest_; }
  uint64_t unique() const { return unique_; }
  uint64_t duplicates() const { return duplicates_; }
  uint64_t reordered() const { return reordered_; }
  uint64_t lost() const { return any_ && highest_ + 1 > unique_ ? highest_ + 1 - unique_ : 0; }

 private:
  bool test(uint64_t s) const { return bits_[(s % kWindow) / 64] >> (s % 64) & 1; }
  void set(uint64_t s) { bits_[(s % kWindow) / 64] |= 1ull << (s % 64); }
  void clear(uint64_t s) { bits_[(s % kWindow) / 64] &= ~(1ull << (s % 64)); }

  std::vector<uint64_t> bits_;
  bool any_ = false;
  uint64_t highest_ = 0, lowest_ = 0, unique_ = 0, duplicates_ = 0, reordered_ = 0;
};

}  // namespace mcrt

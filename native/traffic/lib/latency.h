// One-way latency statistics for mcr-sink without allocation per packet.
//
// Every sample goes into an HDR-style log-bucket histogram: 128 linear sub-buckets per power of two,
// so a reported percentile is within 0.8 % of the true value, at any magnitude from 1 ns to ~18 min,
// in 35 KB. Optionally the first N raw samples are also kept in a preallocated array; when all
// samples fit, percentiles are exact (computed from the array at the end).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mcrt {

struct LatencySummary {
  uint64_t count = 0;
  uint64_t p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0, min = 0;
  double mean = 0;
};

class LatencyStats {
 public:
  /** @exact_samples: raw samples kept for exact percentiles (0 = histogram only). */
  explicit LatencyStats(uint64_t exact_samples);

  /** record - add one sample (ns); hot path, no allocation. */
  void record(uint64_t ns) {
    if (ns < min_) min_ = ns;
    if (ns > max_) max_ = ns;
    sum_ += ns;
    if (count_ < samples_.size()) samples_[count_] = ns;
    count_++;
    counts_[bucket(ns)]++;
  }

  /** summary - percentiles over everything recorded; sorts the raw samples (call once, at the end). */
  LatencySummary summary();

  uint64_t count() const { return count_; }

 private:
  static constexpr int kSubBits = 7;
  static constexpr uint64_t kSub = 1u << kSubBits;
  static constexpr int kMaxExp = 40;
  static constexpr size_t kBuckets = (kMaxExp - kSubBits + 2) * kSub;

  static size_t bucket(uint64_t v) {
    if (v < kSub) return static_cast<size_t>(v);
    int e = 63 - __builtin_clzll(v);
    if (e > kMaxExp) return kBuckets - 1;
    uint64_t mantissa = v >> (e - kSubBits);  // in [kSub, 2*kSub)
    return static_cast<size_t>((e - kSubBits + 1) * kSub + (mantissa - kSub));
  }
  static uint64_t bucket_mid(size_t idx);
  uint64_t percentile_from_histogram(double q) const;

  std::vector<uint64_t> counts_;
  std::vector<uint64_t> samples_;
  uint64_t count_ = 0;
  uint64_t min_ = UINT64_MAX, max_ = 0;
  double sum_ = 0;
};

}  // namespace mcrt

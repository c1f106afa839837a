// Latency histogram and percentiles; see latency.h.
#include "latency.h"

#include <algorithm>
#include <cmath>

namespace mcrt {

LatencyStats::LatencyStats(uint64_t exact_samples) : counts_(kBuckets, 0), samples_(exact_samples, 0) {}

uint64_t LatencyStats::bucket_mid(size_t idx) {
  if (idx < kSub) return idx;
  uint64_t e = idx / kSub + kSubBits - 1;
  uint64_t mantissa = idx % kSub + kSub;
  uint64_t lo = mantissa << (e - kSubBits);
  uint64_t width = 1ull << (e - kSubBits);
  return lo + width / 2;
}

uint64_t LatencyStats::percentile_from_histogram(double q) const {
  // Rank of the q-quantile, 1-based: the smallest value with at least ceil(q * n) samples at or below.
  uint64_t rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
  if (rank < 1) rank = 1;
  uint64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); i++) {
    seen += counts_[i];
    if (seen >= rank) return std::clamp(bucket_mid(i), min_, max_);
  }
  return max_;
}

LatencySummary LatencyStats::summary() {
  LatencySummary s;
  s.count = count_;
  if (count_ == 0) return s;
  s.min = min_;
  s.max = max_;
  s.mean = sum_ / static_cast<double>(count_);
  const double qs[4] = {0.5, 0.9, 0.99, 0.999};
  uint64_t* outs[4] = {&s.p50, &s.p90, &s.p99, &s.p999};
  if (count_ <= samples_.size()) {
    std::sort(samples_.begin(), samples_.begin() + static_cast<long>(count_));
    for (int i = 0; i < 4; i++) {
      uint64_t rank = static_cast<uint64_t>(std::ceil(qs[i] * static_cast<double>(count_)));
      if (rank < 1) rank = 1;
      *outs[i] = samples_[rank - 1];
    }
  } else {
    for (int i = 0; i < 4; i++) *outs[i] = percentile_from_histogram(qs[i]);
  }
  return s;
}

}  // namespace mcrt

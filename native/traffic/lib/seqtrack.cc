// Sequence accounting; see seqtrack.h for the rules.
#include "seqtrack.h"

#include <algorithm>

namespace mcrt {

SeqTracker::Kind SeqTracker::observe(uint64_t seq) {
  if (!any_) {
    any_ = true;
    highest_ = lowest_ = seq;
    unique_ = 1;
    set(seq);
    return Kind::in_order;
  }
  if (seq < lowest_) lowest_ = seq;
  if (seq > highest_) {
    if (seq - highest_ >= kWindow) {
      std::fill(bits_.begin(), bits_.end(), 0);
    } else {
      for (uint64_t s = highest_ + 1; s < seq; s++) clear(s);
    }
    highest_ = seq;
    set(seq);
    unique_++;
    return Kind::in_order;
  }
  if (highest_ - seq >= kWindow) {
    unique_++;
    reordered_++;
    return Kind::reordered;
  }
  if (test(seq)) {
    duplicates_++;
    return Kind::duplicate;
  }
  set(seq);
  unique_++;
  reordered_++;
  return Kind::reordered;
}

}  // namespace mcrt

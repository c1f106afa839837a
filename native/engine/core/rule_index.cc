// rule_index: see rule_index.h.
#include "rule_index.h"

namespace mcr {

long RuleIndex::build(const std::vector<RuleKey>& keys, const std::vector<uint32_t>& values) {
  size_t cap = 16;
  while (cap < keys.size() * 2) cap <<= 1;
  slots_.assign(cap, Slot{RuleKey{}, kNone});
  mask_ = cap - 1;
  count_ = 0;
  has_source_rules_ = false;
  has_any_port_ = false;
  for (size_t n = 0; n < keys.size(); ++n) {
    const RuleKey& k = keys[n];
    size_t i = hash(k) & mask_;
    while (slots_[i].value != kNone) {
      if (slots_[i].key == k) return static_cast<long>(n);
      i = (i + 1) & mask_;
    }
    slots_[i] = Slot{k, values[n]};
    ++count_;
    if (k.src_ip != 0) has_source_rules_ = true;
    if (k.port == 0) has_any_port_ = true;
  }
  return -1;
}

}  // namespace mcr

// rule_index: see rule_index.h.
#include "rule_index.h"

namespace mcr {

long RuleIndex::build(const std::vector<RuleKey>& keys, const std::vector<uint32_t>& values) {
  const size_t cap = capacity_for(keys.size());
  slots_.assign(cap, Slot{RuleKey{}, kNone});
  mask_ = cap - 1;
  count_ = 0;
  source_keys_ = 0;
  any_port_keys_ = 0;
  for (size_t n = 0; n < keys.size(); ++n) {
    const RuleKey& k = keys[n];
    if (probe(k) != kNone) return static_cast<long>(n);
    place(k, values[n]);
  }
  return -1;
}

void RuleIndex::place(const RuleKey& k, uint32_t value) {
  size_t i = hash(k) & mask_;
  while (slots_[i].value != kNone) i = (i + 1) & mask_;
  slots_[i] = Slot{k, value};
  ++count_;
  if (k.src_ip != 0) ++source_keys_;
  if (k.port == 0) ++any_port_keys_;
}

void RuleIndex::rehash(size_t cap) {
  std::vector<Slot> old;
  old.swap(slots_);
  slots_.assign(cap, Slot{RuleKey{}, kNone});
  mask_ = cap - 1;
  count_ = 0;
  source_keys_ = 0;
  any_port_keys_ = 0;
  for (const Slot& s : old)
    if (s.value != kNone) place(s.key, s.value);
}

bool RuleIndex::insert(const RuleKey& k, uint32_t value) {
  if (probe(k) != kNone) return false;
  if (slots_.size() < (count_ + 1) * 2) rehash(capacity_for(count_ + 1));
  place(k, value);
  return true;
}

bool RuleIndex::erase(const RuleKey& k) {
  if (slots_.empty()) return false;
  size_t i = hash(k) & mask_;
  while (!(slots_[i].value != kNone && slots_[i].key == k)) {
    if (slots_[i].value == kNone) return false;
    i = (i + 1) & mask_;
  }
  // Backward shift: move later entries of the cluster into the hole unless that would put them before
  // their home slot, so every probe sequence stays unbroken without tombstones.
  for (size_t j = i;;) {
    j = (j + 1) & mask_;
    if (slots_[j].value == kNone) break;
    const size_t home = hash(slots_[j].key) & mask_;
    const bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
    if (stays) continue;
    slots_[i] = slots_[j];
    i = j;
  }
  slots_[i] = Slot{RuleKey{}, kNone};
  --count_;
  if (k.src_ip != 0) --source_keys_;
  if (k.port == 0) --any_port_keys_;
  if (slots_.size() > 16 && count_ * 8 < slots_.size()) rehash(capacity_for(count_));
  return true;
}

}  // namespace mcr

// rule_bench: see rule_bench.h.
#include "rule_bench.h"

#include <chrono>
#include <vector>

#include "rule_index.h"

namespace mcr {

RuleBenchResult bench_rule_lookup(uint32_t rules, uint64_t lookups, bool source_rules) {
  if (rules == 0) rules = 1;
  std::vector<RuleKey> keys;
  std::vector<uint32_t> vals;
  for (uint32_t i = 0; i < rules; ++i) {
    keys.push_back({2 + i % 4, 0xe0000000u | (i * 2654435761u >> 4), 0, static_cast<uint16_t>(5000 + i % 16)});
    vals.push_back(i);
    if (source_rules) {
      keys.push_back({2 + i % 4, 0xe0000000u | (i * 2654435761u >> 4), 0x0a000001u + i, static_cast<uint16_t>(5000 + i % 16)});
      vals.push_back(i);
    }
  }
  RuleIndex ix;
  ix.build(keys, vals);
  uint64_t hits = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (uint64_t n = 0; n < lookups; ++n) {
    const RuleKey& k = keys[n % keys.size()];
    // Packets come from some source; for any-source keys use one that matches no source rule.
    hits += ix.find(k.ifindex, k.dst_ip, k.port, k.src_ip ? k.src_ip : 0x0b000001u) != RuleIndex::kNone;
  }
  const auto t1 = std::chrono::steady_clock::now();
  const double ns = std::chrono::duration<double, std::nano>(t1 - t0).count();
  return {lookups ? ns / static_cast<double>(lookups) : 0.0, hits};
}

}  // namespace mcr

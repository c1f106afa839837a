// Rule index cases: exact lookup, source-specific precedence, duplicates, rebuild (table swap input).
#include "check.h"
#include "rule_index.h"

using mcr::RuleIndex;
using mcr::RuleKey;

TEST_CASE(rules_lookup_by_ifindex_group_port) {
  RuleIndex ix;
  CHECK_EQ(ix.build({{2, 0xef010101, 0, 5000}, {2, 0xef010101, 0, 5001}, {3, 0xef010101, 0, 5000}}, {10, 11, 12}), -1);
  CHECK_EQ(ix.find(2, 0xef010101, 5000, 0x0a000001), 10u);
  CHECK_EQ(ix.find(2, 0xef010101, 5001, 0x0a000001), 11u);
  CHECK_EQ(ix.find(3, 0xef010101, 5000, 0x0a000001), 12u);
  CHECK_EQ(ix.find(4, 0xef010101, 5000, 0x0a000001), RuleIndex::kNone);
  CHECK_EQ(ix.find(2, 0xef010102, 5000, 0x0a000001), RuleIndex::kNone);
  CHECK_EQ(ix.find(2, 0xef010101, 5002, 0x0a000001), RuleIndex::kNone);
}

TEST_CASE(rules_exact_source_wins_over_any_source) {
  RuleIndex ix;
  CHECK_EQ(ix.build({{2, 0xef010101, 0, 5000}, {2, 0xef010101, 0x0a000009, 5000}}, {1, 2}), -1);
  CHECK_EQ(ix.find(2, 0xef010101, 5000, 0x0a000009), 2u);
  CHECK_EQ(ix.find(2, 0xef010101, 5000, 0x0a000008), 1u);
}

TEST_CASE(rules_source_only_rule_ignores_other_sources) {
  RuleIndex ix;
  CHECK_EQ(ix.build({{2, 0xef010101, 0x0a000009, 5000}}, {7}), -1);
  CHECK_EQ(ix.find(2, 0xef010101, 5000, 0x0a000009), 7u);
  CHECK_EQ(ix.find(2, 0xef010101, 5000, 0x0a000001), RuleIndex::kNone);
}

TEST_CASE(rules_duplicate_key_reported_by_position) {
  RuleIndex ix;
  CHECK_EQ(ix.build({{2, 0xef010101, 0, 5000}, {2, 0xef010102, 0, 5000}, {2, 0xef010101, 0, 5000}}, {0, 1, 2}), 2);
}

TEST_CASE(rules_empty_index_matches_nothing) {
  RuleIndex ix;
  CHECK_EQ(ix.find(2, 0xef010101, 5000, 0), RuleIndex::kNone);
  CHECK_EQ(ix.build({}, {}), -1);
  CHECK_EQ(ix.find(2, 0xef010101, 5000, 0), RuleIndex::kNone);
}

TEST_CASE(rules_many_keys_all_found_after_rebuild) {
  std::vector<RuleKey> keys;
  std::vector<uint32_t> vals;
  for (uint32_t i = 0; i < 4096; ++i) {
    keys.push_back({1 + i % 7, 0xe0000000 | (i * 2654435761u >> 8), i % 3 ? 0u : 0x0a000000 + i, static_cast<uint16_t>(1000 + i)});
    vals.push_back(i);
  }
  RuleIndex ix;
  CHECK_EQ(ix.build(keys, vals), -1);
  CHECK_EQ(ix.size(), 4096u);
  for (uint32_t i = 0; i < 4096; ++i) CHECK_EQ(ix.find(keys[i].ifindex, keys[i].dst_ip, keys[i].port, keys[i].src_ip ? keys[i].src_ip : 1), i);
  // Rebuilding with half the keys (a table swap input) forgets the others.
  keys.resize(2048);
  vals.resize(2048);
  CHECK_EQ(ix.build(keys, vals), -1);
  CHECK_EQ(ix.find(keys[0].ifindex, keys[0].dst_ip, keys[0].port, keys[0].src_ip), 0u);
  CHECK_EQ(ix.find(1 + 3000 % 7, 0xe0000000 | (3000 * 2654435761u >> 8), 4000, 1), RuleIndex::kNone);
}

TEST_CASE(rules_any_port_matches_every_port_of_its_group) {
  RuleIndex ix;
  CHECK_EQ(ix.build({{2, 0xef010101, 0, 0}}, {4}), -1);
  CHECK_EQ(ix.find(2, 0xef010101, 5000, 0x0a000001), 4u);
  CHECK_EQ(ix.find(2, 0xef010101, 1, 0x0a000001), 4u);
  CHECK_EQ(ix.find(2, 0xef010101, 65535, 0), 4u);
  CHECK_EQ(ix.find(2, 0xef010102, 5000, 0x0a000001), RuleIndex::kNone);
  CHECK_EQ(ix.find(3, 0xef010101, 5000, 0x0a000001), RuleIndex::kNone);
}

TEST_CASE(rules_precedence_source_then_port) {
  // (src, port) > (src, any) > (any, port) > (any, any)
  const uint32_t g = 0xef010101, s = 0x0a000009;
  RuleIndex ix;
  CHECK_EQ(ix.build({{2, g, 0, 0}, {2, g, 0, 5000}, {2, g, s, 0}, {2, g, s, 5000}}, {1, 2, 3, 4}), -1);
  CHECK_EQ(ix.find(2, g, 5000, s), 4u);
  CHECK_EQ(ix.find(2, g, 6000, s), 3u);
  CHECK_EQ(ix.find(2, g, 5000, s + 1), 2u);
  CHECK_EQ(ix.find(2, g, 6000, s + 1), 1u);
  // Without the source-specific any-port rule, the source's other ports fall to the any-source rules.
  CHECK_EQ(ix.build({{2, g, 0, 0}, {2, g, 0, 5000}, {2, g, s, 5000}}, {1, 2, 4}), -1);
  CHECK_EQ(ix.find(2, g, 6000, s), 1u);
  CHECK_EQ(ix.find(2, g, 5000, s), 4u);
  // An any-port rule and an exact one on the same group are two keys, not a duplicate.
  CHECK_EQ(ix.build({{2, g, 0, 0}, {2, g, 0, 0}}, {1, 2}), 1);
}

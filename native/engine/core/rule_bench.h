// rule_bench: times RuleIndex::find inside C++ (a JS call per lookup would measure N-API, not the index).
// Used by bench/ through the addon's benchRuleLookup(rules, lookups, sourceRules?).
#pragma once

#include <cstdint>

namespace mcr {

struct RuleBenchResult {
  double ns_per_lookup;
  uint64_t hits;  // lookups that found a rule (all of them, unless the index is broken)
};

/**
 * Build an index of @rules any-source rules (plus as many source-specific ones if @source_rules) on
 * a few interfaces, then time @lookups finds cycling over the rules' keys.
 */
RuleBenchResult bench_rule_lookup(uint32_t rules, uint64_t lookups, bool source_rules);

}  // namespace mcr

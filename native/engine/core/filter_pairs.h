// filter_pairs: the (dst ip, dst port) pairs one input socket's BPF filter admits, kept as a set plus
// per-destination counts, so the program for the set as it would be after a change (build_filter of
// set ∪ plus ∖ minus) is found without walking every pair when it is the small multicast_filter (more
// than kMaxExactGroups destinations, or kAnyMulticast in the set): that program depends only on the
// unicast destinations. A rule change on an interface with thousands of groups then costs the change,
// not the table. Used by Engine (set_rules/update_rules); checked against build_filter by
// native/test/test_rule_update.cc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "bpf.h"

namespace mcr {

class FilterPairs {
 public:
  bool contains(GroupPort gp) const { return pairs_.count(gp) != 0; }
  void insert(GroupPort gp);  // no-op if present
  void erase(GroupPort gp);   // no-op if absent
  size_t size() const { return pairs_.size(); }
  const std::set<GroupPort>& pairs() const { return pairs_; }

  /**
   * filter - build_filter(pairs() ∪ @plus ∖ @minus), without building that set unless the exact program
   * is due. @plus and @minus must not share a pair; a pair of @plus already in the set, or of @minus not
   * in it, changes nothing.
   */
  std::vector<sock_filter> filter(const std::vector<GroupPort>& plus, const std::vector<GroupPort>& minus) const;
  std::vector<sock_filter> filter() const { return filter({}, {}); }

 private:
  std::set<GroupPort> pairs_;
  std::map<uint32_t, uint32_t> dsts_;  // destination -> pairs of the set with it (kAnyMulticast not counted)
  std::set<uint32_t> unicast_;         // the destinations that are not multicast
};

}  // namespace mcr

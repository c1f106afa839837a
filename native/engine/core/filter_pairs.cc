// filter_pairs: see filter_pairs.h. The decision mirrors build_filter (bpf.cc): the exact program for at
// most kMaxExactGroups destinations without kAnyMulticast (build_filter itself decides then, including
// its fallback past BPF_MAXINSNS), else multicast_filter of the unicast destinations.
#include "filter_pairs.h"

namespace mcr {

namespace {

bool is_multicast(uint32_t ip) { return (ip >> 28) == 0xe; }

}  // namespace

void FilterPairs::insert(GroupPort gp) {
  if (!pairs_.insert(gp).second || gp == kAnyMulticast) return;
  if (dsts_[gp.first]++ == 0 && !is_multicast(gp.first)) unicast_.insert(gp.first);
}

void FilterPairs::erase(GroupPort gp) {
  if (!pairs_.erase(gp) || gp == kAnyMulticast) return;
  auto it = dsts_.find(gp.first);
  if (--it->second == 0) {
    dsts_.erase(it);
    unicast_.erase(gp.first);
  }
}

std::vector<sock_filter> FilterPairs::filter(const std::vector<GroupPort>& plus, const std::vector<GroupPort>& minus) const {
  bool any = pairs_.count(kAnyMulticast) != 0;
  std::map<uint32_t, long> change;  // destination -> pairs gained (or lost)
  for (GroupPort gp : plus) {
    if (pairs_.count(gp)) continue;
    if (gp == kAnyMulticast)
      any = true;
    else
      ++change[gp.first];
  }
  for (GroupPort gp : minus) {
    if (!pairs_.count(gp)) continue;
    if (gp == kAnyMulticast)
      any = false;
    else
      --change[gp.first];
  }
  size_t dsts = dsts_.size();
  std::set<uint32_t> unicast = unicast_;
  for (auto [dst, n] : change) {
    auto it = dsts_.find(dst);
    const long before = it == dsts_.end() ? 0 : static_cast<long>(it->second);
    if (before == 0 && before + n > 0) {
      ++dsts;
      if (!is_multicast(dst)) unicast.insert(dst);
    } else if (before > 0 && before + n == 0) {
      --dsts;
      unicast.erase(dst);
    }
  }
  if (!any && dsts <= kMaxExactGroups) {
    std::set<GroupPort> all = pairs_;
    for (GroupPort gp : minus) all.erase(gp);
    all.insert(plus.begin(), plus.end());
    return build_filter(all);
  }
  return multicast_filter(unicast);
}

}  // namespace mcr

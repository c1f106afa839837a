// Rule changes by delta (Engine::update_rules) against the whole-table path (Engine::set_rules):
//   - the pieces: RuleIndex insert/erase against a rebuilt index, FilterPairs against build_filter;
//   - random sequences of adds, replaces, removes and watch-list changes applied to one engine through
//     update_rules and, as whole lists, to another through set_rules (and now and then to a fresh one):
//     the tables must describe alike (rules, outputs, egress sockets, joins, guards, the filter the
//     kernel holds), refusals must agree word for word and leave the table as it was;
//   - each refusal on its own, including a failure after joins (a filter the kernel refuses) whose
//     joins must be undone.
// The engine cases run in a private network namespace with two veth pairs (needs root; skips else).
#include <arpa/inet.h>
#include <net/if.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "bpf.h"
#include "check.h"
#include "engine.h"
#include "filter_pairs.h"
#include "netns.h"
#include "rule_index.h"
#include "setup_error.h"

using namespace mcr;

TEST_CASE(rule_update_index_insert_erase_match_a_rebuild) {
  std::mt19937 rng(7);
  RuleIndex ix;
  std::map<std::tuple<uint32_t, uint32_t, uint32_t, uint16_t>, uint32_t> model;
  auto key = [&](uint32_t n) {
    // Few distinct values per field: collisions, sources and any-port keys all occur.
    return RuleKey{2 + n % 3, 0xe0000000u | (n * 7919u % 2000u), n % 5 == 0 ? 0x0a000001u + n % 3 : 0u, static_cast<uint16_t>(n % 7 == 0 ? 0 : 5000 + n % 4)};
  };
  for (int step = 0; step < 40000; ++step) {
    // Grow to a few thousand keys, shrink to almost none, grow again: every resize path runs.
    const int phase = (step / 10000) % 2;
    const bool add = (rng() % 100) < (phase == 0 ? 70u : 30u);
    const RuleKey k = key(rng() % 6000);
    const auto t = std::make_tuple(k.ifindex, k.dst_ip, k.src_ip, k.port);
    if (add) {
      const bool fresh = !model.count(t);
      CHECK_EQ(ix.insert(k, static_cast<uint32_t>(step)), fresh);
      if (fresh) model[t] = static_cast<uint32_t>(step);
    } else {
      CHECK_EQ(ix.erase(k), model.erase(t) == 1);
    }
    if (step % 997 == 0) {
      CHECK_EQ(ix.size(), model.size());
      CHECK(ix.capacity() >= 16 && ix.capacity() >= 2 * ix.size());
      std::vector<RuleKey> keys;
      std::vector<uint32_t> vals;
      for (auto& [mk, v] : model) {
        keys.push_back({std::get<0>(mk), std::get<1>(mk), std::get<2>(mk), std::get<3>(mk)});
        vals.push_back(v);
      }
      RuleIndex fresh;
      CHECK_EQ(fresh.build(keys, vals), -1);
      for (uint32_t n = 0; n < 6000; n += 3) {
        const RuleKey q = key(n);
        for (uint32_t src : {0u, q.src_ip, 0x0b000001u}) {
          CHECK_EQ(ix.find(q.ifindex, q.dst_ip, static_cast<uint16_t>(5000 + n % 4), src),
                   fresh.find(q.ifindex, q.dst_ip, static_cast<uint16_t>(5000 + n % 4), src));
        }
        CHECK_EQ(ix.get(q), fresh.get(q));
      }
      size_t seen = 0;
      ix.for_each([&](const RuleKey&, uint32_t) { ++seen; });
      CHECK_EQ(seen, model.size());
    }
  }
}

TEST_CASE(rule_update_filter_pairs_match_build_filter) {
  std::mt19937 rng(11);
  for (int round = 0; round < 40; ++round) {
    FilterPairs fp;
    std::set<GroupPort> model;
    // Destinations: up to ~130 multicast groups (both sides of kMaxExactGroups), a few unicast ones,
    // any-port pairs and the watch marker.
    auto pair = [&] {
      const uint32_t r = rng() % 100;
      if (r < 3) return kAnyMulticast;
      if (r < 13) return GroupPort{0x0a4d0001u + rng() % 4, static_cast<uint16_t>(5000 + rng() % 3)};
      const uint32_t groups = round % 2 ? 130 : 50;
      return GroupPort{0xef010000u + rng() % groups, static_cast<uint16_t>(rng() % 5 == 0 ? 0 : 5000 + rng() % 3)};
    };
    for (int step = 0; step < 400; ++step) {
      std::vector<GroupPort> plus, minus;
      for (uint32_t n = rng() % 4; n > 0; --n) {
        const GroupPort gp = pair();
        if (std::find(minus.begin(), minus.end(), gp) == minus.end() && std::find(plus.begin(), plus.end(), gp) == plus.end()) plus.push_back(gp);
      }
      for (uint32_t n = rng() % (step < 200 ? 2 : 5); n > 0 && !model.empty(); --n) {
        auto it = model.begin();
        std::advance(it, rng() % model.size());
        if (std::find(plus.begin(), plus.end(), *it) == plus.end() && std::find(minus.begin(), minus.end(), *it) == minus.end()) minus.push_back(*it);
      }
      std::set<GroupPort> after = model;
      for (GroupPort gp : minus) after.erase(gp);
      after.insert(plus.begin(), plus.end());
      CHECK(same_program(fp.filter(plus, minus), build_filter(after)));
      CHECK(same_program(fp.filter(plus, {}), build_filter([&] {
                           std::set<GroupPort> u = model;
                           u.insert(plus.begin(), plus.end());
                           return u;
                         }())));
      for (GroupPort gp : plus) fp.insert(gp);
      for (GroupPort gp : minus) fp.erase(gp);
      model = after;
      CHECK_EQ(fp.size(), model.size());
      CHECK(fp.pairs() == model);
      CHECK(same_program(fp.filter(), build_filter(model)));
    }
  }
}

namespace {

/* Two veth pairs: a0 (10.77.0.1) ↔ b0 and a1 (10.77.1.1) ↔ b1. */
constexpr const char* kTwoVethPairs =
    "ip link set lo up && ip link add a0 type veth peer name b0 && ip link add a1 type veth peer name b1 && "
    "ip addr add 10.77.0.1/24 dev a0 && ip addr add 10.77.1.1/24 dev a1 && "
    "for i in a0 b0 a1 b1; do ip link set $i up || exit 1; done";

void report(int status) { mcrtest::report_child(__FILE__, __LINE__, status); }

EngineConfig small_rings(bool egress_packet = false) {
  EngineConfig cfg;
  cfg.ring = RingConfig{16384, 4, 1, 3};  // three engines at once: keep the rings small
  cfg.egress_packet = egress_packet;
  cfg.gso = egress_packet;
  return cfg;
}

std::string text(const RuleSpec& r) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%s slot %u in %s %08x:%u from %08x", r.id.c_str(), r.slot, r.in_ifname.c_str(), r.in_group, r.in_port, r.in_source);
  std::string s = buf;
  for (const OutputSpec& o : r.outputs) {
    std::snprintf(buf, sizeof buf, " | %u %s %08x:%u ttl %d tos %d%s%s%s %d %08x %08x %u %u %u", o.slot, o.ifname.c_str(), o.group, o.port,
                  o.ttl, o.tos, o.keep_source ? " keep" : "", o.report_local ? " local" : "", o.pim_register ? " reg" : "", o.reg.relayed,
                  o.reg.source, o.reg.group, o.reg.port, o.reg.ttl, o.reg.tos);
    s += buf;
  }
  return s;
}

std::string text(const std::vector<RuleSpec>& rules) {
  std::string s;
  for (const RuleSpec& r : rules) s += text(r) + "\n";
  return s;
}

/* Equal, or both printed (the child's verdict is then a failed CHILD_CHECK). */
bool same(const std::string& a, const std::string& b, const char* what) {
  if (a == b) return true;
  std::printf("    %s differ:\n--- got\n%s--- want\n%s---\n", what, a.c_str(), b.c_str());
  std::fflush(stdout);
  return false;
}

uint64_t generation(const Engine& e) { return counter_get(e.counters()->global() + kTableGeneration); }

/* start(), then wait until the thread has published the table it found (the generation counter). */
void start(Engine& e) {
  e.start();
  for (int i = 0; i < 400 && generation(e) == 0; ++i) usleep(5000);
  CHILD_CHECK(generation(e) != 0);
}

/* The old update_rules: the list set_rules gets for a change (the model both paths are held to). */
std::vector<RuleSpec> merge(const std::vector<RuleSpec>& table, const std::vector<std::string>& remove, const std::vector<RuleSpec>& add) {
  std::set<std::string> drop(remove.begin(), remove.end());
  std::map<std::string, size_t> added;
  for (size_t i = 0; i < add.size(); ++i) added.emplace(add[i].id, i);
  std::vector<bool> placed(add.size());
  std::vector<RuleSpec> next;
  for (const RuleSpec& r : table) {
    if (drop.count(r.id)) continue;
    auto a = added.find(r.id);
    if (a != added.end()) {
      placed[a->second] = true;
      next.push_back(add[a->second]);
    } else {
      next.push_back(r);
    }
  }
  for (size_t i = 0; i < add.size(); ++i)
    if (!placed[i]) next.push_back(add[i]);
  return next;
}

/* What a call threw: "" if nothing, else errno and message. */
template <class Fn>
std::string outcome(Fn&& fn) {
  try {
    fn();
    return "";
  } catch (const SetupError& e) {
    return std::to_string(e.err) + " " + e.what();
  } catch (const std::exception& e) {
    return std::string("exception ") + e.what();
  }
}

struct Gen {
  std::mt19937 rng;
  explicit Gen(uint32_t seed) : rng(seed) {}
  uint32_t pick(uint32_t n) { return rng() % n; }
  bool chance(uint32_t pct) { return pick(100) < pct; }

  OutputSpec output(uint32_t slot) {
    OutputSpec o{};
    o.slot = slot;
    o.ifname = pick(3) ? "a1" : "a0";
    o.group = pick(5) ? 0xef020000u + pick(30) : 0x0a4d0102u;  // mostly multicast, else unicast b1's side
    o.port = static_cast<uint16_t>(pick(4) == 0 ? 0 : 6000 + pick(3));
    o.ttl = std::vector<int>{1, 5, 64}[pick(3)];
    o.tos = std::vector<int>{-1, 0, 46}[pick(3)];
    o.keep_source = chance(10);
    o.report_local = chance(10);
    if (chance(8)) {
      o.pim_register = true;
      o.group = 0x0a4d0102u;  // the RP
      if (chance(50)) o.reg = RegisterSpec{true, 0x0a4d0101u, 0xef030001u + pick(3), static_cast<uint16_t>(7000 + pick(2)), 16, 0};
    }
    return o;
  }

  /* A rule that fits the table (free slots, an input key no other rule has), unless @wild. */
  RuleSpec rule(const std::string& id, const std::vector<RuleSpec>& table, const std::vector<RuleSpec>& also, bool wild) {
    std::set<uint32_t> rslots, oslots;
    std::set<std::tuple<std::string, uint32_t, uint16_t, uint32_t>> keys;
    for (const auto* list : {&table, &also})
      for (const RuleSpec& r : *list) {
        if (r.id == id) continue;  // the rule it replaces
        rslots.insert(r.slot);
        for (const OutputSpec& o : r.outputs) oslots.insert(o.slot);
        keys.insert({r.in_ifname, r.in_group, r.in_port, r.in_source});
      }
    RuleSpec r{};
    r.id = id;
    for (int tries = 0;; ++tries) {
      r.in_ifname = pick(5) ? "a0" : "a1";
      if (pick(6) == 0) {
        r.in_group = r.in_ifname == "a0" ? 0x0a4d0001u : 0x0a4d0101u;  // unicast to our own address: a port guard
        r.in_port = static_cast<uint16_t>(5000 + pick(3));
      } else {
        r.in_group = 0xef010000u + pick(100);  // past kMaxExactGroups on a0 once the table is big
        r.in_port = static_cast<uint16_t>(pick(4) == 0 ? 0 : 5000 + pick(3));
      }
      r.in_source = pick(4) == 0 ? 0x0a000001u + pick(2) : 0;
      if (wild || !keys.count({r.in_ifname, r.in_group, r.in_port, r.in_source}) || tries > 50) break;
    }
    auto free_slot = [&](std::set<uint32_t>& used, uint32_t range) {
      uint32_t s = pick(range);
      if (!wild)
        while (used.count(s)) s = (s + 1) % range;
      used.insert(s);
      return s;
    };
    r.slot = free_slot(rslots, 400);
    for (uint32_t n = pick(4); n > 0; --n) r.outputs.push_back(output(free_slot(oslots, 600)));
    if (wild) {
      // Now and then something set_rules refuses outright.
      switch (pick(8)) {
        case 0: if (!r.outputs.empty()) r.outputs[0].ttl = 0; break;
        case 1: if (!r.outputs.empty()) r.outputs[0].tos = 256; break;
        case 2: r.in_group = 0x0a4d0001u; r.in_port = 0; break;
        case 3: r.slot = kMaxRuleSlots + 1; break;
        case 4: r.in_ifname = "nope0"; break;
        case 5: if (!r.outputs.empty() && !r.outputs[0].pim_register) r.outputs[0].ifname = "nope1"; break;
        default: {
          // Another rule's slot, output slot or input.
          if (table.empty()) break;
          const RuleSpec& o = table[pick(static_cast<uint32_t>(table.size()))];
          if (o.id == id) break;
          if (pick(3) == 0) r.slot = o.slot;
          else if (pick(2) == 0 && !o.outputs.empty() && !r.outputs.empty()) r.outputs[0].slot = o.outputs[0].slot;
          else { r.in_ifname = o.in_ifname; r.in_group = o.in_group; r.in_port = o.in_port; r.in_source = o.in_source; }
        }
      }
    }
    return r;
  }
};

std::string dotted(uint32_t ip) {
  in_addr a{htonl(ip)};
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a, buf, sizeof buf);
  return buf;
}

bool is_multicast(uint32_t ip) { return (ip >> 28) == 0xe; }

/* Engine::describe() without the header templates (bytes the kernel's MAC and address decide). */
std::string without_templates(std::string d) {
  for (size_t at; (at = d.find(" tmpl")) != std::string::npos;) {
    size_t end = d.find(" mtu ", at) + 5;
    while (end < d.size() && d[end] >= '0' && d[end] <= '9') ++end;
    d.erase(at, end - at);
  }
  return d;
}

/* What Engine::describe() must say (templates left out) for @rules capturing as @cap says, worked out from
   the specs alone: each rule's key and outputs with the egress socket each must use, one input socket per
   interface with rules, watched or held holding exactly the groups, guards and filter its rules need, and
   exactly the egress sockets some output uses. Holds both paths to the contract, not just to each other. */
std::string expected_table(const std::vector<RuleSpec>& rules, const Capture& cap, const EngineConfig& cfg) {
  std::vector<std::string> lines;
  std::set<std::string> egress;
  struct Input {
    std::set<uint32_t> groups;
    std::set<std::pair<uint32_t, uint16_t>> guards;
    std::set<GroupPort> pairs;
    bool watched = false, held = false;
  };
  std::map<std::string, Input> inputs;
  auto ix = [](const std::string& name) { return std::to_string(if_nametoindex(name.c_str())); };
  for (const RuleSpec& r : rules) {
    std::string l = "rule " + ix(r.in_ifname) + " " + dotted(r.in_group) + ":" + std::to_string(r.in_port) + " from " + dotted(r.in_source) +
                    " slot " + std::to_string(r.slot);
    for (const OutputSpec& o : r.outputs) {
      std::string key;
      l += "\n  out slot " + std::to_string(o.slot) + " " + dotted(o.group) + ":";
      if (o.pim_register) {
        key = "@0 ttl 0 tos 0 register";
        l += "0 if 0 via " + key + " register relayed " + std::to_string(o.reg.relayed) + " " + dotted(o.reg.source) + " " +
             dotted(o.reg.group) + ":" + std::to_string(o.reg.port) + " ttl " + std::to_string(o.reg.ttl) + " tos " + std::to_string(o.reg.tos);
      } else {
        const bool packet = (cfg.egress_packet || o.keep_source) && is_multicast(o.group);
        key = packet ? o.ifname + "@" + ix(o.ifname) + " ttl 0 tos 0 packet" + (cfg.gso ? " gso" : "")
                     : o.ifname + "@" + ix(o.ifname) + " ttl " + std::to_string(o.ttl) + " tos " + std::to_string(o.tos);
        l += std::to_string(o.port) + " if " + ix(o.ifname) + (packet ? " packet" : "") + (packet && o.keep_source ? " keep-source" : "") +
             (o.report_local && is_multicast(o.group) ? " report-local" : "") + " via " + key;
      }
      egress.insert(key);
    }
    lines.push_back(l);
    Input& in = inputs[r.in_ifname];
    in.pairs.insert({r.in_group, r.in_port});
    if (is_multicast(r.in_group))
      in.groups.insert(r.in_group);
    else
      in.guards.insert({r.in_group, r.in_port});
  }
  for (const std::string& w : cap.watch) {
    inputs[w].watched = true;
    inputs[w].pairs.insert(kAnyMulticast);
  }
  for (const std::string& h : cap.hold) inputs[h].held = true;
  lines.push_back("rules " + std::to_string(rules.size()) + " at " + std::to_string(rules.size()) + " positions");
  for (const auto& [name, in] : inputs) {
    std::string l = "rx " + name + "@" + ix(name) + (in.watched ? " watch" : "") + (in.held ? " hold" : "") + " groups";
    for (uint32_t g : in.groups) l += " " + dotted(g);
    l += " guards";
    for (const auto& [a, p] : in.guards) l += " " + dotted(a) + ":" + std::to_string(p);
    const std::vector<sock_filter> prog = cfg.filter_any_udp ? any_udp_filter() : build_filter(in.pairs);
    uint64_t h = 1469598103934665603ull;
    for (const sock_filter& f : prog)
      for (uint64_t v : {uint64_t{f.code}, uint64_t{f.jt}, uint64_t{f.jf}, uint64_t{f.k}}) h = (h ^ v) * 1099511628211ull;
    lines.push_back(l + " filter " + std::to_string(prog.size()) + " insns " + std::to_string(h));
  }
  for (const std::string& k : egress) lines.push_back("egress " + k);
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

void random_changes(uint32_t seed, bool egress_packet) {
  Gen g(seed);
  Engine delta(small_rings(egress_packet)), whole(small_rings(egress_packet));
  std::vector<RuleSpec> table;
  Capture cap;
  int refused = 0, applied = 0;
  size_t most = 0, most_dsts = 0;  // rules; destinations on a0 (past kMaxExactGroups: the small filter)
  for (int step = 0; step < 400; ++step) {
    std::vector<std::string> remove;
    std::vector<RuleSpec> add;
    const bool wild = g.chance(15);
    const uint32_t removes = table.empty() ? 0 : g.pick(step < 250 ? 2 : 4);
    for (uint32_t n = 0; n < removes; ++n) remove.push_back(table[g.pick(static_cast<uint32_t>(table.size()))].id);
    if (wild && g.chance(20)) remove.push_back("r-unknown");
    const uint32_t adds = g.pick(step < 250 ? 6 : 3);
    for (uint32_t n = 0; n < adds; ++n) {
      // Ids from a small pool: an id already there is a replace (or a remove and re-add).
      std::string id = "r" + std::to_string(g.pick(160));
      bool repeat = false;
      for (const RuleSpec& a : add) repeat |= a.id == id;
      if (repeat && !(wild && g.chance(30))) continue;
      add.push_back(g.rule(id, merge(table, remove, {}), add, wild && n == 0));
    }
    Capture cap_now = cap;
    if (g.chance(10)) {
      cap_now.watch.clear();
      if (g.chance(50)) cap_now.watch.push_back("a0");
      if (g.chance(50)) cap_now.watch.push_back("a1");
      if (wild && g.chance(30)) cap_now.watch.push_back("nope2");
    }
    if (g.chance(10)) {
      // Held: with rules on it or none (b0 carries no rule's input), watched or not.
      cap_now.hold.clear();
      if (g.chance(50)) cap_now.hold.push_back("a0");
      if (g.chance(50)) cap_now.hold.push_back("b0");
      if (wild && g.chance(30)) cap_now.hold.push_back("nope3");
    }

    const std::vector<RuleSpec> merged = merge(table, remove, add);
    // Counters: slots new to the table must start from zero (stale values planted here), slots of rules
    // that stay keep theirs, and a refused change zeroes nothing.
    const CounterBlock& cb = *delta.counters();
    std::set<uint32_t> old_rule_slots, old_out_slots, new_rule_slots, new_out_slots;
    for (const RuleSpec& r : table) {
      old_rule_slots.insert(r.slot);
      for (const OutputSpec& o : r.outputs) old_out_slots.insert(o.slot);
    }
    for (const RuleSpec& r : add) {
      if (r.slot < kMaxRuleSlots && !old_rule_slots.count(r.slot)) new_rule_slots.insert(r.slot);
      for (const OutputSpec& o : r.outputs)
        if (o.slot < kMaxOutputSlots && !old_out_slots.count(o.slot)) new_out_slots.insert(o.slot);
    }
    for (uint32_t s : new_rule_slots) counter_set(cb.rule(s) + kRulePackets, 7);
    for (uint32_t s : new_out_slots) counter_set(cb.output(s) + kOutPackets, 7);
    for (uint32_t s : old_rule_slots) counter_set(cb.rule(s) + kRulePackets, 5);
    const std::string before = delta.describe();
    const uint64_t gen = generation(delta);
    const std::string got = outcome([&] { delta.update_rules(remove, add, cap_now); });
    for (uint32_t s : old_rule_slots) CHILD_CHECK(counter_get(cb.rule(s) + kRulePackets) == 5);
    for (uint32_t s : new_rule_slots) CHILD_CHECK(counter_get(cb.rule(s) + kRulePackets) == (got.empty() ? 0 : 7));
    for (uint32_t s : new_out_slots) CHILD_CHECK(counter_get(cb.output(s) + kOutPackets) == (got.empty() ? 0 : 7));
    // What the whole-table path says about the same resulting list; the id checks are update_rules' own.
    std::string want;
    std::set<std::string> ids, known;
    for (const RuleSpec& r : table) known.insert(r.id);
    for (size_t i = 0; i < add.size() && want.empty(); ++i)
      if (!ids.insert(add[i].id).second) want = std::to_string(EINVAL) + " setRules: EINVAL — add[" + std::to_string(i) + "] repeats rule id " + add[i].id;
    for (const std::string& id : remove)
      if (want.empty() && !known.count(id)) want = std::to_string(EINVAL) + " setRules: EINVAL — remove names rule " + id + ", which is not in the table";
    if (want.empty()) want = outcome([&] { whole.set_rules(merged, cap_now); });
    if (!same(got, want, "outcomes")) {
      std::printf("    seed %u step %d\n", seed, step);
      CHILD_CHECK(!"update_rules and set_rules disagree");
    }
    if (!got.empty()) {
      ++refused;
      CHILD_CHECK(same(delta.describe(), before, "table after a refused change"));
      CHILD_CHECK(generation(delta) == gen);
      continue;
    }
    ++applied;
    table = merged;
    cap = cap_now;
    most = std::max(most, table.size());
    {
      std::set<uint32_t> dsts;
      for (const RuleSpec& r : table)
        if (r.in_ifname == "a0") dsts.insert(r.in_group);
      most_dsts = std::max(most_dsts, dsts.size());
    }
    CHILD_CHECK(same(text(delta.specs()), text(table), "specs"));
    const std::string now = delta.describe();
    if (!same(now, whole.describe(), "update_rules and set_rules tables") ||
        !same(without_templates(now), expected_table(table, cap, small_rings(egress_packet)), "the table and what its rules need")) {
      std::printf("    seed %u step %d\n", seed, step);
      CHILD_CHECK(!"tables differ");
    }
    if (step % 50 == 49) {
      // A fresh engine given the list at once: nothing of the history (sockets, positions, queues) shows.
      Engine fresh(small_rings(egress_packet));
      fresh.set_rules(table, cap);
      CHILD_CHECK(same(delta.describe(), fresh.describe(), "update_rules and a fresh engine's tables"));
    }
  }
  std::printf("    seed %u%s: %d changes applied, %d refused, up to %zu rules (%zu groups on a0), %zu at the end\n", seed,
              egress_packet ? " (packet egress)" : "", applied, refused, most, most_dsts, table.size());
  CHILD_CHECK(applied > 150 && refused > 20 && most_dsts > kMaxExactGroups);
  // Empty it: every socket goes.
  std::vector<std::string> all;
  for (const RuleSpec& r : table) all.push_back(r.id);
  delta.update_rules(all, {}, {});
  whole.set_rules({}, {});  // and the capture lists: empty
  CHILD_CHECK(same(delta.describe(), whole.describe(), "emptied tables"));
  CHILD_CHECK(same(delta.describe(), "rules 0 at 0 positions\n", "an empty table"));
}

RuleSpec rule(const std::string& id, uint32_t slot, uint32_t group, uint16_t port, uint32_t out_slot) {
  return RuleSpec{id, slot, "a0", group, port, 0, {OutputSpec{out_slot, "a1", 0xef020202, 6000, 5, -1}}};
}

/* update_rules refuses with @msg (errno @err) and leaves the table as it was. */
void expect_refused(Engine& e, const std::vector<std::string>& remove, const std::vector<RuleSpec>& add, int err, const std::string& msg,
                    const Capture& cap = {}) {
  const std::string before = e.describe();
  const uint64_t gen = generation(e);
  const std::string got = outcome([&] { e.update_rules(remove, add, cap); });
  if (!same(got, std::to_string(err) + " " + msg, "refusal")) CHILD_CHECK(!"unexpected outcome");
  CHILD_CHECK(same(e.describe(), before, "table after a refused change"));
  CHILD_CHECK(generation(e) == gen);
}

}  // namespace

TEST_CASE(rule_update_random_changes_equal_set_rules) {
  report(mcrtest::in_private_netns([] { random_changes(1, false); }, kTwoVethPairs));
}

TEST_CASE(rule_update_random_changes_equal_set_rules_packet_egress) {
  report(mcrtest::in_private_netns([] { random_changes(2, true); }, kTwoVethPairs));
}

TEST_CASE(rule_update_refusals_leave_the_table_untouched) {
  report(mcrtest::in_private_netns(
      [] {
        Engine e(small_rings());
        e.set_rules({rule("a", 1, 0xef010101, 5000, 1), rule("b", 2, 0xef010102, 5000, 2), rule("c", 3, 0xef010103, 5000, 3)});
        start(e);
        const std::string pre = "setRules: EINVAL — ";
        expect_refused(e, {}, {rule("d", 2, 0xef010104, 5000, 4)}, EINVAL, pre + "rules[3].slot 2 is used by another rule");
        expect_refused(e, {}, {rule("d", 4, 0xef010104, 5000, 3)}, EINVAL, pre + "rules[3].outputs[0].slot 3 is used by another output");
        // A replaced rule keeps its place: the clash is reported at the later of the two, as set_rules would.
        expect_refused(e, {}, {rule("a", 3, 0xef010101, 5000, 1)}, EINVAL, pre + "rules[2].slot 3 is used by another rule");
        expect_refused(e, {}, {rule("d", 4, 0xef010104, 5000, 4), rule("e", 5, 0xef010105, 5000, 4)}, EINVAL,
                       pre + "rules[4].outputs[0].slot 4 is used by another output");
        RuleSpec bad = rule("d", 4, 0xef010104, 5000, 4);
        bad.outputs[0].ttl = 0;
        expect_refused(e, {}, {bad}, EINVAL, pre + "rules[3].outputs[0].ttl must be 1..255");
        bad.outputs[0].ttl = 5;
        bad.outputs[0].tos = 256;
        expect_refused(e, {}, {bad}, EINVAL, pre + "rules[3].outputs[0].tos must be 0..255");
        expect_refused(e, {}, {rule("d", kMaxRuleSlots, 0xef010104, 5000, 4)}, EINVAL,
                       pre + "rules[3].slot " + std::to_string(kMaxRuleSlots) + " out of range 0.." + std::to_string(kMaxRuleSlots - 1));
        expect_refused(e, {}, {rule("d", 4, 0x0a4d0001, 0, 4)}, EINVAL,
                       pre + "rules[3].input.port 0 (any port) needs a multicast group: a unicast input must name the port it guards");
        expect_refused(e, {}, {rule("d", 4, 0xef010102, 5000, 4)}, EINVAL, pre + "rules[3] (d) repeats the input a0 239.1.1.2:5000 of another rule");
        expect_refused(e, {"c"}, {rule("d", 4, 0xef010105, 5000, 4), rule("e", 5, 0xef010105, 5000, 5)}, EINVAL,
                       pre + "rules[3] (e) repeats the input a0 239.1.1.5:5000 of another rule");
        expect_refused(e, {"x"}, {}, EINVAL, pre + "remove names rule x, which is not in the table");
        expect_refused(e, {}, {rule("d", 4, 0xef010104, 5000, 4), rule("d", 5, 0xef010105, 5000, 5)}, EINVAL, pre + "add[1] repeats rule id d");
        RuleSpec nodev = rule("d", 4, 0xef010104, 5000, 4);
        nodev.in_ifname = "nope0";
        expect_refused(e, {}, {nodev}, ENODEV, "bind(AF_PACKET, nope0): ENODEV — interface does not exist");
        expect_refused(e, {}, {rule("d", 4, 0xef010104, 5000, 4)}, ENODEV, "bind(AF_PACKET, nope1): ENODEV — interface does not exist", Capture{{"nope1"}, {}});
        // A new input socket (on a1) and new joins on a0 are made before the output fails: all undone.
        RuleSpec other_if = rule("d", 4, 0xef010104, 5000, 4);
        other_if.in_ifname = "a1";
        RuleSpec no_out = rule("e", 5, 0xef010105, 5000, 5);
        no_out.outputs[0].ifname = "nope2";
        const std::string out_err = outcome([&] { e.update_rules({}, {other_if, no_out}); });
        CHILD_CHECK(out_err.rfind(std::to_string(ENODEV) + " ", 0) == 0 && out_err.find("nope2") != std::string::npos);
        // Replacing and removing still work after all that, and the same rules come back.
        const std::string start = e.describe();
        e.update_rules({"c"}, {rule("a", 1, 0xef010101, 5001, 1)});
        e.update_rules({"a"}, {rule("a", 1, 0xef010101, 5000, 1), rule("c", 3, 0xef010103, 5000, 3)});
        Engine fresh(small_rings());
        fresh.set_rules({rule("b", 2, 0xef010102, 5000, 2), rule("a", 1, 0xef010101, 5000, 1), rule("c", 3, 0xef010103, 5000, 3)});
        CHILD_CHECK(same(e.describe(), fresh.describe(), "tables"));
        CHILD_CHECK(same(e.describe(), start, "tables"));
        CHILD_CHECK(same(text(e.specs()), text(fresh.specs()), "specs"));
        e.stop();
      },
      kTwoVethPairs));
}

TEST_CASE(rule_update_failure_after_joins_undoes_them) {
  // The kernel refuses a socket filter larger than net.core.optmem_max (per namespace): with a small
  // limit, widening a0's filter for twenty new groups fails after those groups were joined.
  report(mcrtest::in_private_netns(
      [] {
        Engine e(small_rings());
        e.set_rules({rule("a", 1, 0xef010101, 5000, 1)});
        start(e);
        RuleSpec on_a1 = rule("b", 2, 0xef010101, 5000, 2);
        on_a1.in_ifname = "a1";
        e.update_rules({}, {on_a1});
        const std::string before = e.describe();
        const uint64_t gen = generation(e);
        std::vector<RuleSpec> add;
        // a0: one more group and a port guard (its filter widens within the limit); a1: a first rule, then
        // twenty groups more than its filter can hold: refused after a0 was joined, guarded and widened.
        add.push_back(rule("g", 8, 0xef010102, 5000, 8));
        add.push_back(rule("u", 9, 0x0a4d0001, 5050, 9));
        for (uint32_t i = 0; i < 20; ++i) {
          add.push_back(rule("n" + std::to_string(i), 10 + i, 0xef010200 + i, 5000, 10 + i));
          add.back().in_ifname = "a1";
        }
        {
          std::ofstream f("/proc/sys/net/core/optmem_max");
          f << 3072;
        }
        const std::string got = outcome([&] { e.update_rules({}, add); });
        std::printf("    %s\n", got.c_str());
        CHILD_CHECK(got.rfind(std::to_string(ENOMEM) + " setsockopt(SO_ATTACH_FILTER)(AF_PACKET, a1)", 0) == 0);
        CHILD_CHECK(same(e.describe(), before, "table after the refused change"));
        CHILD_CHECK(generation(e) == gen);
        {
          std::ofstream f("/proc/sys/net/core/optmem_max");
          f << 131072;
        }
        e.update_rules({}, add);
        Engine fresh(small_rings());
        add.insert(add.begin(), {rule("a", 1, 0xef010101, 5000, 1), on_a1});
        fresh.set_rules(add);
        CHILD_CHECK(same(e.describe(), fresh.describe(), "tables"));
        e.stop();
      },
      kTwoVethPairs));
}

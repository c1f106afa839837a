// engine: see engine.h. Rule changes (set_rules, update_rules, apply) first, the engine thread
// (run/drain/process_block) last.
#include "engine.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <ctime>
#include <algorithm>
#include <cstdio>
#include <set>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "parse.h"
#include "setup_error.h"

namespace mcr {

namespace {

constexpr int kPollTimeoutMs = 100;         // also the PACKET_STATISTICS period when idle
constexpr uint64_t kStatsPeriodNs = 100'000'000;
constexpr uint32_t kBlocksPerPass = 8;      // per socket, so one busy input cannot starve another
constexpr uint32_t kFramesPerPass = 256;    // V2: frames per batch (and per socket per pass)
constexpr auto kAckTimeout = std::chrono::seconds(5);

bool is_multicast(uint32_t ip) { return (ip >> 28) == 0xe; }

std::string dotted(uint32_t ip) {
  in_addr a{htonl(ip)};
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a, buf, sizeof buf);
  return buf;
}

SetupError invalid(const std::string& what) { return SetupError(EINVAL, "setRules", "", "", what); }

uint64_t mono_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

uint32_t resolve(const std::string& ifname, const char* syscall, const char* object) {
  if (ifname.empty() || ifname.size() >= IFNAMSIZ) throw SetupError(EINVAL, syscall, object, ifname, "bad interface name");
  uint32_t ix = if_nametoindex(ifname.c_str());
  if (ix == 0) throw SetupError(errno == ENXIO ? ENODEV : errno, syscall, object, ifname, "");
  return ix;
}

}  // namespace

Engine::Engine(const EngineConfig& cfg) : cfg_(cfg) {
  const RingConfig& r = cfg.ring;
  if (r.block_size < 16384 || r.block_size % static_cast<uint32_t>(getpagesize()) != 0 || r.block_count < 2 ||
      r.retire_ms < 1 || (r.version != 2 && r.version != 3))
    throw SetupError(EINVAL, "Engine", "ring", "", "ringBlockSize must be a page multiple >= 16384, ringBlockCount >= 2, ringRetireMs >= 1, ringVersion 2 or 3");
  counters_ = CounterBlock::create();
  watch_ = std::make_shared<SourceWatch>(counters_->global() + kSourceWatchBase);
  sender_ = cfg.backend == Backend::Uring ? make_uring_sender() : make_mmsg_sender();
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) throw SetupError(errno, "eventfd", "", "", "");
  current_ = std::make_unique<Table>();
  current_->batch = std::make_unique<SendBatch>(std::vector<QueueSpec>{});
  table_.store(current_.get(), std::memory_order_release);
}

Engine::~Engine() {
  stop();
  table_.store(nullptr);
  current_.reset();
  if (wake_fd_ >= 0) close(wake_fd_);
}

/* ---- rule changes (JS thread, under mu_) ---- */

/* A rule a change puts in, resolved. */
struct Engine::NewRule {
  RuleSpec spec;
  uint64_t seq;
  IfKey in;
  RuleKey key;
};

/* One change: the entries that go, the rules that come (in table order), the capture lists after it. */
struct Engine::Change {
  bool full = false;                         // set_rules: every entry goes; positions start over
  std::vector<RuleEntry*> gone;
  std::unordered_set<const RuleEntry*> leaving;  // update_rules: gone, as a set
  std::vector<NewRule> add;
  uint64_t next_seq = 0;                     // next_seq_ after the change
  RuleIndex index;                           // full: built over add (value = position in add)
  Capture capture;
  std::set<IfKey> watched, held;
  // Interface names resolve once per call, not once per rule: with thousands of rules on a few
  // interfaces, if_nametoindex's socket/ioctl/close per rule was most of the time of a change.
  std::map<std::string, uint32_t> ifindex_of;
  uint32_t ifindex(const std::string& name, const char* syscall, const char* object) {
    auto it = ifindex_of.find(name);
    if (it != ifindex_of.end()) return it->second;
    const uint32_t ix = resolve(name, syscall, object);
    ifindex_of.emplace(name, ix);
    return ix;
  }
  void resolve_capture(Capture given) {
    for (const std::string& w : given.watch) watched.insert({w, ifindex(w, "bind", "AF_PACKET")});
    for (const std::string& h : given.hold) held.insert({h, ifindex(h, "bind", "AF_PACKET")});
    capture = std::move(given);
  }
};

namespace {

/* What the kernel would not check: slot ranges and reuse, TTL/TOS ranges, port 0 on unicast. Slots in
   use as bitmaps (32768 + 65536 bits): a whole table stays a linear pass. */
void check_specs(const std::vector<RuleSpec>& rules) {
  std::vector<bool> rule_used(kMaxRuleSlots), out_used(kMaxOutputSlots);
  for (size_t i = 0; i < rules.size(); ++i) {
    const RuleSpec& r = rules[i];
    auto at = [&] { return "rules[" + std::to_string(i) + "]"; };  // composed only for a message
    if (r.slot >= kMaxRuleSlots) throw invalid(at() + ".slot " + std::to_string(r.slot) + " out of range 0.." + std::to_string(kMaxRuleSlots - 1));
    if (rule_used[r.slot]) throw invalid(at() + ".slot " + std::to_string(r.slot) + " is used by another rule");
    rule_used[r.slot] = true;
    if (r.in_port == 0 && !is_multicast(r.in_group))
      throw invalid(at() + ".input.port 0 (any port) needs a multicast group: a unicast input must name the port it guards");
    for (size_t j = 0; j < r.outputs.size(); ++j) {
      const OutputSpec& o = r.outputs[j];
      auto oat = [&] { return at() + ".outputs[" + std::to_string(j) + "]"; };
      if (o.slot >= kMaxOutputSlots) throw invalid(oat() + ".slot " + std::to_string(o.slot) + " out of range 0.." + std::to_string(kMaxOutputSlots - 1));
      if (out_used[o.slot]) throw invalid(oat() + ".slot " + std::to_string(o.slot) + " is used by another output");
      out_used[o.slot] = true;
      if (o.ttl < 1 || o.ttl > 255) throw invalid(oat() + ".ttl must be 1..255");
      if (o.tos > 255) throw invalid(oat() + ".tos must be 0..255");
    }
  }
}

/* rules[@dup] repeats the input key of an earlier rule. */
[[noreturn]] void refuse_duplicate(long dup, const RuleSpec& r) {
  throw invalid("rules[" + std::to_string(dup) + "] (" + r.id + ") repeats the input " + r.in_ifname + " " + dotted(r.in_group) +
                ":" + std::to_string(r.in_port) + (r.in_source ? " source " + dotted(r.in_source) : "") + " of another rule");
}

RuleKey key_of(const RuleSpec& r, uint32_t ifindex) { return RuleKey{ifindex, r.in_group, r.in_source, r.in_port}; }

/* m[key] += d, dropping the entry at zero. */
template <class M, class K>
void bump(M& m, const K& key, long d) {
  auto it = m.try_emplace(key, 0).first;
  it->second = static_cast<typename M::mapped_type>(static_cast<long>(it->second) + d);
  if (it->second == 0) m.erase(it);
}

template <class M, class K>
long count_in(const M& m, const K& key) {
  auto it = m.find(key);
  return it == m.end() ? 0 : static_cast<long>(it->second);
}

}  // namespace

void Engine::set_rules(std::vector<RuleSpec> rules, Capture capture) {
  std::lock_guard<std::mutex> lk(mu_);
  // 1. Check what the kernel would not.
  check_specs(rules);
  Change c;
  c.full = true;
  // 2. Resolve input and captured interfaces.
  std::vector<RuleKey> keys(rules.size());
  std::vector<uint32_t> vals(rules.size());
  c.add.reserve(rules.size());
  for (size_t i = 0; i < rules.size(); ++i) {
    RuleSpec& r = rules[i];
    const IfKey in{r.in_ifname, c.ifindex(r.in_ifname, "bind", "AF_PACKET")};
    keys[i] = key_of(r, in.second);
    vals[i] = static_cast<uint32_t>(i);
    c.add.push_back(NewRule{std::move(r), next_seq_ + i, in, keys[i]});
  }
  c.resolve_capture(std::move(capture));
  // 3. Lookup index (duplicate inputs are refused here, before any socket work).
  const long dup = c.index.build(keys, vals);
  if (dup >= 0) refuse_duplicate(dup, c.add[static_cast<size_t>(dup)].spec);
  c.next_seq = next_seq_ + rules.size();
  c.gone.reserve(rules_.size());
  for (auto& [seq, e] : order_) c.gone.push_back(e);
  apply(c);
}

void Engine::update_rules(const std::vector<std::string>& remove, std::vector<RuleSpec> add, Capture capture) {
  {
    std::unordered_set<std::string> ids;
    for (size_t i = 0; i < add.size(); ++i)
      if (!ids.insert(add[i].id).second) throw invalid("add[" + std::to_string(i) + "] repeats rule id " + add[i].id);
  }
  std::lock_guard<std::mutex> lk(mu_);
  Change c;
  for (const std::string& id : remove) {
    auto it = rules_.find(id);
    if (it == rules_.end()) throw invalid("remove names rule " + id + ", which is not in the table");
    if (c.leaving.insert(it->second.get()).second) c.gone.push_back(it->second.get());
  }
  // Table order after the change: a replaced rule keeps its place, other added ones go to the end.
  std::vector<std::pair<uint64_t, size_t>> replaced;  // (seq, index in add)
  std::vector<size_t> appended;
  for (size_t i = 0; i < add.size(); ++i) {
    auto it = rules_.find(add[i].id);
    if (it != rules_.end() && !c.leaving.count(it->second.get()))
      replaced.push_back({it->second->seq, i});
    else
      appended.push_back(i);
  }
  std::sort(replaced.begin(), replaced.end());
  c.add.reserve(add.size());
  for (auto [seq, i] : replaced) {
    RuleEntry* e = rules_.find(add[i].id)->second.get();
    c.leaving.insert(e);
    c.gone.push_back(e);
    c.add.push_back(NewRule{std::move(add[i]), seq, {}, {}});
  }
  for (size_t j = 0; j < appended.size(); ++j) c.add.push_back(NewRule{std::move(add[appended[j]]), next_seq_ + j, {}, {}});
  c.next_seq = next_seq_ + appended.size();

  // 1. set_rules' checks, against the rules that stay. Any finding is refused with the message
  // set_rules would give for the whole resulting list (composed from that list: rare, so it may cost it).
  {
    std::unordered_set<uint32_t> rule_slots, out_slots;  // taken by this change
    bool bad = false;
    for (const NewRule& nr : c.add) {
      const RuleSpec& r = nr.spec;
      if (r.slot >= kMaxRuleSlots) {
        bad = true;
      } else {
        const RuleEntry* owner = rule_slot_owner_.empty() ? nullptr : rule_slot_owner_[r.slot];
        bad |= (owner && !c.leaving.count(owner)) || !rule_slots.insert(r.slot).second;
      }
      bad |= r.in_port == 0 && !is_multicast(r.in_group);
      for (const OutputSpec& o : r.outputs) {
        if (o.slot >= kMaxOutputSlots) {
          bad = true;
        } else {
          const RuleEntry* owner = out_slot_owner_.empty() ? nullptr : out_slot_owner_[o.slot];
          bad |= (owner && !c.leaving.count(owner)) || !out_slots.insert(o.slot).second;
        }
        bad |= o.ttl < 1 || o.ttl > 255 || o.tos > 255;
      }
    }
    if (bad) refuse_merged(c, false);
  }
  // 2. Resolve the added rules' input interfaces (in table order, as set_rules would meet them), and
  // the capture lists when they changed.
  for (NewRule& nr : c.add) {
    nr.in = {nr.spec.in_ifname, c.ifindex(nr.spec.in_ifname, "bind", "AF_PACKET")};
    nr.key = key_of(nr.spec, nr.in.second);
  }
  if (capture == capture_) {
    c.capture = std::move(capture);
    c.watched = watched_;
    c.held = held_;
  } else {
    c.resolve_capture(std::move(capture));
  }
  // 3. Duplicate inputs: against the rules that stay, and among the added ones.
  {
    std::set<std::tuple<uint32_t, uint32_t, uint32_t, uint16_t>> keys;
    bool dup = false;
    for (const NewRule& nr : c.add) {
      const uint32_t pos = current_->index.get(nr.key);
      dup |= pos != RuleIndex::kNone && !c.leaving.count(pos_owner_[pos]);
      dup |= !keys.insert({nr.key.ifindex, nr.key.dst_ip, nr.key.src_ip, nr.key.port}).second;
    }
    if (dup) refuse_merged(c, true);
  }
  apply(c);
}

void Engine::refuse_merged(const Change& c, bool duplicate) const {
  // The list set_rules would be given: the running one with the change applied.
  std::map<uint64_t, const NewRule*> in_place;
  for (const NewRule& nr : c.add)
    if (nr.seq < next_seq_) in_place[nr.seq] = &nr;
  std::vector<RuleSpec> rules;
  std::vector<uint32_t> ifindex;
  for (const auto& [seq, e] : order_) {
    auto it = in_place.find(seq);
    if (it != in_place.end()) {
      rules.push_back(it->second->spec);
      ifindex.push_back(it->second->in.second);
    } else if (!c.leaving.count(e)) {
      rules.push_back(e->spec);
      ifindex.push_back(e->in.second);
    }
  }
  for (const NewRule& nr : c.add)
    if (nr.seq >= next_seq_) {
      rules.push_back(nr.spec);
      ifindex.push_back(nr.in.second);
    }
  if (!duplicate) check_specs(rules);
  std::vector<RuleKey> keys;
  std::vector<uint32_t> vals;
  for (size_t i = 0; i < rules.size(); ++i) {
    keys.push_back(key_of(rules[i], ifindex[i]));
    vals.push_back(static_cast<uint32_t>(i));
  }
  RuleIndex ix;
  const long dup = ix.build(keys, vals);
  if (duplicate && dup >= 0) refuse_duplicate(dup, rules[static_cast<size_t>(dup)]);
  throw invalid("the change contradicts the running table");  // not reached: the checks above agree
}

void Engine::apply(Change& c) {
  if (rule_slot_owner_.empty()) {
    rule_slot_owner_.assign(kMaxRuleSlots, nullptr);
    out_slot_owner_.assign(kMaxOutputSlots, nullptr);
  }

  // 4. Per input socket, what the change adds and takes away: pair, group, guard and user counts, and
  // from them the pairs that enter or leave the filter's set, groups to join or leave, guards to open
  // or close.
  struct InputDelta {
    std::map<GroupPort, long> pairs;
    std::map<uint32_t, long> groups;
    std::map<Guard, long> guards;
    long users = 0;
    InputState* base = nullptr;  // the socket's state before the change, if it has one
    std::shared_ptr<RxSocket> sock;
    bool keep = false;  // some rule or a capture list needs the socket after the change
    std::vector<GroupPort> plus, minus;
    std::vector<uint32_t> join, leave;
    std::vector<Guard> guard, unguard;
    std::vector<sock_filter> initial;  // a new socket's filter
  };
  std::map<IfKey, InputDelta> in;
  auto count = [&](const IfKey& k, const RuleSpec& r, long d) {
    InputDelta& x = in[k];
    x.pairs[{r.in_group, r.in_port}] += d;
    if (is_multicast(r.in_group))
      x.groups[r.in_group] += d;
    else
      x.guards[{r.in_group, r.in_port}] += d;
    x.users += d;
  };
  for (const RuleEntry* e : c.gone) count(e->in, e->spec, -1);
  for (const NewRule& nr : c.add) count(nr.in, nr.spec, +1);
  for (const IfKey& k : watched_)
    if (!c.watched.count(k)) {
      in[k].pairs[kAnyMulticast] -= 1;
      in[k].users -= 1;
    }
  for (const IfKey& k : c.watched)
    if (!watched_.count(k)) {
      in[k].pairs[kAnyMulticast] += 1;
      in[k].users += 1;
    }
  for (const IfKey& k : held_)
    if (!c.held.count(k)) in[k].users -= 1;
  for (const IfKey& k : c.held)
    if (!held_.count(k)) in[k].users += 1;
  for (auto& [k, x] : in) {
    auto it = inputs_.find(k);
    if (it != inputs_.end()) {
      x.base = &it->second;
      x.sock = it->second.sock;
    }
    x.keep = (x.base ? static_cast<long>(x.base->users) : 0) + x.users > 0;
    for (auto [gp, d] : x.pairs) {
      const long b = x.base ? count_in(x.base->pair_refs, gp) : 0;
      if (b == 0 && d > 0) x.plus.push_back(gp);
      if (b > 0 && b + d == 0) x.minus.push_back(gp);
    }
    for (auto [g, d] : x.groups) {
      const long b = x.base ? count_in(x.base->group_refs, g) : 0;
      if (b == 0 && d > 0) x.join.push_back(g);
      if (b > 0 && b + d == 0) x.leave.push_back(g);
    }
    for (auto [gp, d] : x.guards) {
      const long b = x.base ? count_in(x.base->guard_refs, gp) : 0;
      if (b == 0 && d > 0) x.guard.push_back(gp);
      if (b > 0 && b + d == 0) x.unguard.push_back(gp);
    }
  }

  // 5. Sockets: reuse what exists, open what is new. New ones close themselves if we throw.
  for (auto& [k, x] : in) {
    if (x.base || !x.keep) continue;
    const int fanout = cfg_.fanout_group >= 0 ? static_cast<int>((static_cast<uint32_t>(cfg_.fanout_group) + k.second) & 0xffff) : -1;
    x.initial = filter_for(std::set<GroupPort>(x.plus.begin(), x.plus.end()));
    x.sock = std::make_shared<RxSocket>(k.first, k.second, cfg_.ring, fanout, x.initial, cfg_.igmp_join);
  }

  // 6. The added rules' outputs; each gets its egress socket's queue once the set of sockets is known.
  std::map<std::string, EgressInterface> egress_if;  // MAC/address/MTU of raw-egress interfaces, once per change
  std::map<EgressId, std::shared_ptr<EgressSocket>> new_egress;
  std::map<EgressId, long> egress_delta;
  std::vector<std::unique_ptr<Table::Out[]>> blocks(c.add.size());
  std::vector<std::vector<EgressId>> block_egress(c.add.size());
  for (size_t i = 0; i < c.add.size(); ++i) {
    const RuleSpec& r = c.add[i].spec;
    if (!r.outputs.empty()) blocks[i] = std::make_unique<Table::Out[]>(r.outputs.size());
    block_egress[i].reserve(r.outputs.size());
    for (size_t j = 0; j < r.outputs.size(); ++j) {
      const OutputSpec& o = r.outputs[j];
      Table::Out& out = blocks[i][j];
      out = Table::Out{};
      EgressId id;
      if (o.pim_register) {
        // Unicast to the RP on the engine's one register socket; the kernel routes it.
        id = {EgressKey{"", 0, 0, false, false, true}, 0};
        out.slot = o.slot;
        out.pim_register = true;
        out.reg = o.reg;
        out.dst.sin_family = AF_INET;
        out.dst.sin_addr.s_addr = htonl(o.group);
      } else {
        const uint32_t out_ifindex = c.ifindex(o.ifname, "setsockopt(SO_BINDTODEVICE)", "UDP");
        // Raw egress only where it can build every header itself: multicast, an IPv4 address, Ethernet.
        // A keep-source output needs raw egress whatever the engine default (a UDP socket cannot send
        // from a foreign address); without a template it falls back to a socket and the relay's address.
        // So does an output with a source address of its own (a re-originated stream PIM forwards
        // onto another interface keeps the address the PIM domain knows it by).
        out.packet = (cfg_.egress_packet || o.keep_source || o.source != 0) && is_multicast(o.group);
        if (out.packet) {
          auto e = egress_if.find(o.ifname);
          if (e == egress_if.end()) e = egress_if.emplace(o.ifname, egress_interface(o.ifname)).first;
          out.packet = packet_template(e->second, o.group, o.port, o.ttl, o.tos, &out.tmpl);
          if (out.packet && o.source != 0) packet_set_source_address(&out.tmpl, o.source);
        }
        out.keep_source = out.packet && o.keep_source;
        id = {out.packet ? EgressKey{o.ifname, 0, 0, true, cfg_.gso} : EgressKey{o.ifname, o.ttl, o.tos, false}, out_ifindex};
        out.slot = o.slot;
        out.ifindex = out_ifindex;
        out.report_local = o.report_local && is_multicast(o.group);
        out.dst.sin_family = AF_INET;
        out.dst.sin_addr.s_addr = htonl(o.group);
        out.dst.sin_port = htons(o.port);
      }
      if (!egress_.count(id) && !new_egress.count(id)) new_egress.emplace(id, std::make_shared<EgressSocket>(id.first, id.second));
      egress_delta[id] += 1;
      block_egress[i].push_back(std::move(id));
    }
  }
  for (const RuleEntry* e : c.gone)
    for (const EgressId& id : e->egress) egress_delta[id] -= 1;
  // Queues: a socket that stays keeps its queue (outputs of unchanged rules name it); a new one takes
  // the lowest queue no socket of the next table holds.
  std::vector<std::shared_ptr<EgressSocket>> egress_next;
  for (auto& [id, st] : egress_) {
    if (static_cast<long>(st.refs) + count_in(egress_delta, id) <= 0) continue;
    if (egress_next.size() <= st.queue) egress_next.resize(st.queue + 1);
    egress_next[st.queue] = st.sock;
  }
  std::map<EgressId, uint32_t> new_queue;
  {
    uint32_t q = 0;
    for (auto& [id, s] : new_egress) {
      while (q < egress_next.size() && egress_next[q]) ++q;
      if (q == egress_next.size()) egress_next.emplace_back();
      egress_next[q] = s;
      new_queue[id] = q;
    }
  }
  for (size_t i = 0; i < c.add.size(); ++i)
    for (size_t j = 0; j < block_egress[i].size(); ++j) {
      const EgressId& id = block_egress[i][j];
      auto it = egress_.find(id);
      blocks[i][j].queue = it != egress_.end() ? it->second.queue : new_queue.at(id);
    }

  // 7. Memberships, port guards and widened filters; undone if this or building the table fails.
  std::vector<std::pair<RxSocket*, uint32_t>> joined;
  std::vector<std::pair<RxSocket*, Guard>> guarded;
  std::vector<std::pair<InputState*, std::vector<sock_filter>>> widened;  // with the filter it had
  auto undo = [&]() noexcept {
    for (auto& [s, g] : joined) s->leave(g);
    for (auto& [s, gp] : guarded) s->unguard(gp.first, gp.second);
    for (auto& [st, before] : widened) {
      try {
        st->sock->set_filter(before);
        st->filter = std::move(before);
      } catch (...) {
        // the wider filter stays (and st->filter says so); the lookup still refuses what no rule matches
      }
    }
  };
  struct Rollback {
    decltype(undo)& fn;
    bool armed = true;
    ~Rollback() {
      if (armed) fn();
    }
  } rollback{undo};
  for (auto& [k, x] : in) {
    if (!x.keep) continue;
    RxSocket& s = *x.sock;
    for (uint32_t g : x.join)
      if (!s.joined(g)) {
        s.join(g);
        joined.push_back({&s, g});
      }
    for (const Guard& gp : x.guard)
      if (!s.guarded(gp.first, gp.second)) {
        s.guard(gp.first, gp.second);
        guarded.push_back({&s, gp});
      }
    // A reused socket admits old and new pairs until the swap, so neither table misses frames.
    if (x.base && !x.plus.empty()) {
      std::vector<sock_filter> both = filter_of(x.base->pairs, x.plus, {});
      if (!same_program(both, x.base->filter)) {
        s.set_filter(both);
        widened.push_back({x.base, std::move(x.base->filter)});
        x.base->filter = std::move(both);
      }
    }
  }

  // 8. The next table (only allocation can fail here, and is undone like the steps above).
  auto next = std::make_unique<Table>();
  next->generation = next_generation_;
  std::vector<uint32_t> add_pos(c.add.size());
  std::vector<uint32_t> freed;  // positions the change frees
  size_t from_free = 0;         // positions taken from free_pos_
  if (c.full) {
    next->index = std::move(c.index);
    next->rules.resize(c.add.size());
    for (size_t i = 0; i < c.add.size(); ++i) add_pos[i] = static_cast<uint32_t>(i);
  } else {
    // The running table's arrays, copied (plain data: a memcpy each), with the change applied.
    next->index = current_->index;
    next->rules = current_->rules;
    for (const RuleEntry* e : c.gone) {
      next->index.erase(e->key);
      next->rules[e->pos] = Table::Rule{0, 0, nullptr};
      freed.push_back(e->pos);
    }
    for (size_t i = 0; i < c.add.size(); ++i) {
      uint32_t pos;
      if (i < freed.size()) {
        pos = freed[i];
      } else if (from_free < free_pos_.size()) {
        pos = free_pos_[free_pos_.size() - 1 - from_free++];
      } else {
        pos = static_cast<uint32_t>(next->rules.size());
        next->rules.push_back(Table::Rule{0, 0, nullptr});
      }
      add_pos[i] = pos;
      next->index.insert(c.add[i].key, pos);  // cannot collide: step 3 refused duplicates
    }
  }
  for (size_t i = 0; i < c.add.size(); ++i)
    next->rules[add_pos[i]] = Table::Rule{c.add[i].spec.slot, static_cast<uint32_t>(c.add[i].spec.outputs.size()), blocks[i].get()};
  std::map<IfKey, std::shared_ptr<RxSocket>> rx_next;
  for (auto& [k, st] : inputs_) {
    auto d = in.find(k);
    if (d == in.end() || d->second.keep) rx_next[k] = st.sock;
  }
  for (auto& [k, x] : in)
    if (!x.base && x.keep) rx_next[k] = x.sock;
  for (auto& [k, s] : rx_next) next->rx.push_back(s);
  std::vector<QueueSpec> queues;
  for (auto& e : egress_next) queues.push_back(e ? QueueSpec{e->fd(), e->gso()} : QueueSpec{-1, false});
  next->egress = std::move(egress_next);
  next->batch = std::make_unique<SendBatch>(queues);
  std::vector<std::unique_ptr<RuleEntry>> fresh(c.add.size());
  for (size_t i = 0; i < c.add.size(); ++i) {
    NewRule& nr = c.add[i];
    auto e = std::make_unique<RuleEntry>();
    e->spec = std::move(nr.spec);
    e->seq = nr.seq;
    e->in = nr.in;
    e->key = nr.key;
    e->pos = add_pos[i];
    e->outs = std::move(blocks[i]);
    e->egress = std::move(block_egress[i]);
    fresh[i] = std::move(e);
  }

  rollback.armed = false;  // the change is made from here on
  for (auto& [k, s] : rx_next) s->set_watch(c.watched.count(k) != 0);

  // 9. Slots that newly appear start from zero (no published table writes them now).
  for (const auto& e : fresh) {
    if (!rule_slot_owner_[e->spec.slot]) counters_->zero_rule(e->spec.slot);
    for (const OutputSpec& o : e->spec.outputs)
      if (!out_slot_owner_[o.slot]) counters_->zero_output(o.slot);
  }

  // 10. Swap. The outputs of rules that went are freed with the old table, once the thread let go.
  std::vector<std::unique_ptr<Table::Out[]>> retired;
  for (RuleEntry* e : c.gone) retired.push_back(std::move(e->outs));
  ++next_generation_;
  publish(std::move(next), std::move(retired));

  // 11. After the swap: the engine's own records, then narrow filters, leave groups and close guards
  // no rule needs any more.
  for (RuleEntry* e : c.gone) {
    rule_slot_owner_[e->spec.slot] = nullptr;
    for (const OutputSpec& o : e->spec.outputs) out_slot_owner_[o.slot] = nullptr;
    if (!c.full) pos_owner_[e->pos] = nullptr;
    order_.erase(e->seq);
    rules_.erase(e->spec.id);  // e is gone from here on
  }
  if (c.full) {
    pos_owner_.assign(c.add.size(), nullptr);
    free_pos_.clear();
  } else {
    free_pos_.resize(free_pos_.size() - from_free);
    for (size_t i = c.add.size(); i < freed.size(); ++i) free_pos_.push_back(freed[i]);
    for (size_t p = pos_owner_.size(); p < current_->rules.size(); ++p) pos_owner_.push_back(nullptr);
  }
  for (auto& e : fresh) {
    RuleEntry* raw = e.get();
    rule_slot_owner_[raw->spec.slot] = raw;
    for (const OutputSpec& o : raw->spec.outputs) out_slot_owner_[o.slot] = raw;
    pos_owner_[raw->pos] = raw;
    order_[raw->seq] = raw;
    rules_[raw->spec.id] = std::move(e);
  }
  next_seq_ = c.next_seq;

  for (auto& [k, x] : in) {
    if (!x.keep) {
      if (x.base) inputs_.erase(k);  // the socket closed with the old table
      continue;
    }
    InputState& st = x.base ? *x.base : inputs_[k];
    if (!x.base) {
      st.sock = x.sock;
      st.filter = std::move(x.initial);
    }
    for (auto [gp, d] : x.pairs) bump(st.pair_refs, gp, d);
    for (const GroupPort& gp : x.plus) st.pairs.insert(gp);
    for (const GroupPort& gp : x.minus) st.pairs.erase(gp);
    for (auto [g, d] : x.groups) bump(st.group_refs, g, d);
    for (auto [gp, d] : x.guards) bump(st.guard_refs, gp, d);
    st.users = static_cast<uint32_t>(static_cast<long>(st.users) + x.users);
    if (!x.base) continue;
    if (!x.minus.empty() || !x.plus.empty()) {
      std::vector<sock_filter> want = filter_of(st.pairs, {}, {});
      if (!same_program(want, st.filter)) {
        try {
          st.sock->set_filter(want);
          st.filter = std::move(want);
        } catch (...) {
          // keeps the wider filter: harmless, frames without a rule are counted as unmatched
        }
      }
    }
    for (uint32_t g : x.leave) st.sock->leave(g);
    for (const Guard& gp : x.unguard) st.sock->unguard(gp.first, gp.second);
  }
  for (auto& [id, d] : egress_delta) {
    auto it = egress_.find(id);
    if (it == egress_.end()) {
      if (d > 0) egress_.emplace(id, EgressState{new_egress.at(id), new_queue.at(id), static_cast<uint32_t>(d)});
      continue;
    }
    it->second.refs = static_cast<uint32_t>(static_cast<long>(it->second.refs) + d);
    if (it->second.refs == 0) egress_.erase(it);  // its socket closed with the old table
  }
  watched_ = std::move(c.watched);
  held_ = std::move(c.held);
  capture_ = std::move(c.capture);
}

std::vector<RuleSpec> Engine::specs() const {
  std::lock_guard<std::mutex> lk(mu_);
  std::vector<RuleSpec> out;
  out.reserve(order_.size());
  for (const auto& [seq, e] : order_) out.push_back(e->spec);
  return out;
}

std::string Engine::describe() const {
  std::lock_guard<std::mutex> lk(mu_);
  const Table& t = *current_;
  std::map<const EgressSocket*, const EgressId*> egress_id;
  for (const auto& [id, st] : egress_) egress_id[st.sock.get()] = &id;
  auto egress_name = [&](const std::shared_ptr<EgressSocket>& s) {
    auto it = egress_id.find(s.get());
    if (it == egress_id.end()) return std::string("unknown");
    const EgressKey& k = it->second->first;
    return k.ifname + "@" + std::to_string(it->second->second) + " ttl " + std::to_string(k.ttl) + " tos " + std::to_string(k.tos) +
           (k.packet ? " packet" : "") + (k.gso ? " gso" : "") + (k.pim_register ? " register" : "");
  };
  std::vector<std::string> lines;
  std::set<uint32_t> positions;
  t.index.for_each([&](const RuleKey& k, uint32_t pos) {
    positions.insert(pos);
    const Table::Rule& r = t.rules.at(pos);
    std::string l = "rule " + std::to_string(k.ifindex) + " " + dotted(k.dst_ip) + ":" + std::to_string(k.port) + " from " +
                    dotted(k.src_ip) + " slot " + std::to_string(r.slot);
    for (uint32_t i = 0; i < r.out_count; ++i) {
      const Table::Out& o = r.outs[i];
      l += "\n  out slot " + std::to_string(o.slot) + " " + dotted(ntohl(o.dst.sin_addr.s_addr)) + ":" + std::to_string(ntohs(o.dst.sin_port)) +
           " if " + std::to_string(o.ifindex) + (o.packet ? " packet" : "") + (o.keep_source ? " keep-source" : "") +
           (o.report_local ? " report-local" : "") + " via " + (o.queue < t.egress.size() && t.egress[o.queue] ? egress_name(t.egress[o.queue]) : "nothing");
      if (o.packet) {
        l += " tmpl";
        char hex[4];
        for (uint8_t b : o.tmpl.bytes) {
          snprintf(hex, sizeof hex, "%02x", b);
          l += hex;
        }
        l += " mtu " + std::to_string(o.tmpl.mtu);
      }
      if (o.pim_register)
        l += " register relayed " + std::to_string(o.reg.relayed) + " " + dotted(o.reg.source) + " " + dotted(o.reg.group) + ":" +
             std::to_string(o.reg.port) + " ttl " + std::to_string(o.reg.ttl) + " tos " + std::to_string(o.reg.tos);
    }
    lines.push_back(l);
  });
  lines.push_back("rules " + std::to_string(t.index.size()) + " at " + std::to_string(positions.size()) + " positions");
  for (const auto& s : t.rx) {
    std::string l = "rx " + s->ifname() + "@" + std::to_string(s->ifindex()) + (s->watch() ? " watch" : "") +
                    (held_.count({s->ifname(), s->ifindex()}) ? " hold" : "") + " groups";
    for (uint32_t g : s->groups()) l += " " + dotted(g);
    l += " guards";
    for (const auto& [a, p] : s->guard_keys()) l += " " + dotted(a) + ":" + std::to_string(p);
    // The program the kernel holds (SO_GET_FILTER: a length in instructions, then the instructions).
    socklen_t n = 0;
    if (getsockopt(s->fd(), SOL_SOCKET, SO_GET_FILTER, nullptr, &n) < 0) {
      l += " filter ?" + std::to_string(errno);
    } else {
      std::vector<sock_filter> prog(n);
      socklen_t len = n;
      if (n && getsockopt(s->fd(), SOL_SOCKET, SO_GET_FILTER, prog.data(), &len) < 0) l += " filter ?" + std::to_string(errno);
      uint64_t h = 1469598103934665603ull;
      for (const sock_filter& f : prog)
        for (uint64_t v : {uint64_t{f.code}, uint64_t{f.jt}, uint64_t{f.jf}, uint64_t{f.k}}) h = (h ^ v) * 1099511628211ull;
      l += " filter " + std::to_string(n) + " insns " + std::to_string(h);
    }
    lines.push_back(l);
  }
  for (const auto& e : t.egress)
    if (e) lines.push_back("egress " + egress_name(e));
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

void Engine::publish(std::unique_ptr<Table> next, std::vector<std::unique_ptr<Table::Out[]>> retired) {
  Table* raw = next.get();
  table_.store(raw, std::memory_order_release);
  std::unique_ptr<Table> old = std::move(current_);
  current_ = std::move(next);
  if (running_) {
    wake();
    const auto deadline = std::chrono::steady_clock::now() + kAckTimeout;
    while (acked_generation_.load(std::memory_order_acquire) < raw->generation) {
      if (std::chrono::steady_clock::now() > deadline) {
        // The engine thread is stuck (e.g. a blocked send): never free memory it may still read.
        old.release();
        for (auto& r : retired) r.release();
        return;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }
  // old (and retired) are destroyed here: sockets only the old table referenced are closed.
}

std::vector<sock_filter> Engine::filter_for(const std::set<GroupPort>& pairs) const {
  return cfg_.filter_any_udp ? any_udp_filter() : build_filter(pairs);
}

std::vector<sock_filter> Engine::filter_of(const FilterPairs& p, const std::vector<GroupPort>& plus, const std::vector<GroupPort>& minus) const {
  return cfg_.filter_any_udp ? any_udp_filter() : p.filter(plus, minus);
}

void Engine::wake() {
  uint64_t one = 1;
  ssize_t r = write(wake_fd_, &one, sizeof one);
  (void)r;  // EAGAIN means a wake-up is already pending
}

void Engine::start() {
  std::lock_guard<std::mutex> lk(mu_);
  if (running_) return;
  stop_.store(false);
  // The thread acknowledges from this generation on.
  acked_generation_.store(current_->generation, std::memory_order_release);
  running_ = true;
  thread_ = std::thread([this] { run(); });
  if (cfg_.cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cfg_.cpu, &set);
    int err = pthread_setaffinity_np(thread_.native_handle(), sizeof set, &set);
    if (err != 0) {
      stop_.store(true);
      wake();
      thread_.join();
      running_ = false;
      throw SetupError(err, "pthread_setaffinity_np", "cpu " + std::to_string(cfg_.cpu), "", "no such CPU or not allowed by the cpuset");
    }
  }
}

void Engine::stop() {
  std::lock_guard<std::mutex> lk(mu_);
  if (!running_) return;
  stop_.store(true, std::memory_order_release);
  wake();
  thread_.join();
  running_ = false;
}

/* ---- engine thread ---- */

void Engine::run() {
  const Table* seen = nullptr;
  std::vector<pollfd> pfds;
  pfds.reserve(64);
  uint64_t next_stats = mono_ns() + kStatsPeriodNs;
  uint64_t* g = counters_->global();
  PollPolicy policy(cfg_.poll);

  while (!stop_.load(std::memory_order_acquire)) {
    Table* t = table_.load(std::memory_order_acquire);
    if (t != seen) {
      // Quiescent point: nothing of the previous table is referenced past this line.
      seen = t;
      pfds.clear();
      for (auto& s : t->rx) pfds.push_back(pollfd{s->fd(), POLLIN, 0});
      pfds.push_back(pollfd{wake_fd_, POLLIN, 0});
      counter_set(g + kTableGeneration, t->generation);
      acked_generation_.store(t->generation, std::memory_order_release);
    }

    uint32_t frames = 0;
    bool more = false;
    for (auto& s : t->rx) {
      const Drained d = drain(*s, *t);
      frames += d.frames;
      more |= d.more;
    }

    const uint64_t now = mono_ns();
    if (frames) policy.on_frames(now, frames);
    if (now >= next_stats) {
      read_ring_stats(*t);
      next_stats = now + kStatsPeriodNs;
    }
    if (more) continue;
    // Busy polling (fixed or adaptive, poll_policy.h): keep checking the rings instead of sleeping in
    // poll(), so a frame arriving meanwhile costs no wake-up (TPACKET_V2 wakes the thread per frame).
    if (policy.spin(now)) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
      continue;
    }

    for (auto& p : pfds) p.revents = 0;
    int n = poll(pfds.data(), pfds.size(), kPollTimeoutMs);
    if (n <= 0) {
      policy.on_sleep(mono_ns());
      continue;
    }
    for (size_t i = 0; i + 1 < pfds.size(); ++i) {
      if (pfds[i].revents & POLLERR) {
        // e.g. ENETDOWN when the interface goes away: reading SO_ERROR clears it, so poll does not spin.
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(pfds[i].fd, SOL_SOCKET, SO_ERROR, &err, &len);
      }
    }
    if (pfds.back().revents & POLLIN) {
      uint64_t v;
      ssize_t r = read(wake_fd_, &v, sizeof v);
      (void)r;
    }
    policy.on_sleep(mono_ns());
  }
  read_ring_stats(*table_.load(std::memory_order_acquire));
}

void Engine::read_ring_stats(const Table& t) {
  uint64_t* g = counters_->global();
  uint64_t drops = 0, freezes = 0;
  for (auto& s : t.rx) s->read_stats(&drops, &freezes);
  if (drops) counter_add(g + kRingDrops, drops);
  if (freezes) counter_add(g + kRingFreezes, freezes);
}

Engine::Drained Engine::drain(RxSocket& rx, Table& t) {
  return rx.version() == 2 ? drain_frames(rx, t) : drain_blocks(rx, t);
}

Engine::Drained Engine::drain_blocks(RxSocket& rx, Table& t) {
  Drained d;
  uint32_t n = 0;
  while (n < kBlocksPerPass) {
    const tpacket_block_desc* b = rx.ready_block();
    if (!b) break;
    d.frames += process_block(rx, b, t);
    // Payload iovecs point into this block: every send must be done before the kernel gets it back.
    if (!t.batch->empty()) sender_->flush(*t.batch, *counters_);
    rx.release_block();
    ++n;
  }
  if (n) counter_add(counters_->global() + kRxBlocks, n);
  d.more = n == kBlocksPerPass;
  return d;
}

Engine::Drained Engine::drain_frames(RxSocket& rx, Table& t) {
  // V2: take every filled slot up to a batch, send the batch, then hand the slots back.
  uint64_t* g = counters_->global();
  uint32_t n = 0;
  uint64_t frames = 0, bytes = 0;
  const uint32_t slot = rx.frame_size();
  // Never past one lap of the ring: slot n % frame_count would be one this pass already holds.
  const uint32_t limit = std::min(kFramesPerPass, rx.frame_count());
  while (n < limit) {
    const tpacket2_hdr* h = rx.ready_frame(n);
    if (!h) break;
    ++n;
    const auto* base = reinterpret_cast<const uint8_t*>(h);
    const auto* sll = reinterpret_cast<const sockaddr_ll*>(base + TPACKET_ALIGN(sizeof(tpacket2_hdr)));
    if (h->tp_mac > slot || h->tp_snaplen > slot - h->tp_mac || sll->sll_pkttype == PACKET_OUTGOING) continue;
    ++frames;
    bytes += h->tp_len;
    handle_frame(rx, t, base + h->tp_mac, h->tp_snaplen,
                 OobVlan{(h->tp_status & TP_STATUS_VLAN_VALID) != 0, static_cast<uint16_t>(h->tp_vlan_tci)},
                 uint64_t{h->tp_sec} * 1'000'000'000u + h->tp_nsec);
  }
  if (n == 0) return {};
  if (!t.batch->empty()) sender_->flush(*t.batch, *counters_);
  rx.release_frames(n);
  counter_add(g + kRxFrames, frames);
  counter_add(g + kRxBytes, bytes);
  return {n, n == limit};
}

uint32_t Engine::process_block(RxSocket& rx, const tpacket_block_desc* b, Table& t) {
  uint64_t* g = counters_->global();
  const auto* base = reinterpret_cast<const uint8_t*>(b);
  const uint32_t block_size = rx.block_size();
  const uint32_t count = b->hdr.bh1.num_pkts;
  uint32_t off = b->hdr.bh1.offset_to_first_pkt;
  uint64_t frames = 0, bytes = 0;

  for (uint32_t i = 0; i < count; ++i) {
    if (off < sizeof(tpacket_block_desc) || off + sizeof(tpacket3_hdr) + sizeof(sockaddr_ll) > block_size) break;
    const auto* h = reinterpret_cast<const tpacket3_hdr*>(base + off);
    const auto* sll = reinterpret_cast<const sockaddr_ll*>(base + off + TPACKET_ALIGN(sizeof(tpacket3_hdr)));
    if (h->tp_mac <= block_size - off && h->tp_snaplen <= block_size - off - h->tp_mac &&
        sll->sll_pkttype != PACKET_OUTGOING) {
      ++frames;
      bytes += h->tp_len;
      handle_frame(rx, t, base + off + h->tp_mac, h->tp_snaplen,
                   OobVlan{(h->tp_status & TP_STATUS_VLAN_VALID) != 0, static_cast<uint16_t>(h->hv1.tp_vlan_tci)},
                   uint64_t{h->tp_sec} * 1'000'000'000u + h->tp_nsec);
    }
    if (h->tp_next_offset == 0) break;
    off += h->tp_next_offset;
  }
  counter_add(g + kRxFrames, frames);
  counter_add(g + kRxBytes, bytes);
  return count;
}

void Engine::handle_frame(RxSocket& rx, Table& t, const uint8_t* data, uint32_t len, OobVlan oob, uint64_t ts_ns) {
  uint64_t* g = counters_->global();
  ParsedFrame p;
  const ParseStatus st = parse_frame(data, len, oob, &p);
  if (st != ParseStatus::Ok) {
    counter_add(g + kMalformedBase + static_cast<size_t>(st) - 1, 1);
    return;
  }
  const uint32_t ri = t.index.find(rx.ifindex(), p.dst_ip, p.dst_port, p.src_ip);
  if (rx.watch()) watch_->note(rx.ifindex(), p.src_ip, p.dst_ip, false, ts_ns, ri != RuleIndex::kNone);
  if (ri == RuleIndex::kNone) {
    counter_add(g + kUnmatched, 1);
    return;
  }
  const Table::Rule& r = t.rules[ri];
  uint64_t* rc = counters_->rule(r.slot);
  counter_add(rc + kRulePackets, 1);
  counter_add(rc + kRuleBytes, p.payload_len);
  counter_set(rc + kRuleLastNs, ts_ns);
  const uint8_t* payload = data + p.payload_offset;
  for (uint32_t k = 0; k < r.out_count; ++k) {
    const Table::Out& o = r.outs[k];
    bool full;
    if (o.report_local) watch_->note(o.ifindex, 0, ntohl(o.dst.sin_addr.s_addr), true, ts_ns);
    if (o.pim_register) {
      full = queue_register(*t.batch, o.queue, &o.dst, o.reg, data, p, o.slot);
    } else if (o.packet) {
      if (p.payload_len + 28 > o.tmpl.mtu) {  // what a UDP socket would refuse with DF set
        SendBatch::account(*counters_, o.slot, -EMSGSIZE, 0);
        continue;
      }
      if (o.dst.sin_port == 0 || o.keep_source) {
        // Per-datagram fields into a copy of the template (it is consumed right away).
        PacketTemplate tp = o.tmpl;
        if (o.dst.sin_port == 0) packet_set_port(&tp, p.dst_port);
        if (o.keep_source) packet_set_source(&tp, p.src_ip, p.src_port);
        full = t.batch->add_packet(o.queue, tp, payload, p.payload_len, o.slot);
      } else {
        full = t.batch->add_packet(o.queue, o.tmpl, payload, p.payload_len, o.slot);
      }
    } else {
      full = t.batch->add(o.queue, &o.dst, payload, p.payload_len, o.slot, o.dst.sin_port == 0 ? p.dst_port : 0);
    }
    if (full) sender_->flush(*t.batch, *counters_);
  }
}

}  // namespace mcr

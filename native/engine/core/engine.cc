// engine: see engine.h. setup (set_rules) is first, the engine thread (run/drain/process_block) last.
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
#include <iterator>
#include <set>
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

void Engine::set_rules(std::vector<RuleSpec> rules, std::vector<std::string> watch) {
  std::lock_guard<std::mutex> lk(mu_);

  // 1. Check what the kernel would not: slot ranges and reuse, TTL/TOS ranges.
  // Slots in use as bitmaps (32768 + 65536 bits): a rule change on a big table stays a linear pass.
  std::vector<bool> rule_used(kMaxRuleSlots), out_used(kMaxOutputSlots);
  std::vector<uint32_t> rule_slots, out_slots;
  for (size_t i = 0; i < rules.size(); ++i) {
    const RuleSpec& r = rules[i];
    const std::string at = "rules[" + std::to_string(i) + "]";
    if (r.slot >= kMaxRuleSlots) throw invalid(at + ".slot " + std::to_string(r.slot) + " out of range 0.." + std::to_string(kMaxRuleSlots - 1));
    if (rule_used[r.slot]) throw invalid(at + ".slot " + std::to_string(r.slot) + " is used by another rule");
    rule_used[r.slot] = true;
    rule_slots.push_back(r.slot);
    if (r.in_port == 0 && !is_multicast(r.in_group))
      throw invalid(at + ".input.port 0 (any port) needs a multicast group: a unicast input must name the port it guards");
    for (size_t j = 0; j < r.outputs.size(); ++j) {
      const OutputSpec& o = r.outputs[j];
      const std::string oat = at + ".outputs[" + std::to_string(j) + "]";
      if (o.slot >= kMaxOutputSlots) throw invalid(oat + ".slot " + std::to_string(o.slot) + " out of range 0.." + std::to_string(kMaxOutputSlots - 1));
      if (out_used[o.slot]) throw invalid(oat + ".slot " + std::to_string(o.slot) + " is used by another output");
      out_used[o.slot] = true;
      out_slots.push_back(o.slot);
      if (o.ttl < 1 || o.ttl > 255) throw invalid(oat + ".ttl must be 1..255");
      if (o.tos > 255) throw invalid(oat + ".tos must be 0..255");
    }
  }

  // Interface names resolve once per call, not once per rule: with thousands of rules on a few
  // interfaces, if_nametoindex's socket/ioctl/close per rule was most of the time of a change.
  std::map<std::string, uint32_t> ifindex_of;
  auto ifindex = [&](const std::string& name, const char* syscall, const char* object) {
    auto it = ifindex_of.find(name);
    if (it != ifindex_of.end()) return it->second;
    const uint32_t ix = resolve(name, syscall, object);
    ifindex_of.emplace(name, ix);
    return ix;
  };
  std::map<std::string, EgressInterface> egress_if;  // likewise the MAC/address/MTU of raw-egress outputs

  // 2. Resolve interfaces and gather, per input interface, what its socket must admit and join.
  struct InputNeed {
    std::set<GroupPort> pairs;
    std::set<uint32_t> groups;
    std::set<std::pair<uint32_t, uint16_t>> guards;
  };
  std::map<IfKey, InputNeed> need;
  std::vector<IfKey> rule_if(rules.size());
  for (size_t i = 0; i < rules.size(); ++i) {
    const RuleSpec& r = rules[i];
    IfKey k{r.in_ifname, ifindex(r.in_ifname, "bind", "AF_PACKET")};
    rule_if[i] = k;
    InputNeed& n = need[k];
    n.pairs.insert({r.in_group, r.in_port});
    if (is_multicast(r.in_group))
      n.groups.insert(r.in_group);
    else
      n.guards.insert({r.in_group, r.in_port});
  }
  std::set<IfKey> watched;
  for (const std::string& w : watch) {
    IfKey k{w, ifindex(w, "bind", "AF_PACKET")};
    watched.insert(k);
    need[k].pairs.insert(kAnyMulticast);
  }

  auto next = std::make_unique<Table>();
  next->generation = next_generation_;

  // 3. Lookup index (duplicate inputs are refused here, before any socket work).
  {
    std::vector<RuleKey> keys;
    std::vector<uint32_t> vals;
    for (size_t i = 0; i < rules.size(); ++i) {
      keys.push_back({rule_if[i].second, rules[i].in_group, rules[i].in_source, rules[i].in_port});
      vals.push_back(static_cast<uint32_t>(i));
    }
    long dup = next->index.build(keys, vals);
    if (dup >= 0) {
      const RuleSpec& r = rules[static_cast<size_t>(dup)];
      throw invalid("rules[" + std::to_string(dup) + "] (" + r.id + ") repeats the input " + r.in_ifname + " " +
                    dotted(r.in_group) + ":" + std::to_string(r.in_port) +
                    (r.in_source ? " source " + dotted(r.in_source) : "") + " of another rule");
    }
  }

  // 4. Sockets: reuse what exists, open what is new. New ones close themselves if we throw.
  std::map<IfKey, std::shared_ptr<RxSocket>> rx_next;
  for (auto& [k, n] : need) {
    auto it = rx_.find(k);
    if (it != rx_.end()) {
      rx_next[k] = it->second;
    } else {
      int fanout = cfg_.fanout_group >= 0 ? static_cast<int>((static_cast<uint32_t>(cfg_.fanout_group) + k.second) & 0xffff) : -1;
      rx_next[k] = std::make_shared<RxSocket>(k.first, k.second, cfg_.ring, fanout, filter_for(n.pairs), cfg_.igmp_join);
    }
  }
  std::map<std::pair<EgressKey, uint32_t>, std::shared_ptr<EgressSocket>> egress_next;
  std::map<std::pair<EgressKey, uint32_t>, uint32_t> queue_of;
  std::vector<Table::Out> outs;  // in rule/output order; step 6 assigns them to rules
  // The send queue of an egress socket: the running table's socket when it has one, else a new one.
  auto queue_for = [&](const EgressKey& ek, uint32_t ix) {
    const std::pair<EgressKey, uint32_t> key{ek, ix};
    if (!egress_next.count(key)) {
      auto it = egress_.find(key);
      egress_next[key] = it != egress_.end() ? it->second : std::make_shared<EgressSocket>(ek, ix);
      queue_of[key] = static_cast<uint32_t>(next->egress.size());
      next->egress.push_back(egress_next[key]);
    }
    return queue_of.at(key);
  };
  for (const RuleSpec& r : rules) {
    for (const OutputSpec& o : r.outputs) {
      Table::Out out{};
      if (o.pim_register) {
        // Unicast to the RP on the engine's one register socket; the kernel routes it.
        out.queue = queue_for(EgressKey{"", 0, 0, false, false, true}, 0);
        out.slot = o.slot;
        out.pim_register = true;
        out.reg = o.reg;
        out.dst.sin_family = AF_INET;
        out.dst.sin_addr.s_addr = htonl(o.group);
        outs.push_back(out);
        continue;
      }
      const uint32_t out_ifindex = ifindex(o.ifname, "setsockopt(SO_BINDTODEVICE)", "UDP");
      // Raw egress only where it can build every header itself: multicast, an IPv4 address, Ethernet.
      // A keep-source output needs raw egress whatever the engine default (a UDP socket cannot send
      // from a foreign address); without a template it falls back to a socket and the relay's address.
      out.packet = (cfg_.egress_packet || o.keep_source) && is_multicast(o.group);
      if (out.packet) {
        auto e = egress_if.find(o.ifname);
        if (e == egress_if.end()) e = egress_if.emplace(o.ifname, egress_interface(o.ifname)).first;
        out.packet = packet_template(e->second, o.group, o.port, o.ttl, o.tos, &out.tmpl);
      }
      out.keep_source = out.packet && o.keep_source;
      EgressKey ek = out.packet ? EgressKey{o.ifname, 0, 0, true, cfg_.gso} : EgressKey{o.ifname, o.ttl, o.tos, false};
      out.queue = queue_for(ek, out_ifindex);
      out.slot = o.slot;
      out.ifindex = out_ifindex;
      out.report_local = o.report_local && is_multicast(o.group);
      out.dst.sin_family = AF_INET;
      out.dst.sin_addr.s_addr = htonl(o.group);
      out.dst.sin_port = htons(o.port);
      outs.push_back(out);
    }
  }

  // 5. Memberships, port guards and widened filters; undone if any step fails.
  std::vector<std::pair<RxSocket*, uint32_t>> joined;
  std::vector<std::pair<RxSocket*, std::pair<uint32_t, uint16_t>>> guarded;
  std::vector<IfKey> widened;
  try {
    for (auto& [k, n] : need) {
      RxSocket& s = *rx_next[k];
      for (uint32_t g : n.groups)
        if (!s.joined(g)) {
          s.join(g);
          joined.push_back({&s, g});
        }
      for (auto gp : n.guards)
        if (!s.guarded(gp.first, gp.second)) {
          s.guard(gp.first, gp.second);
          guarded.push_back({&s, gp});
        }
      // A reused socket admits old and new pairs until the swap, so neither table misses frames.
      if (rx_.count(k)) {
        const std::set<GroupPort>& now = rx_pairs_[k];
        if (!std::includes(now.begin(), now.end(), n.pairs.begin(), n.pairs.end())) {
          std::set<GroupPort> both = now;
          both.insert(n.pairs.begin(), n.pairs.end());
          s.set_filter(filter_for(both));
          widened.push_back(k);
        }
      }
    }
  } catch (...) {
    for (auto& [s, g] : joined) s->leave(g);
    for (auto& [s, gp] : guarded) s->unguard(gp.first, gp.second);
    for (const IfKey& k : widened) {
      try {
        rx_[k]->set_filter(filter_for(rx_pairs_[k]));
      } catch (...) {
        // the wider filter stays; the lookup still refuses what no rule matches
      }
    }
    throw;
  }

  // 6. The table proper. Nothing below can fail except allocation.
  next->outs = std::move(outs);
  uint32_t out_begin = 0;
  for (const RuleSpec& r : rules) {
    next->rules.push_back(Table::Rule{r.slot, out_begin, static_cast<uint32_t>(r.outputs.size())});
    out_begin += static_cast<uint32_t>(r.outputs.size());
  }
  for (auto& [k, s] : rx_next) {
    s->set_watch(watched.count(k) != 0);
    next->rx.push_back(s);
  }
  std::vector<QueueSpec> queues;
  for (auto& e : next->egress) queues.push_back({e->fd(), e->gso()});
  next->batch = std::make_unique<SendBatch>(queues);
  next->rule_slots = rule_slots;
  next->output_slots = out_slots;

  // 7. Slots that newly appear start from zero (no published table writes them now).
  {
    std::vector<bool> old_rules(kMaxRuleSlots), old_outs(kMaxOutputSlots);
    for (uint32_t s : current_->rule_slots) old_rules[s] = true;
    for (uint32_t s : current_->output_slots) old_outs[s] = true;
    for (uint32_t s : rule_slots)
      if (!old_rules[s]) counters_->zero_rule(s);
    for (uint32_t s : out_slots)
      if (!old_outs[s]) counters_->zero_output(s);
  }

  ++next_generation_;
  publish(std::move(next));

  // 8. After the swap: narrow filters, leave groups and close guards no rule needs any more.
  for (auto& [k, n] : need) {
    if (!rx_.count(k)) continue;
    RxSocket& s = *rx_next[k];
    if (rx_pairs_[k] != n.pairs || std::find(widened.begin(), widened.end(), k) != widened.end()) {
      try {
        s.set_filter(filter_for(n.pairs));
      } catch (...) {
        // keeps the wider filter: harmless, frames without a rule are counted as unmatched
      }
    }
    std::vector<uint32_t> gone;
    std::set_difference(s.groups().begin(), s.groups().end(), n.groups.begin(), n.groups.end(), std::back_inserter(gone));
    for (uint32_t g : gone) s.leave(g);
    for (auto gp : s.guard_keys())
      if (!n.guards.count(gp)) s.unguard(gp.first, gp.second);
  }
  rx_ = std::move(rx_next);
  rx_pairs_.clear();
  for (auto& [k, n] : need) rx_pairs_[k] = n.pairs;
  egress_ = std::move(egress_next);
  specs_ = std::move(rules);
  watch_ifs_ = std::move(watch);
}

void Engine::update_rules(const std::vector<std::string>& remove, std::vector<RuleSpec> add, std::vector<std::string> watch) {
  std::unordered_set<std::string> drop(remove.begin(), remove.end());
  std::unordered_map<std::string, size_t> added;
  for (size_t i = 0; i < add.size(); ++i)
    if (!added.emplace(add[i].id, i).second) throw invalid("add[" + std::to_string(i) + "] repeats rule id " + add[i].id);
  std::vector<RuleSpec> next;
  std::vector<bool> placed(add.size(), false);
  {
    std::lock_guard<std::mutex> lk(mu_);  // specs_ is written by set_rules under the same lock
    next.reserve(specs_.size() + add.size());
    for (const RuleSpec& r : specs_) {
      if (drop.erase(r.id)) continue;
      auto a = added.find(r.id);
      if (a != added.end()) {
        placed[a->second] = true;
        next.push_back(std::move(add[a->second]));  // replaced in place: the table keeps its order
        continue;
      }
      next.push_back(r);
    }
  }
  if (!drop.empty()) throw invalid("remove names rule " + *drop.begin() + ", which is not in the table");
  for (size_t i = 0; i < add.size(); ++i)
    if (!placed[i]) next.push_back(std::move(add[i]));
  set_rules(std::move(next), std::move(watch));
}

void Engine::publish(std::unique_ptr<Table> next) {
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
        return;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }
  // old is destroyed here: sockets only it referenced are closed.
}

std::vector<sock_filter> Engine::filter_for(const std::set<GroupPort>& pairs) const {
  return cfg_.filter_any_udp ? any_udp_filter() : build_filter(pairs);
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
  if (rx.watch()) watch_->note(rx.ifindex(), p.src_ip, p.dst_ip, false, ts_ns);
  const uint32_t ri = t.index.find(rx.ifindex(), p.dst_ip, p.dst_port, p.src_ip);
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
    const Table::Out& o = t.outs[r.out_begin + k];
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

// engine: one packet engine = rule tables + RX sockets + egress sockets + one thread that runs
// ring -> parse -> lookup -> batched send. No N-API here (the addon wraps it in engine_wrap.cc).
//
// Threads: the JS thread calls set_rules/update_rules/start/stop (serialized by a mutex); the engine
// thread only reads the published Table and writes counters.
//
// Table swap (RCU-like): a rule change builds the next Table, its sockets and memberships off the
// packet path, zeroes the counters of slots that newly appear, publishes it with one atomic pointer
// store, wakes the engine thread through an eventfd and waits until the thread acknowledges the new
// generation at the top of its loop (its quiescent point: it holds no pointer into the old table
// there). Only then is the old table freed, which closes sockets no table uses any more, and so are
// the output arrays of rules the change took out. Sockets of unchanged inputs/outputs are shared
// between the tables, so unchanged rules never lose a packet.
//
// Cost of a change (issue 13): the engine keeps, per installed rule, its spec, resolved input and
// output array (Table::Rule points at it; a published array is never written), and per input socket
// reference counts of its (group, port) pairs, joined groups and port guards, per egress socket a count
// of the outputs on it. update_rules then touches only what the change names: the next table is the
// running one's index and rule array copied (plain memcpy-able arrays) with the change applied, joins
// and guards are taken and released by count, a filter is rebuilt only when its pair set changes (and
// set only when the program differs). set_rules is the same machinery with every installed rule going
// out and every given rule coming in, so both paths build equivalent tables
// (native/test/test_rule_update.cc checks that).
// Exercised by native/test/test_engine.cc, native/test/test_rule_update.cc and
// relay/engine/engine.e2e.test.ts.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "counters.h"
#include "egress.h"
#include "filter_pairs.h"
#include "parse.h"
#include "poll_policy.h"
#include "register_encap.h"
#include "rule_index.h"
#include "rx_socket.h"
#include "source_watch.h"

namespace mcr {

enum class Backend { Mmsg, Uring };

struct EngineConfig {
  Backend backend = Backend::Mmsg;
  int fanout_group = -1;  // < 0: no PACKET_FANOUT
  int cpu = -1;           // < 0: no pinning
  RingConfig ring;
  bool filter_any_udp = false;  // `udp` filter mode: unknown groups reach the engine (unmatched)
  // Kernel IGMP join per input group (so switches and NICs deliver it). false: L2 membership only; the
  // kernel's IP layer then drops the group early instead of running it through UDP demux (issue 4: ~15 %
  // throughput), and IGMP reports must come from elsewhere (mcrd's own reporter/querier).
  bool igmp_join = true;
  // AF_PACKET egress for multicast outputs (headers built by the engine); unicast stays on UDP sockets.
  bool egress_packet = false;
  // When the engine thread checks its rings again instead of sleeping in poll() (poll_policy.h):
  // off by default, a fixed window (busyPollUs) or adaptive.
  PollPolicyConfig poll;
  // With egress_packet: consecutive datagrams of an output leave as one UDP GSO frame (egress_packet.h).
  bool gso = false;
};

struct OutputSpec {
  uint32_t slot;
  std::string ifname;
  uint32_t group;  // host byte order
  uint16_t port;  // 0 = the input datagram's destination port
  int ttl;
  int tos;  // -1 = default
  // Relay with the input datagram's IPv4 source address and UDP source port (learned routes: router
  // semantics for SSM receivers and PIM). Multicast only; forces raw egress for this output.
  bool keep_source = false;
  uint32_t source = 0;  // packet egress: send from this IPv4 address (0 = the interface's)
  // PIM: report this output's stream (our address on ifname, the output group) as a source we originate
  // there (source_watch.h), so mcrd registers it as its DR.
  bool report_local = false;
  // PIM Register output (register_encap.h): `group` is the RP; ifname is only informational.
  bool pim_register = false;
  RegisterSpec reg;
};

/* What the engine captures on besides its rules' inputs. */
struct Capture {
  // PIM interfaces: every multicast UDP datagram there (any group, matched or not) feeds the source watch.
  std::vector<std::string> watch;
  // Protocol interfaces: the input socket stays open with no rule on it. Opening one (its ring) costs
  // the kernel an RCU grace period, ~10 ms here, and closing another: a route learned there (an IGMP
  // join) would wait for it; held, the route only widens the filter.
  std::vector<std::string> hold;
  bool operator==(const Capture&) const = default;
};

struct RuleSpec {
  std::string id;
  uint32_t slot;
  std::string in_ifname;
  uint32_t in_group;   // host byte order
  uint16_t in_port;    // 0 = any port (multicast inputs only)
  uint32_t in_source;  // 0 = any
  std::vector<OutputSpec> outputs;
};

/* Immutable once published (except `batch`, the engine thread's scratch). */
struct Table {
  struct Out {
    uint32_t queue;  // index into egress / batch queues
    uint32_t slot;
    sockaddr_in dst;  // sin_port 0: an any-port output, sent to each datagram's own port
    bool packet;          // raw AF_PACKET egress with headers from tmpl
    bool keep_source;     // packet only: the datagram's own source address and port
    PacketTemplate tmpl;  // valid when packet
    uint32_t ifindex;
    bool report_local;    // note the stream in the source watch as ours (OutputSpec::report_local)
    bool pim_register;    // a Register to dst (the RP) on the register socket's queue
    RegisterSpec reg;
  };
  struct Rule {
    uint32_t slot;
    uint32_t out_count;  // 0 (and outs null) also for a position no rule holds
    const Out* outs;     // the rule's outputs, owned by the engine's entry for the rule (never written)
  };

  uint64_t generation = 0;
  RuleIndex index;          // input key -> position in rules
  std::vector<Rule> rules;  // by position; a position freed by a change is reused by a later one
  std::vector<std::shared_ptr<RxSocket>> rx;
  std::vector<std::shared_ptr<EgressSocket>> egress;  // by Out::queue; null: a queue no output uses
  std::unique_ptr<SendBatch> batch;
};

class Engine {
 public:
  explicit Engine(const EngineConfig& cfg);  // throws SetupError (io_uring setup, eventfd, counters)
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  /**
   * set_rules - replace the whole rule table, all or nothing.
   * @capture: interfaces captured on besides the rules' inputs (Capture).
   * Throws SetupError (EINVAL for inconsistent input, else the failing syscall); the running table is
   * then untouched.
   */
  void set_rules(std::vector<RuleSpec> rules, Capture capture = {});
  /**
   * update_rules - the running table with the rules whose ids are in @remove taken out and @add put in
   * (an added id that is already there replaces that rule in its place; added ids not there go to the
   * end), capturing as @capture says. Same all-or-nothing contract, checks and messages as set_rules of
   * the resulting list (messages name positions in that list), at the cost of the change: only the added
   * rules' interfaces are resolved (and @capture's when it differs from the running one), so a kept
   * rule whose interface was deleted or re-created is noticed by the next set_rules, not here.
   * An id in @remove that is not there is EINVAL (the caller's view is stale).
   */
  void update_rules(const std::vector<std::string>& remove, std::vector<RuleSpec> add, Capture capture = {});

  /* The installed rules in table order: what the running table was built from (set_rules' list with
     update_rules' changes applied). */
  std::vector<RuleSpec> specs() const;
  /* The running table as sorted text (rules by input with outputs and egress keys, input sockets with
     joins, guards, watch, hold and the filter the kernel holds, egress sockets): equal for equivalent tables
     however they were built. For tests. */
  std::string describe() const;
  void start();  // spawns the engine thread; no-op if running
  void stop();   // signals and joins; idempotent

  const std::shared_ptr<CounterBlock>& counters() const { return counters_; }
  /* PIM source reports; set its notify before start(). */
  const std::shared_ptr<SourceWatch>& source_watch() const { return watch_; }
  bool running() const { return running_; }

 private:
  using IfKey = std::pair<std::string, uint32_t>;  // (name, ifindex): a re-created interface is new
  using EgressId = std::pair<EgressKey, uint32_t>;  // (key, ifindex)
  using Guard = std::pair<uint32_t, uint16_t>;

  /* One installed rule. */
  struct RuleEntry {
    RuleSpec spec;
    uint64_t seq = 0;  // place in table order (specs())
    IfKey in;
    RuleKey key{};
    uint32_t pos = 0;  // position in Table::rules, the index's value
    std::unique_ptr<Table::Out[]> outs;
    std::vector<EgressId> egress;  // per output: the socket it sends on
  };
  /* One input socket and what the installed rules (and the capture lists) need of it. */
  struct InputState {
    std::shared_ptr<RxSocket> sock;
    std::map<GroupPort, uint32_t> pair_refs;  // rules per (group, port); kAnyMulticast: watched
    FilterPairs pairs;                         // the pairs with a count, i.e. what the filter admits
    std::map<uint32_t, uint32_t> group_refs;   // multicast inputs: rules per joined group
    std::map<Guard, uint32_t> guard_refs;      // unicast inputs: rules per port guard
    uint32_t users = 0;                        // rules + 1 if watched + 1 if held
    std::vector<sock_filter> filter;           // the program attached now
  };
  struct EgressState {
    std::shared_ptr<EgressSocket> sock;
    uint32_t queue = 0;
    uint32_t refs = 0;  // outputs on it
  };
  struct NewRule;
  struct Change;

  void apply(Change& c);
  std::vector<sock_filter> filter_for(const std::set<GroupPort>& pairs) const;
  std::vector<sock_filter> filter_of(const FilterPairs& p, const std::vector<GroupPort>& plus, const std::vector<GroupPort>& minus) const;
  [[noreturn]] void refuse_merged(const Change& c, bool duplicate) const;

  void run();
  /* What one pass over a ring took: frames, and whether it stopped at its per-pass limit. */
  struct Drained {
    uint32_t frames = 0;
    bool more = false;
  };
  Drained drain(RxSocket& rx, Table& t);
  Drained drain_blocks(RxSocket& rx, Table& t);
  Drained drain_frames(RxSocket& rx, Table& t);
  uint32_t process_block(RxSocket& rx, const struct tpacket_block_desc* b, Table& t);
  void handle_frame(RxSocket& rx, Table& t, const uint8_t* data, uint32_t len, OobVlan oob, uint64_t ts_ns);
  void read_ring_stats(const Table& t);
  void publish(std::unique_ptr<Table> next, std::vector<std::unique_ptr<Table::Out[]>> retired = {});
  void wake();

  EngineConfig cfg_;
  std::shared_ptr<CounterBlock> counters_;
  std::shared_ptr<SourceWatch> watch_;
  std::unique_ptr<Sender> sender_;
  int wake_fd_ = -1;

  mutable std::mutex mu_;
  std::unique_ptr<Table> current_;             // owned by the JS side; published through table_
  std::atomic<Table*> table_{nullptr};
  std::atomic<uint64_t> acked_generation_{0};
  std::atomic<bool> stop_{false};
  bool running_ = false;
  std::thread thread_;
  uint64_t next_generation_ = 1;

  // What the published table was built from (update_rules' base); written only under mu_.
  std::unordered_map<std::string, std::unique_ptr<RuleEntry>> rules_;  // by id
  std::map<uint64_t, RuleEntry*> order_;  // by seq: table order
  uint64_t next_seq_ = 0;
  std::vector<RuleEntry*> pos_owner_;    // by Table::rules position; null = free
  std::vector<uint32_t> free_pos_;       // the null ones
  std::vector<RuleEntry*> rule_slot_owner_, out_slot_owner_;  // by counter slot; null = free
  std::map<IfKey, InputState> inputs_;
  std::map<EgressId, EgressState> egress_;
  Capture capture_;                      // as given
  std::set<IfKey> watched_, held_;       // and resolved
};

}  // namespace mcr

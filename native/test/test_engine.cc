// Engine cases on real sockets: each runs in a forked child inside a private network namespace
// (unshare(CLONE_NEWNET): nothing to clean up, nothing visible outside), with two veth pairs:
//   inject (AF_PACKET on b0) -> a0 [engine] a1 -> b1 (AF_PACKET capture)
// Needs root (CAP_SYS_ADMIN + CAP_NET_RAW) and `ip`; skips (77) otherwise.
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "check.h"
#include "engine.h"
#include "frames.h"
#include "netns.h"
#include "parse.h"
#include "setup_error.h"

using namespace mcr;

namespace {

/* Two veth pairs: a0 (10.77.0.1) ↔ b0 and a1 (10.77.1.1) ↔ b1. */
constexpr const char* kTwoVethPairs =
    "ip link set lo up && ip link add a0 type veth peer name b0 && ip link add a1 type veth peer name b1 && "
    "ip addr add 10.77.0.1/24 dev a0 && ip addr add 10.77.1.1/24 dev a1 && "
    "for i in a0 b0 a1 b1; do ip link set $i up || exit 1; done";

int in_private_netns(void (*fn)()) { return mcrtest::in_private_netns(fn, kTwoVethPairs); }

int raw_socket(const char* ifname, int timeout_ms) {
  int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
  if (fd < 0) return -1;
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = static_cast<int>(if_nametoindex(ifname));
  if (bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) < 0) return -1;
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

void inject(int fd, uint32_t dst, uint16_t port, int count, size_t payload) {
  for (int i = 0; i < count; ++i) {
    mcrtest::FrameSpec s;
    s.dst = dst;
    s.dport = port;
    s.payload = payload;
    auto f = mcrtest::build_frame(s);
    f[14 + 20 + 8] = static_cast<uint8_t>(i);  // first payload byte = sequence
    if (send(fd, f.data(), f.size(), 0) < 0) perror("send");
  }
}

/* Capture UDP to dst:port on the socket until count arrive or the receive timeout hits; checks TTL and bytes. */
int capture(int fd, uint32_t dst, uint16_t port, int count, size_t payload, uint8_t ttl, bool* ok) {
  std::vector<uint8_t> buf(65536);
  int got = 0;
  *ok = true;
  while (got < count) {
    ssize_t n = recv(fd, buf.data(), buf.size(), 0);
    if (n < 0) break;
    ParsedFrame p;
    if (parse_frame(buf.data(), static_cast<size_t>(n), OobVlan{false, 0}, &p) != ParseStatus::Ok) continue;
    if (p.dst_ip != dst || p.dst_port != port) continue;
    if (p.ttl != ttl || p.payload_len != payload || buf[p.payload_offset] != static_cast<uint8_t>(got)) *ok = false;
    for (size_t k = 1; k < payload; ++k)
      if (buf[p.payload_offset + k] != static_cast<uint8_t>(k * 7 + 3)) *ok = false;
    ++got;
  }
  return got;
}

/* The capture can see a datagram before the engine thread has counted its send: poll briefly. */
bool eventually_eq(const uint64_t* counter, uint64_t want) {
  for (int i = 0; i < 200; ++i) {
    if (counter_get(counter) == want) return true;
    usleep(5000);
  }
  return counter_get(counter) == want;
}

RuleSpec rule(uint32_t slot, uint32_t out_slot, uint16_t out_port) {
  return RuleSpec{"r", slot, "a0", 0xef010101, 5000, 0, {OutputSpec{out_slot, "a1", 0xef020202, out_port, 5, -1}}};
}

void forward_swap_and_failed_swap(Backend backend, int ring_version, bool egress_packet = false) {
  int tx = raw_socket("b0", 1000), rx = raw_socket("b1", 1000);
  CHILD_CHECK(tx >= 0 && rx >= 0);
  EngineConfig cfg;
  cfg.backend = backend;
  cfg.ring.version = ring_version;
  cfg.egress_packet = egress_packet;
  cfg.poll = egress_packet ? PollPolicy::fixed(50'000) : PollPolicyConfig{};  // exercise the spin path in one variant
  Engine e(cfg);
  e.set_rules({rule(1, 2, 6000)});
  e.start();
  bool ok = false;
  inject(tx, 0xef010101, 5000, 10, 300);
  CHILD_CHECK(capture(rx, 0xef020202, 6000, 10, 300, 5, &ok) == 10 && ok);

  // A rule set naming a missing interface fails whole; the old table keeps forwarding.
  bool threw = false;
  try {
    RuleSpec bad = rule(3, 4, 6001);
    bad.in_ifname = "nope0";
    e.set_rules({rule(1, 2, 6000), bad});
  } catch (const SetupError& err) {
    threw = err.err == ENODEV && err.iface == "nope0" && std::string(err.what()) == "bind(AF_PACKET, nope0): ENODEV — interface does not exist";
  }
  CHILD_CHECK(threw);
  inject(tx, 0xef010101, 5000, 10, 300);
  CHILD_CHECK(capture(rx, 0xef020202, 6000, 10, 300, 5, &ok) == 10 && ok);
  const auto& c = *e.counters();
  CHILD_CHECK(eventually_eq(c.output(2) + kOutPackets, 20));
  CHILD_CHECK(counter_get(c.rule(1) + kRulePackets) == 20);
  CHILD_CHECK(counter_get(c.output(2) + kOutBytes) == 20 * 300);

  // Swap to a new output slot and port: the new slot starts at zero and takes the traffic.
  counter_add(c.output(9) + kOutPackets, 123);  // stale value from an earlier life of slot 9
  e.set_rules({rule(1, 9, 6009)});
  CHILD_CHECK(counter_get(c.output(9) + kOutPackets) == 0);
  inject(tx, 0xef010101, 5000, 10, 300);
  CHILD_CHECK(capture(rx, 0xef020202, 6009, 10, 300, 5, &ok) == 10 && ok);
  CHILD_CHECK(eventually_eq(c.output(9) + kOutPackets, 10));
  CHILD_CHECK(counter_get(c.global() + kTableGeneration) == 2);  // the failed set_rules published nothing

  // No rules: the input's socket is closed, nothing more is read.
  e.set_rules({});
  const uint64_t frames = counter_get(c.global() + kRxFrames);
  inject(tx, 0xef010101, 5000, 10, 300);
  usleep(100 * 1000);
  CHILD_CHECK(counter_get(c.global() + kRxFrames) == frames);
  e.stop();
  e.stop();
}

void report(int status) { mcrtest::report_child(__FILE__, __LINE__, status); }

}  // namespace

TEST_CASE(engine_mmsg_forwards_swaps_and_survives_a_failed_swap) {
  report(in_private_netns([] { forward_swap_and_failed_swap(Backend::Mmsg, 3); }));
}

TEST_CASE(engine_uring_forwards_swaps_and_survives_a_failed_swap) {
  report(in_private_netns([] { forward_swap_and_failed_swap(Backend::Uring, 3); }));
}

TEST_CASE(engine_tpacket_v2_forwards_swaps_and_survives_a_failed_swap) {
  report(in_private_netns([] { forward_swap_and_failed_swap(Backend::Mmsg, 2); }));
}

TEST_CASE(engine_packet_egress_forwards_swaps_and_survives_a_failed_swap) {
  report(in_private_netns([] { forward_swap_and_failed_swap(Backend::Mmsg, 3, true); }));
}

TEST_CASE(engine_tpacket_v2_full_small_ring_is_drained_once) {
  // 2 blocks x 16 KiB of 2 KiB slots = 16 slots. Fill all of them before the thread starts: one drain
  // pass must take each frame exactly once, not wrap around onto slots it already holds.
  report(in_private_netns([] {
    int tx = raw_socket("b0", 1000), rx = raw_socket("b1", 1000);
    CHILD_CHECK(tx >= 0 && rx >= 0);
    EngineConfig cfg;
    cfg.ring = RingConfig{16384, 2, 1, 2};
    Engine e(cfg);
    e.set_rules({rule(1, 2, 6000)});
    inject(tx, 0xef010101, 5000, 20, 300);  // 4 beyond the ring: dropped by the kernel
    usleep(50 * 1000);
    e.start();
    bool ok = false;
    CHILD_CHECK(capture(rx, 0xef020202, 6000, 16, 300, 5, &ok) == 16 && ok);
    const auto& c = *e.counters();
    CHILD_CHECK(eventually_eq(c.output(2) + kOutPackets, 16));
    CHILD_CHECK(eventually_eq(c.global() + kRingDrops, 4));
    usleep(100 * 1000);
    CHILD_CHECK(counter_get(c.global() + kRxFrames) == 16);
    e.stop();
  }));
}

TEST_CASE(engine_rejects_reused_slots_and_duplicate_inputs) {
  report(in_private_netns([] {
    Engine e(EngineConfig{});
    auto expect_einval = [&](const std::vector<RuleSpec>& rules, const char* needle) {
      try {
        e.set_rules(rules);
      } catch (const SetupError& err) {
        CHILD_CHECK(err.err == EINVAL && std::strstr(err.what(), needle));
        return;
      }
      CHILD_CHECK(!"set_rules accepted inconsistent rules");
    };
    expect_einval({rule(1, 2, 6000), rule(1, 3, 6001)}, "rules[1].slot 1 is used by another rule");
    RuleSpec other = rule(2, 2, 6001);
    other.in_group = 0xef010102;
    expect_einval({rule(1, 2, 6000), other}, "rules[1].outputs[0].slot 2 is used by another output");
    expect_einval({rule(1, 2, 6000), rule(2, 3, 6001)}, "repeats the input a0 239.1.1.1:5000");
    RuleSpec sourced = rule(2, 3, 6001);
    sourced.in_source = 0x0a000001;  // same input with a source constraint is a different key
    e.set_rules({rule(1, 2, 6000), sourced});
  }));
}

TEST_CASE(engine_update_rules_changes_the_table_by_id) {
  // update_rules applies a change against the table the engine runs: add, replace in place, remove;
  // a remove of an id the engine does not run is EINVAL and leaves the table as it was.
  report(in_private_netns([] {
    int tx = raw_socket("b0", 1000), rx = raw_socket("b1", 1000);
    CHILD_CHECK(tx >= 0 && rx >= 0);
    Engine e(EngineConfig{});
    RuleSpec a = rule(1, 2, 6000);
    a.id = "a";
    e.set_rules({a});
    e.start();
    RuleSpec b = rule(3, 4, 6002);
    b.id = "b";
    b.in_group = 0xef010102;
    e.update_rules({}, {b});
    bool ok = false;
    inject(tx, 0xef010102, 5000, 5, 200);
    CHILD_CHECK(capture(rx, 0xef020202, 6002, 5, 200, 5, &ok) == 5 && ok);
    inject(tx, 0xef010101, 5000, 5, 200);  // "a" still runs
    CHILD_CHECK(capture(rx, 0xef020202, 6000, 5, 200, 5, &ok) == 5 && ok);

    RuleSpec a2 = a;
    a2.outputs[0] = OutputSpec{7, "a1", 0xef020202, 6007, 5, -1};
    e.update_rules({"b"}, {a2});  // "a" replaced (new output port and slot), "b" gone
    inject(tx, 0xef010101, 5000, 5, 200);
    CHILD_CHECK(capture(rx, 0xef020202, 6007, 5, 200, 5, &ok) == 5 && ok);
    const auto& c = *e.counters();
    CHILD_CHECK(eventually_eq(c.output(7) + kOutPackets, 5));

    bool threw = false;
    try {
      e.update_rules({"nope"}, {});
    } catch (const SetupError& err) {
      threw = err.err == EINVAL && std::strstr(err.what(), "nope");
    }
    CHILD_CHECK(threw);
    const uint64_t gen = counter_get(c.global() + kTableGeneration);
    inject(tx, 0xef010102, 5000, 5, 200);  // "b" stays removed
    inject(tx, 0xef010101, 5000, 5, 200);
    CHILD_CHECK(capture(rx, 0xef020202, 6007, 5, 200, 5, &ok) == 5 && ok);
    CHILD_CHECK(eventually_eq(c.output(7) + kOutPackets, 10));
    CHILD_CHECK(counter_get(c.output(4) + kOutPackets) == 5);
    CHILD_CHECK(counter_get(c.global() + kTableGeneration) == gen);
    e.stop();
  }));
}

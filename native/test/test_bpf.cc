// BPF filter cases: the generated program runs in a small classic-BPF interpreter (the subset build_filter
// emits) against frames from frames.h, plain and tagged, matching and not.
#include <linux/filter.h>
#include <linux/if_packet.h>

#include "bpf.h"
#include "check.h"
#include "frames.h"

using mcr::build_filter;
using mcrtest::build_frame;
using mcrtest::FrameSpec;

namespace {

constexpr uint32_t kBadProgram = 0xdeadbeef;

/* Returns the filter's verdict (snap length, 0 = drop), kBadProgram on an instruction we do not model. */
uint32_t run(const std::vector<sock_filter>& prog, const std::vector<uint8_t>& pkt, uint8_t pkttype) {
  uint32_t a = 0, x = 0;
  auto load = [&](uint32_t off, int size, bool* ok) -> uint32_t {
    if (off + size > pkt.size()) {
      *ok = false;
      return 0;
    }
    uint32_t v = 0;
    for (int i = 0; i < size; ++i) v = (v << 8) | pkt[off + i];
    return v;
  };
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    const sock_filter& f = prog[pc];
    bool ok = true;
    switch (f.code) {
      case BPF_LD | BPF_B | BPF_ABS:
        if (f.k == static_cast<uint32_t>(SKF_AD_OFF + SKF_AD_PKTTYPE)) a = pkttype;
        else a = load(f.k, 1, &ok);
        break;
      case BPF_LD | BPF_H | BPF_ABS: a = load(f.k, 2, &ok); break;
      case BPF_LD | BPF_W | BPF_ABS: a = load(f.k, 4, &ok); break;
      case BPF_LD | BPF_B | BPF_IND: a = load(x + f.k, 1, &ok); break;
      case BPF_LD | BPF_H | BPF_IND: a = load(x + f.k, 2, &ok); break;
      case BPF_LD | BPF_W | BPF_IND: a = load(x + f.k, 4, &ok); break;
      case BPF_LDX | BPF_W | BPF_IMM: x = f.k; break;
      case BPF_ALU | BPF_AND | BPF_K: a &= f.k; break;
      case BPF_ALU | BPF_LSH | BPF_K: a <<= f.k; break;
      case BPF_ALU | BPF_ADD | BPF_X: a += x; break;
      case BPF_MISC | BPF_TAX: x = a; break;
      case BPF_JMP | BPF_JA: pc += f.k; break;
      case BPF_JMP | BPF_JEQ | BPF_K: pc += (a == f.k) ? f.jt : f.jf; break;
      case BPF_JMP | BPF_JSET | BPF_K: pc += (a & f.k) ? f.jt : f.jf; break;
      case BPF_RET | BPF_K: return f.k;
      default: return kBadProgram;
    }
    if (!ok) return 0;  // the kernel drops a packet on an out-of-bounds load
  }
  return kBadProgram;  // fell off the end
}

uint32_t verdict(const std::vector<sock_filter>& prog, const FrameSpec& s, uint8_t pkttype = PACKET_MULTICAST) {
  return run(prog, build_frame(s), pkttype);
}

}  // namespace

TEST_CASE(bpf_accepts_rule_pairs_plain_and_tagged) {
  auto prog = build_filter({{0xef010101, 5000}, {0xef010101, 5002}, {0xef020202, 6000}});
  for (auto tags : std::vector<std::vector<std::pair<uint16_t, uint16_t>>>{{}, {{0x8100, 5}}, {{0x88a8, 1}, {0x8100, 2}}}) {
    FrameSpec s;
    s.tags = tags;
    CHECK_EQ(verdict(prog, s), mcr::kBpfAccept);
    s.dport = 5002;
    CHECK_EQ(verdict(prog, s), mcr::kBpfAccept);
    s.dst = 0xef020202;
    s.dport = 6000;
    s.ip_options = 12;  // the port is found after IPv4 options
    CHECK_EQ(verdict(prog, s), mcr::kBpfAccept);
  }
}

TEST_CASE(bpf_rejects_other_groups_ports_protocols_and_outgoing) {
  auto prog = build_filter({{0xef010101, 5000}});
  FrameSpec s;
  s.dport = 5001;
  CHECK_EQ(verdict(prog, s), 0u);
  s = FrameSpec{};
  s.dst = 0xef010102;
  CHECK_EQ(verdict(prog, s), 0u);
  s = FrameSpec{};
  s.proto = 6;
  CHECK_EQ(verdict(prog, s), 0u);
  s = FrameSpec{};
  CHECK_EQ(verdict(prog, s, PACKET_OUTGOING), 0u);
  auto f = build_frame(FrameSpec{});
  mcrtest::put16(f, 12, 0x86dd);
  CHECK_EQ(run(prog, f, PACKET_MULTICAST), 0u);
}

TEST_CASE(bpf_lets_fragments_of_listed_groups_through_for_counting) {
  auto prog = build_filter({{0xef010101, 5000}});
  FrameSpec s;
  s.frag = 0x0010;  // a later fragment: no UDP header, the "port" bytes are payload
  s.dport = 1;
  CHECK_EQ(verdict(prog, s), mcr::kBpfAccept);
}

TEST_CASE(bpf_empty_rule_set_accepts_nothing) {
  auto prog = build_filter({});
  CHECK_EQ(verdict(prog, FrameSpec{}), 0u);
}

TEST_CASE(bpf_large_rule_set_stays_within_kernel_limits) {
  std::set<mcr::GroupPort> pairs;
  for (uint32_t i = 0; i < 300; ++i) pairs.insert({0xef000000 + i, static_cast<uint16_t>(5000 + i % 4)});
  auto prog = build_filter(pairs);
  CHECK(prog.size() <= 4096);
  FrameSpec s;
  s.dst = 0xef000000 + 123;
  s.dport = 5000 + 123 % 4;
  CHECK_EQ(verdict(prog, s), mcr::kBpfAccept);
  s.dport = 4999;
  CHECK_EQ(verdict(prog, s), 0u);
  // Beyond BPF_MAXINSNS it degrades to any-UDP rather than failing.
  pairs.clear();
  for (uint32_t i = 0; i < 2000; ++i) pairs.insert({0xef000000 + i, 5000});
  prog = build_filter(pairs);
  CHECK(prog.size() <= 4096);
  s.dst = 0xefff0000;
  s.dport = 1;
  CHECK_EQ(verdict(prog, s), mcr::kBpfAccept);
}

TEST_CASE(bpf_many_ports_on_one_group) {
  std::set<mcr::GroupPort> pairs;
  for (uint16_t p = 1000; p < 1250; ++p) pairs.insert({0xef010101, p});  // > per-group port limit
  auto prog = build_filter(pairs);
  FrameSpec s;
  s.dport = 1100;
  CHECK_EQ(verdict(prog, s), mcr::kBpfAccept);
}

TEST_CASE(bpf_any_port_group_accepts_every_port) {
  // Port 0 = any port of 239.1.1.1, beside an exact pair on another group and one on the same group.
  auto prog = build_filter({{0xef010101, 0}, {0xef010101, 5000}, {0xef020202, 6000}});
  FrameSpec s;
  for (uint16_t port : {1, 5000, 5001, 40000, 65535}) {
    s.dport = port;
    CHECK_EQ(verdict(prog, s), mcr::kBpfAccept);
  }
  s.dst = 0xef020202;
  s.dport = 6000;
  CHECK_EQ(verdict(prog, s), mcr::kBpfAccept);
  s.dport = 6001;
  CHECK_EQ(verdict(prog, s), 0u);  // the any-port group does not widen the others
  s = FrameSpec{};
  s.proto = 6;
  CHECK_EQ(verdict(prog, s), 0u);  // still UDP only
}

// BPF filter cases: the generated program runs in a small classic-BPF interpreter (the subset build_filter
// emits) against frames from frames.h, plain and tagged, matching and not.
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

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
      case BPF_JMP | BPF_JGE | BPF_K: pc += (a >= f.k) ? f.jt : f.jf; break;
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

namespace {

std::set<mcr::GroupPort> groups(uint32_t n, uint32_t base = 0xef000000) {
  std::set<mcr::GroupPort> pairs;
  for (uint32_t i = 0; i < n; ++i) pairs.insert({base + i, static_cast<uint16_t>(5000 + i % 4)});
  return pairs;
}

/* What the kernel says to the program: 0, or the errno of SO_ATTACH_FILTER on a real socket. */
int kernel_attach(const std::vector<sock_filter>& prog) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  sock_fprog fp{static_cast<unsigned short>(prog.size()), const_cast<sock_filter*>(prog.data())};
  const int rc = setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof fp) == 0 ? 0 : errno;
  close(fd);
  return rc;
}

bool is_exact(const std::vector<sock_filter>& prog) {
  FrameSpec other;
  other.dst = 0xefff0000;  // a group no rule has
  return verdict(prog, other) == 0;
}

}  // namespace

TEST_CASE(bpf_exact_up_to_the_threshold_small_past_it_and_back) {
  auto prog = build_filter(groups(mcr::kMaxExactGroups));
  CHECK(is_exact(prog));
  FrameSpec s;
  s.dst = 0xef000000 + 13;
  s.dport = 5000 + 13 % 4;
  CHECK_EQ(verdict(prog, s), mcr::kBpfAccept);
  s.dport = 4999;  // exact: the port is checked
  CHECK_EQ(verdict(prog, s), 0u);

  prog = build_filter(groups(mcr::kMaxExactGroups + 1));
  CHECK(!is_exact(prog));
  CHECK(prog.size() < 64);
  CHECK_EQ(verdict(prog, s), mcr::kBpfAccept);  // any multicast UDP: the lookup decides
  for (uint32_t dst : {0xe0000001u, 0xefffffffu}) {
    s.dst = dst;
    CHECK_EQ(verdict(prog, s), mcr::kBpfAccept);
  }
  for (uint32_t dst : {0xdfffffffu, 0xf0000000u, 0x0a000002u}) {  // below and above 224/4, unicast
    s.dst = dst;
    CHECK_EQ(verdict(prog, s), 0u);
  }
  s = FrameSpec{};
  s.proto = 6;
  CHECK_EQ(verdict(prog, s), 0u);
  s.proto = 17;
  CHECK_EQ(verdict(prog, s, PACKET_OUTGOING), 0u);
  s.tags = {{0x88a8, 1}, {0x8100, 2}};
  CHECK_EQ(verdict(prog, s), mcr::kBpfAccept);

  // Rules removed again: back to the exact program.
  CHECK(is_exact(build_filter(groups(mcr::kMaxExactGroups))));
}

TEST_CASE(bpf_small_filter_keeps_the_unicast_endpoints) {
  std::set<mcr::GroupPort> pairs = groups(1000);
  pairs.insert({0x0a000002, 7000});  // tunnel endpoints: 10.0.0.2, 10.0.0.3
  pairs.insert({0x0a000003, 7001});
  auto prog = build_filter(pairs);
  FrameSpec s;
  for (uint32_t dst : {0x0a000002u, 0x0a000003u, 0xef000000u + 999, 0xeffffff0u}) {
    s.dst = dst;
    CHECK_EQ(verdict(prog, s), mcr::kBpfAccept);
  }
  s.dst = 0x0a000004;
  CHECK_EQ(verdict(prog, s), 0u);
  CHECK_EQ(kernel_attach(prog), 0);
}

TEST_CASE(bpf_programs_are_what_the_kernel_accepts) {
  for (uint32_t n : {1u, 10u, uint32_t{mcr::kMaxExactGroups}, uint32_t{mcr::kMaxExactGroups} + 1, 300u, 10000u}) {
    auto prog = build_filter(groups(n));
    CHECK(prog.size() <= mcr::kBpfMaxInsns);
    CHECK_EQ(kernel_attach(prog), 0);
  }
  // Many ports on few groups outgrow BPF_MAXINSNS below the group threshold: small filter too.
  std::set<mcr::GroupPort> ports;
  for (uint32_t g = 0; g < 30; ++g)
    for (uint16_t p = 0; p < 150; ++p) ports.insert({0xef000000 + g, static_cast<uint16_t>(1000 + p)});
  CHECK(mcr::exact_filter(ports).size() > mcr::kBpfMaxInsns);
  CHECK_EQ(kernel_attach(mcr::exact_filter(ports)), EINVAL);  // what build_filter avoids
  auto prog = build_filter(ports);
  CHECK(!is_exact(prog));
  CHECK_EQ(kernel_attach(prog), 0);
  // More unicast endpoints than the small filter holds: any IPv4 UDP.
  std::set<mcr::GroupPort> uni;
  for (uint32_t i = 0; i < 3000; ++i) uni.insert({0x0a000000 + i, 7000});
  prog = build_filter(uni);
  CHECK_EQ(kernel_attach(prog), 0);
  FrameSpec s;
  s.dst = 0x0b000001;
  CHECK_EQ(verdict(prog, s), mcr::kBpfAccept);
  const auto any = mcr::any_udp_filter();
  CHECK(prog.size() == any.size() && std::memcmp(prog.data(), any.data(), any.size() * sizeof any[0]) == 0);
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

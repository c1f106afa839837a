// bpf: see bpf.h. The generated program (X holds the IPv4 header offset once the tags are skipped):
//
//   ld  #pkttype ; jeq #OUTGOING -> drop
//   ldh [12] ; jeq #0x0800 -> x14 ; jeq #0x8100/#0x88a8 -> tag1 ; drop
//   tag1: ldh [16] ; jeq #0x0800 -> x18 ; jeq tag -> tag2 ; drop
//   tag2: ldh [20] ; jeq #0x0800 -> x22 ; drop
//   x14/x18/x22: ldx #off ; ja ip
//   ip:  ldb [x+9] ; jeq #17 else drop ; ld [x+16]
//        per group g: jeq #g else next ; ja group_g
//        drop
//   group_g: ldh [x+6] ; jset #0x3fff -> accept        (fragments reach the parser and are counted)
//        ldb [x+0] ; and #0xf ; lsh #2 ; add x ; tax ; ldh [x+2]   (A = UDP dst port)
//        per port p: jeq #p -> accept ; drop ; accept: ret #kBpfAccept
#include "bpf.h"

#include <linux/if_packet.h>

#include <cstddef>
#include <cstdlib>
#include <map>

namespace mcr {

namespace {

constexpr size_t kMaxPortsPerGroup = 200;  // keeps every conditional jump within 8 bits
// Each unicast address costs 2 instructions in the small filter; past this, "any IPv4 UDP".
constexpr size_t kMaxSmallUnicast = (kBpfMaxInsns - 64) / 2;

sock_filter stmt(uint16_t code, uint32_t k) { return sock_filter{code, 0, 0, k}; }
sock_filter jump(uint16_t code, uint32_t k, uint8_t jt, uint8_t jf) { return sock_filter{code, jt, jf, k}; }

/* Conditional jumps by label, resolved once the labels are placed (offsets are relative, 8-bit). */
class Asm {
 public:
  static constexpr int kNext = -1;
  explicit Asm(std::vector<sock_filter>& p) : p_(p) {}
  void op(uint16_t code, uint32_t k) { p_.push_back(stmt(code, k)); }
  void jeq(uint32_t k, int jt, int jf) {
    fix_.push_back({p_.size(), jt, jf});
    p_.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, k, 0, 0));
  }
  void label(int l) { at_[l] = p_.size(); }
  void resolve() {
    for (const Fix& f : fix_) {
      if ((f.jt != kNext && at_.at(f.jt) <= f.at) || (f.jf != kNext && at_.at(f.jf) <= f.at)) abort();  // backward
      if (f.jt != kNext) p_[f.at].jt = static_cast<uint8_t>(at_.at(f.jt) - f.at - 1);
      if (f.jf != kNext) p_[f.at].jf = static_cast<uint8_t>(at_.at(f.jf) - f.at - 1);
    }
  }

 private:
  struct Fix {
    size_t at;
    int jt, jf;
  };
  std::vector<sock_filter>& p_;
  std::vector<Fix> fix_;
  std::map<int, size_t> at_;
};

/* Shared prologue: reject outgoing, skip up to two tags, leave X = IPv4 header offset, check UDP. */
void emit_prologue(std::vector<sock_filter>& p) {
  enum { kDrop, kTag1, kTag2, kX14, kX18, kX22, kIp, kUdp };
  constexpr int N = Asm::kNext;
  Asm a(p);
  a.op(BPF_LD | BPF_B | BPF_ABS, static_cast<uint32_t>(SKF_AD_OFF + SKF_AD_PKTTYPE));
  a.jeq(PACKET_OUTGOING, kDrop, N);
  a.op(BPF_LD | BPF_H | BPF_ABS, 12);
  a.jeq(0x0800, kX14, N);
  a.jeq(0x8100, kTag1, N);
  a.jeq(0x88a8, kTag1, kDrop);
  a.label(kTag1);
  a.op(BPF_LD | BPF_H | BPF_ABS, 16);
  a.jeq(0x0800, kX18, N);
  a.jeq(0x8100, kTag2, N);
  a.jeq(0x88a8, kTag2, kDrop);
  a.label(kTag2);
  a.op(BPF_LD | BPF_H | BPF_ABS, 20);
  a.jeq(0x0800, kX22, kDrop);
  a.label(kDrop);
  a.op(BPF_RET | BPF_K, 0);
  a.label(kX14);
  a.op(BPF_LDX | BPF_W | BPF_IMM, 14);
  a.op(BPF_JMP | BPF_JA, 4);  // -> ip
  a.label(kX18);
  a.op(BPF_LDX | BPF_W | BPF_IMM, 18);
  a.op(BPF_JMP | BPF_JA, 2);
  a.label(kX22);
  a.op(BPF_LDX | BPF_W | BPF_IMM, 22);
  a.op(BPF_JMP | BPF_JA, 0);
  a.label(kIp);
  a.op(BPF_LD | BPF_B | BPF_IND, 9);
  a.jeq(17, kUdp, N);  // jumps only go forward: a local drop, not back to kDrop
  a.op(BPF_RET | BPF_K, 0);
  a.label(kUdp);
  a.resolve();
}

}  // namespace

std::vector<sock_filter> any_udp_filter() {
  std::vector<sock_filter> p;
  emit_prologue(p);
  p.push_back(stmt(BPF_RET | BPF_K, kBpfAccept));
  return p;
}

std::vector<sock_filter> multicast_filter(const std::set<uint32_t>& unicast) {
  std::vector<sock_filter> p;
  if (unicast.size() > kMaxSmallUnicast) return any_udp_filter();
  emit_prologue(p);
  p.push_back(stmt(BPF_LD | BPF_W | BPF_IND, 16));
  // 224.0.0.0/4: dst >= 0xe0000000 and not >= 0xf0000000.
  p.push_back(jump(BPF_JMP | BPF_JGE | BPF_K, 0xe0000000, 0, 2));
  p.push_back(jump(BPF_JMP | BPF_JGE | BPF_K, 0xf0000000, 1, 0));
  p.push_back(stmt(BPF_RET | BPF_K, kBpfAccept));
  for (uint32_t a : unicast) {
    p.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, a, 0, 1));
    p.push_back(stmt(BPF_RET | BPF_K, kBpfAccept));
  }
  p.push_back(stmt(BPF_RET | BPF_K, 0));
  return p;
}

std::vector<sock_filter> build_filter(const std::set<GroupPort>& pairs) {
  std::set<uint32_t> dsts;
  for (auto gp : pairs)
    if (gp != kAnyMulticast) dsts.insert(gp.first);
  if (dsts.size() <= kMaxExactGroups && !pairs.count(kAnyMulticast)) {
    std::vector<sock_filter> p = exact_filter(pairs);
    if (p.size() <= kBpfMaxInsns) return p;
  }
  std::set<uint32_t> unicast;
  for (uint32_t g : dsts)
    if ((g >> 28) != 0xe) unicast.insert(g);
  return multicast_filter(unicast);
}

std::vector<sock_filter> exact_filter(const std::set<GroupPort>& pairs) {
  std::map<uint32_t, std::vector<uint16_t>> groups;
  for (auto [g, port] : pairs) groups[g].push_back(port);

  std::vector<sock_filter> p;
  emit_prologue(p);
  p.push_back(stmt(BPF_LD | BPF_W | BPF_IND, 16));
  // Dispatch: per group "jeq g, 0, 1; ja <block>"; the ja offsets are patched once blocks are placed.
  std::vector<size_t> ja_at;
  for (const auto& [g, ports] : groups) {
    p.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, g, 0, 1));
    ja_at.push_back(p.size());
    p.push_back(stmt(BPF_JMP | BPF_JA, 0));
  }
  p.push_back(stmt(BPF_RET | BPF_K, 0));
  size_t gi = 0;
  for (const auto& [g, ports] : groups) {
    p[ja_at[gi]].k = static_cast<uint32_t>(p.size() - ja_at[gi] - 1);
    ++gi;
    const bool check_ports = ports.front() != 0 && ports.size() <= kMaxPortsPerGroup;  // sorted: 0 = any port
    const size_t n = check_ports ? ports.size() : 0;
    // accept sits after: jset(1) + 6 port-load insns + n jeq + drop(1)
    p.push_back(stmt(BPF_LD | BPF_H | BPF_IND, 6));
    p.push_back(jump(BPF_JMP | BPF_JSET | BPF_K, 0x3fff, static_cast<uint8_t>(6 + n + 1), 0));
    p.push_back(stmt(BPF_LD | BPF_B | BPF_IND, 0));
    p.push_back(stmt(BPF_ALU | BPF_AND | BPF_K, 0x0f));
    p.push_back(stmt(BPF_ALU | BPF_LSH | BPF_K, 2));
    p.push_back(stmt(BPF_ALU | BPF_ADD | BPF_X, 0));
    p.push_back(stmt(BPF_MISC | BPF_TAX, 0));
    p.push_back(stmt(BPF_LD | BPF_H | BPF_IND, 2));
    for (size_t i = 0; i < n; ++i)
      p.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, ports[i], static_cast<uint8_t>(n - i), 0));
    p.push_back(stmt(BPF_RET | BPF_K, check_ports ? 0 : kBpfAccept));
    p.push_back(stmt(BPF_RET | BPF_K, kBpfAccept));
  }
  return p;
}

std::vector<sock_filter> drop_all_filter() { return {stmt(BPF_RET | BPF_K, 0)}; }

bool same_program(const std::vector<sock_filter>& a, const std::vector<sock_filter>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].code != b[i].code || a[i].jt != b[i].jt || a[i].jf != b[i].jf || a[i].k != b[i].k) return false;
  return true;
}

}  // namespace mcr

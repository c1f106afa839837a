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
#include <map>

namespace mcr {

namespace {

constexpr size_t kMaxInsns = 4096;    // BPF_MAXINSNS
constexpr size_t kMaxPortsPerGroup = 200;  // keeps every conditional jump within 8 bits

sock_filter stmt(uint16_t code, uint32_t k) { return sock_filter{code, 0, 0, k}; }
sock_filter jump(uint16_t code, uint32_t k, uint8_t jt, uint8_t jf) { return sock_filter{code, jt, jf, k}; }

/* Shared prologue: reject outgoing, skip up to two tags, leave X = IPv4 header offset, check UDP. */
void emit_prologue(std::vector<sock_filter>& p) {
  p.push_back(stmt(BPF_LD | BPF_B | BPF_ABS, static_cast<uint32_t>(SKF_AD_OFF + SKF_AD_PKTTYPE)));
  p.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, 0, 1));
  p.push_back(stmt(BPF_RET | BPF_K, 0));
  // [3] ldh [12]
  p.push_back(stmt(BPF_LD | BPF_H | BPF_ABS, 12));
  p.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, 0x0800, 12, 0));  // -> x14 at 17
  p.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, 0x8100, 1, 0));
  p.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, 0x88a8, 0, 8));  // else -> drop at 15
  // [7] tag1
  p.push_back(stmt(BPF_LD | BPF_H | BPF_ABS, 16));
  p.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, 0x0800, 10, 0));  // -> x18 at 19
  p.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, 0x8100, 1, 0));
  p.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, 0x88a8, 0, 4));  // else -> drop at 15
  // [11] tag2
  p.push_back(stmt(BPF_LD | BPF_H | BPF_ABS, 20));
  p.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, 0x0800, 8, 2));  // -> x22 at 21, else drop at 15
  // [13],[14] unused padding keeps the offsets above readable; both drop
  p.push_back(stmt(BPF_RET | BPF_K, 0));
  p.push_back(stmt(BPF_RET | BPF_K, 0));
  // [15] drop
  p.push_back(stmt(BPF_RET | BPF_K, 0));
  p.push_back(stmt(BPF_RET | BPF_K, 0));
  // [17] x14
  p.push_back(stmt(BPF_LDX | BPF_W | BPF_IMM, 14));
  p.push_back(stmt(BPF_JMP | BPF_JA, 4));  // -> ip at 23
  // [19] x18
  p.push_back(stmt(BPF_LDX | BPF_W | BPF_IMM, 18));
  p.push_back(stmt(BPF_JMP | BPF_JA, 2));
  // [21] x22
  p.push_back(stmt(BPF_LDX | BPF_W | BPF_IMM, 22));
  p.push_back(stmt(BPF_JMP | BPF_JA, 0));
  // [23] ip: protocol must be UDP
  p.push_back(stmt(BPF_LD | BPF_B | BPF_IND, 9));
  p.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, 17, 1, 0));
  p.push_back(stmt(BPF_RET | BPF_K, 0));
}

}  // namespace

std::vector<sock_filter> any_udp_filter() {
  std::vector<sock_filter> p;
  emit_prologue(p);
  p.push_back(stmt(BPF_RET | BPF_K, kBpfAccept));
  return p;
}

std::vector<sock_filter> build_filter(const std::set<GroupPort>& pairs) {
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
    const bool check_ports = ports.size() <= kMaxPortsPerGroup;
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
  if (p.size() > kMaxInsns) return any_udp_filter();
  return p;
}

std::vector<sock_filter> drop_all_filter() { return {stmt(BPF_RET | BPF_K, 0)}; }

}  // namespace mcr

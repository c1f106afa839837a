// register_encap: see register_encap.h.
#include "register_encap.h"

#include <linux/filter.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "bpf.h"
#include "setup_error.h"

namespace mcr {

namespace {

void put16(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void put32(uint8_t* p, uint32_t v) {
  put16(p, v >> 16);
  put16(p + 2, v & 0xffff);
}

/* One's-complement sum of big-endian 16-bit words (an odd last byte padded with zero). */
uint32_t sum16(const uint8_t* p, uint32_t n, uint32_t sum) {
  uint32_t i = 0;
  for (; i + 1 < n; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (i < n) sum += static_cast<uint32_t>(p[i] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return sum;
}

}  // namespace

void register_header(uint8_t* out) {
  out[0] = 0x21;  // PIM version 2, type 1 (Register)
  out[1] = 0;
  put16(out + 2, 0);
  put32(out + 4, 0);  // B = 0, N = 0
  put16(out + 2, ~sum16(out, kRegisterHeader, 0) & 0xffff);
}

void register_relayed_header(uint8_t* out, const RegisterSpec& s, uint16_t dst_port, const uint8_t* payload, uint32_t len,
                             uint16_t ip_id) {
  register_header(out);
  uint8_t* ip = out + kRegisterHeader;
  const uint16_t port = s.port ? s.port : dst_port;
  ip[0] = 0x45;
  ip[1] = s.tos;
  put16(ip + 2, 28 + len);
  put16(ip + 4, ip_id);
  put16(ip + 6, 0x4000);  // DF, as the output sends it
  ip[8] = s.ttl;
  ip[9] = 17;
  put16(ip + 10, 0);
  put32(ip + 12, s.source);
  put32(ip + 16, s.group);
  put16(ip + 10, ~sum16(ip, 20, 0) & 0xffff);
  uint8_t* udp = ip + 20;
  put16(udp, port);  // source port = destination port, as AF_PACKET egress sends it
  put16(udp + 2, port);
  put16(udp + 4, 8 + len);
  put16(udp + 6, 0);
  // Pseudo-header (addresses, protocol, UDP length), UDP header, payload.
  uint32_t sum = sum16(ip + 12, 8, 17 + 8 + len);
  sum = sum16(udp, 8, sum);
  sum = sum16(payload, len, sum);
  const uint16_t c = static_cast<uint16_t>(~sum & 0xffff);
  put16(udp + 6, c == 0 ? 0xffff : c);  // 0 would mean "no checksum"
}

bool queue_register(SendBatch& batch, uint32_t queue, const sockaddr_in* rp, const RegisterSpec& s, const uint8_t* frame,
                    const ParsedFrame& p, uint32_t out_slot) {
  if (s.relayed) {
    const uint8_t* payload = frame + p.payload_offset;
    return batch.add_framed(
        queue, rp, kRegisterRelayedHeader,
        [&](uint8_t* hdr, uint16_t id) { register_relayed_header(hdr, s, p.dst_port, payload, p.payload_len, id); }, payload,
        p.payload_len, out_slot);
  }
  uint32_t len;
  const uint8_t* inner = register_inner(frame, p, &len);
  return batch.add_framed(queue, rp, kRegisterHeader, [](uint8_t* hdr, uint16_t) { register_header(hdr); }, inner, len, out_slot);
}

int open_register_socket() {
  int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_PIM);
  if (fd < 0) throw SetupError(errno, "socket", "raw IP 103 (PIM Register)", "", errno == EPERM ? "needs CAP_NET_RAW" : "");
  std::vector<sock_filter> f = drop_all_filter();
  sock_fprog prog{static_cast<unsigned short>(f.size()), f.data()};
  const int dont = IP_PMTUDISC_DONT;
  const int sndbuf = 4 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0 ||
      setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &dont, sizeof dont) < 0) {
    int err = errno;
    close(fd);
    throw SetupError(err, "setsockopt", "raw IP 103 (PIM Register)", "", "");
  }
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf) < 0)
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  return fd;
}

}  // namespace mcr

// bpf_bench: what the per-interface filter costs the kernel per frame, exact (build_filter with N
// groups, the frame's group last in the chain: the worst case) or small (multicast_filter). In a
// private network namespace: a UDP socket sends to a group out of one end of a veth, an AF_PACKET
// socket with the filter is bound to the other end (its ring is never read, so accepted frames are
// dropped once it fills, after the filter ran); the veth delivers in the sender's context, so the
// sending thread's CPU time (RUSAGE_THREAD) includes the filter. Timings on a shared VM are noisy:
// compare modes interleaved, side by side, several rounds.
//
//   g++ -std=c++20 -O2 -Inative/engine/core native/test/bench/bpf_bench.cc native/engine/core/bpf.cc
//       native/engine/core/rx_socket.cc native/engine/core/setup_error.cc -o /tmp/bpf_bench
//   sudo /tmp/bpf_bench ROUNDS PACKETS GROUPS...      # e.g. 5 200000 1 16 64 128 300
//
// Prints, per round, ns of sender CPU per frame for: no packet socket, the small filter, and the exact
// filter for each GROUPS count.
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "bpf.h"
#include "rx_socket.h"

namespace {

uint64_t thread_cpu_ns() {
  rusage ru{};
  getrusage(RUSAGE_THREAD, &ru);
  return (uint64_t(ru.ru_utime.tv_sec) + uint64_t(ru.ru_stime.tv_sec)) * 1'000'000'000u +
         (uint64_t(ru.ru_utime.tv_usec) + uint64_t(ru.ru_stime.tv_usec)) * 1000u;
}

double send_cost(int fd, uint32_t group, uint32_t packets) {
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_addr.s_addr = htonl(group);
  dst.sin_port = htons(5000);
  char payload[64] = {};
  const uint64_t t0 = thread_cpu_ns();
  for (uint32_t i = 0; i < packets; ++i)
    if (sendto(fd, payload, sizeof payload, 0, reinterpret_cast<sockaddr*>(&dst), sizeof dst) < 0) std::perror("sendto");
  return double(thread_cpu_ns() - t0) / packets;
}

std::set<mcr::GroupPort> groups(uint32_t n) {
  std::set<mcr::GroupPort> s;
  for (uint32_t i = 0; i < n; ++i) s.insert({0xef010000 + i, 5000});
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: bpf_bench ROUNDS PACKETS GROUPS...\n");
    return 64;
  }
  const int rounds = std::atoi(argv[1]);
  const uint32_t packets = static_cast<uint32_t>(std::atoi(argv[2]));
  std::vector<uint32_t> sizes;
  for (int i = 3; i < argc; ++i) sizes.push_back(static_cast<uint32_t>(std::atoi(argv[i])));
  if (unshare(CLONE_NEWNET) != 0 ||
      system("ip link set lo up && ip link add b0 type veth peer name b1 && ip link set b0 up && ip link set b1 up && "
             "ip addr add 10.9.0.1/24 dev b0 && ip route add 224.0.0.0/4 dev b0") != 0) {
    std::fprintf(stderr, "needs root (unshare, ip link)\n");
    return 77;
  }
  const uint32_t ix = if_nametoindex("b1");
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  mcr::RingConfig ring;
  ring.block_count = 4;  // fills at once: from then on, frames are dropped right after the filter
  std::printf("round  none  small");
  for (uint32_t n : sizes) std::printf("  exact%u", n);
  std::printf("   (ns of sender CPU per frame)\n");
  for (int r = 0; r < rounds; ++r) {
    std::printf("%5d", r);
    std::printf("  %5.0f", send_cost(fd, 0xef010000, packets));
    {
      mcr::RxSocket s("b1", ix, ring, -1, mcr::multicast_filter({}), false);
      send_cost(fd, 0xef010000, packets / 10);  // fill the ring first
      std::printf("  %5.0f", send_cost(fd, 0xef010000, packets));
    }
    for (uint32_t n : sizes) {
      mcr::RxSocket s("b1", ix, ring, -1, mcr::exact_filter(groups(n)), false);
      send_cost(fd, 0xef010000 + n - 1, packets / 10);
      std::printf("  %7.0f", send_cost(fd, 0xef010000 + n - 1, packets));
    }
    std::printf("\n");
    std::fflush(stdout);
  }
  return 0;
}

// rx_socket: one AF_PACKET socket with a TPACKET_V3 mmap RX ring on one input interface, plus what
// makes the group arrive there: L2 multicast membership (PACKET_ADD_MEMBERSHIP), an IGMP join on
// AF_INET sockets (so snooping switches and real NICs deliver it; 20 groups per socket, the kernel's
// default igmp_max_memberships, so any number of groups works without a sysctl) and, for unicast inputs, a UDP "port
// guard" socket so the kernel does not answer ICMP port-unreachable (it has a drop-all filter, so it
// never queues anything).
//
// Setup runs on the JS thread (Engine::set_rules); the ring is consumed only by the engine thread.
// Exercised end to end by relay/engine/engine.e2e.test.ts.
#pragma once

#include <linux/if_packet.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "bpf.h"

namespace mcr {

struct RingConfig {
  // 32 KiB holds 3 jumbo frames or ~22 frames of 1316-byte payload. Many small blocks rather than few
  // big ones: at low rates the retire timer closes a block every retire_ms whatever its size, so the
  // ring absorbs an engine stall of block_count * retire_ms (256 ms here), not of its byte size.
  uint32_t block_size = 1u << 15;
  uint32_t block_count = 256;  // 8 MiB per input interface
  uint32_t retire_ms = 1;          // the kernel's minimum; bounds latency at low rates (V3 only)
  // 3: TPACKET_V3 (variable-size frames in blocks, one wake-up per block; a partly filled block waits
  // for the retire timer). 2: TPACKET_V2 (fixed frame slots sized from the interface MTU, one wake-up
  // per frame, no retire timer: lowest latency at low and moderate rates).
  int version = 3;
};

class RxSocket {
 public:
  /**
   * Open, size the ring, attach @filter, bind to @ifname and join PACKET_FANOUT @fanout_id (if >= 0).
   * @igmp_join: join groups in the kernel's IP layer too (IGMP reports); false = L2 membership only.
   * Throws SetupError naming the syscall and interface (ENODEV if the interface does not exist).
   */
  RxSocket(const std::string& ifname, uint32_t ifindex, const RingConfig& ring, int fanout_id,
           const std::vector<sock_filter>& filter, bool igmp_join = true);
  ~RxSocket();
  RxSocket(const RxSocket&) = delete;
  RxSocket& operator=(const RxSocket&) = delete;

  int fd() const { return fd_; }
  uint32_t ifindex() const { return ifindex_; }
  const std::string& ifname() const { return ifname_; }

  /* Replace the BPF filter (atomic in the kernel). Throws SetupError. */
  void set_filter(const std::vector<sock_filter>& filter);

  /* Multicast input: L2 membership (+ IGMP join unless disabled). Throws SetupError; no-op if joined. */
  void join(uint32_t group);
  /* Best effort; no-op if not joined. */
  void leave(uint32_t group);
  bool joined(uint32_t group) const { return groups_.count(group) != 0; }
  const std::set<uint32_t>& groups() const { return groups_; }

  /* Unicast input: bind a UDP port guard to addr:port (IP_FREEBIND; EADDRINUSE means someone else
     already owns the port, which serves the same purpose). Throws SetupError. */
  void guard(uint32_t addr, uint16_t port);
  void unguard(uint32_t addr, uint16_t port);
  bool guarded(uint32_t addr, uint16_t port) const { return guards_.count({addr, port}) != 0; }
  std::set<std::pair<uint32_t, uint16_t>> guard_keys() const;

  int version() const { return ring_.version; }

  /* PIM source discovery on this interface (source_watch.h): set by set_rules, read per frame. */
  void set_watch(bool on) { watch_.store(on, std::memory_order_relaxed); }
  bool watch() const { return watch_.load(std::memory_order_relaxed); }

  /* V3, engine thread only: the block at the consumer position if the kernel handed it over, else null. */
  struct tpacket_block_desc* ready_block() const;
  /* V3, engine thread only: give the current block back to the kernel and advance. */
  void release_block();
  uint32_t block_size() const { return ring_.block_size; }

  /* V2, engine thread only: the k-th frame after the consumer position if the kernel filled it, else null. */
  struct tpacket2_hdr* ready_frame(uint32_t k) const;
  /* V2, engine thread only: give the next n frames back to the kernel and advance past them. */
  void release_frames(uint32_t n);
  uint32_t frame_size() const { return frame_size_; }
  uint32_t frame_count() const { return frame_count_; }

  /* PACKET_STATISTICS since the last call (the kernel resets them on read). */
  void read_stats(uint64_t* drops, uint64_t* freezes);

 private:
  std::string ifname_;
  uint32_t ifindex_;
  RingConfig ring_;
  bool igmp_join_;
  int fd_ = -1;
  // AF_INET sockets holding the IGMP memberships of this interface. The kernel allows
  // net.ipv4.igmp_max_memberships (20) per socket, so joins spread over as many as they need.
  struct IgmpSocket {
    int fd;  // -1: closed when its last group was left, reopened by a later join
    uint32_t members;
    bool full;  // refused a join with ENOBUFS: skip until one of its groups is left
  };
  std::vector<IgmpSocket> igmp_;
  std::map<uint32_t, size_t> igmp_of_;  // group -> index into igmp_
  void igmp_join(uint32_t group);
  void igmp_leave(uint32_t group);
  uint8_t* map_ = nullptr;
  size_t map_len_ = 0;
  uint32_t next_block_ = 0;
  uint32_t frame_size_ = 0;      // V2 slot size
  uint32_t frames_per_block_ = 0;
  uint32_t frame_count_ = 0;
  uint32_t next_frame_ = 0;
  std::set<uint32_t> groups_;
  std::map<std::pair<uint32_t, uint16_t>, int> guards_;
  std::atomic<bool> watch_{false};
};

}  // namespace mcr

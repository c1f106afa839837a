// mcr-gen: rate-paced, batched UDP traffic generator for the mcr lab (payload format: lib/payload.h).
//
// Usage:
//   mcr-gen --dst GROUP:PORT [--dst GROUP:PORT ...] [--interface IF] [--bind ADDR[:PORT]]
//           [--rate PPS | --rate 0] [--count N | --duration SECONDS] [--size PAYLOAD_BYTES]
//           [--ttl N] [--stream-id N] [--batch N] [--tx udp|packet] [--threads N] [--cpu N] [--json] [--help]
//
// Examples:
//   # 10k datagrams of 1316 bytes at 20k pps to a group, out of veth0, JSON report on stdout
//   ip netns exec h1 mcr-gen --dst 239.1.1.1:5000 --interface veth0 --rate 20000 --count 10000 --size 1316 --json
//   # as fast as possible for 2 s with 64-byte datagrams, pinned to CPU 0
//   mcr-gen --dst 239.1.1.1:5000 --interface veth0 --rate 0 --duration 2 --size 64 --cpu 0
//   # 50 streams round-robin (stream ids 1..50, each its own sequence), 100k pps in total
//   mcr-gen $(for i in $(seq 1 50); do echo --dst 239.2.0.$i:6000; done) --rate 100000 --duration 5
//   # raw frames on an AF_PACKET socket: same bytes on the wire, a fraction of the sender's CPU
//   mcr-gen --dst 239.1.1.1:5000 --interface veth0 --tx packet --rate 0 --duration 2 --size 64
//   # two sender threads (one per core), each with half of the 4 streams
//   mcr-gen --dst 239.1.1.1:5000,239.1.1.2:5000,239.1.1.3:5000,239.1.1.4:5000 --interface veth0 --threads 2 --rate 0 --duration 2
//   # unicast to a host, source address pinned
//   mcr-gen --dst 10.0.0.2:7000 --bind 10.0.0.1 --rate 1000 --count 100
//
// Pacing: datagram n (over all streams) is due at t0 + n/rate on CLOCK_MONOTONIC. Datagrams go out
// with sendmmsg in batches of max(1, rate/10000) (at most --batch), each batch when its last
// datagram is due, so a batch never spans more than 100 µs of schedule; the wait sleeps and spins
// the last µs (lib/clock.h). 100 µs rather than 50: on this VM each wake-up costs ~10 µs of CPU, and
// halving them cut the generator's CPU at 300k pps from ~2.6 to ~1.6 µs per datagram (and at 20k pps
// from ~45 % to ~23 % of a core), which the sink or relay sharing the core needs more than the
// generator needs 50 µs granularity.
// If the process falls behind (descheduled), it catches up in --batch bursts but forgets debt
// beyond 2 ms, so a stall never turns into a long line-rate burst.
// --rate 0 sends --batch datagrams per call back to back.
//
// Exit: 0 done (count/duration reached or SIGINT/SIGTERM), 64 usage error, 1 setup failure.
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <pthread.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "lib/cli.h"
#include "lib/clock.h"
#include "lib/json.h"
#include "lib/net.h"
#include "lib/packet_tx.h"
#include "lib/payload.h"

using namespace mcrt;

namespace {

constexpr uint64_t kBatchesPerSecond = 10000;  // at most; see "Pacing" above

const char kUsage[] =
    "usage: mcr-gen --dst GROUP:PORT [--dst ...] [options]\n"
    "  --dst GROUP:PORT     destination (multicast group or unicast address); repeat or comma-separate\n"
    "                       for several streams, sent round-robin, each with its own stream id and sequence\n"
    "  --interface IF       send out of IF (IP_MULTICAST_IF + SO_BINDTODEVICE)\n"
    "  --bind ADDR[:PORT]   source address (and port)\n"
    "  --rate PPS           datagrams per second over all streams, 0 = as fast as possible (default 1000)\n"
    "  --count N            stop after N datagrams in total\n"
    "  --duration SECONDS   stop after this long (default: until SIGINT/SIGTERM)\n"
    "  --size BYTES         UDP payload size, 32-65507 (default 1316; above 8972 is fragmented)\n"
    "  --ttl N              IP TTL / multicast TTL (default 16, >1 so kernel forwarding passes it on)\n"
    "  --stream-id N        stream id of the first --dst; the next ones count up (default 1)\n"
    "  --batch N            largest sendmmsg batch, 1-1024 (default 64)\n"
    "  --tx udp|packet      udp (default): a UDP socket; packet: whole frames on an AF_PACKET socket,\n"
    "                       skipping the kernel's UDP/IP output path (multicast only, needs --interface)\n"
    "  --threads N          N sender threads, each with its own socket and every Nth --dst (needs >= N\n"
    "                       destinations; a stream never spans threads)\n"
    "  --cpu N              pin to CPU N (with --threads, thread t to CPU N+t)\n"
    "  --json               print the report as JSON on stdout\n"
    "  --help               this text\n";

struct Stream {
  size_t index = 0;  // position among all --dst, for the report
  Endpoint dst;
  sockaddr_in sa{};
  uint32_t id = 0;
  uint64_t next_seq = 0;
  uint64_t sent = 0;
};

struct Config {
  std::vector<Endpoint> dsts;
  std::string iface;
  bool has_bind = false;
  in_addr bind_addr{};
  uint16_t bind_port = 0;
  uint64_t rate = 1000;
  uint64_t count = 0;
  double duration_s = 0;
  uint32_t size = 1316;
  uint32_t ttl = 16;
  uint32_t stream_id = 1;
  uint32_t batch_max = 64;
  int cpu = -1;
  bool json = false;
  bool raw = false;  // --tx packet
  uint32_t threads = 1;
  // Per sender thread (filled by split_config): which of the --dst it sends and their stream ids.
  std::vector<size_t> indexes;
  std::vector<uint32_t> ids;
};

// Set by SIGINT/SIGTERM; every sender thread polls it.
volatile bool g_stop = false;

struct Context {
  Config cfg;
  int fd = -1;
  std::vector<Stream> streams;
  // One buffer per batch slot, reused for every batch (no allocation while sending).
  std::vector<uint8_t> buffers;
  std::vector<iovec> iov;
  std::vector<mmsghdr> msgs;
  std::vector<uint32_t> slot_stream;  // per datagram slot
  std::vector<uint32_t> slot_phase;   // per slot, for --tx packet: which pattern (payload_phase)
  // --tx packet only: the raw socket, a frame header per stream, the pattern's checksum per phase.
  PacketTx tx;
  std::vector<FrameTemplate> frames;
  std::vector<uint32_t> pattern_sums;
  uint32_t frame_off = 0;  // bytes before the datagram in a slot (Ethernet + IP + UDP with --tx packet)
  uint64_t sent = 0, errors = 0, retries = 0, device_drops = 0;
  int last_errno = 0;
  uint64_t t_start = 0, t_end = 0;
  const volatile bool* stop = &g_stop;
};

void add_dsts(Config* c, const char* arg) {
  std::string s(arg);
  size_t pos = 0;
  while (true) {
    size_t comma = s.find(',', pos);
    std::string one = s.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    c->dsts.push_back(flag_endpoint("--dst", one.c_str()));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
}

void parse_args(Config* c, int argc, char** argv) {
  enum { O_DST = 1, O_IF, O_BIND, O_RATE, O_COUNT, O_DURATION, O_SIZE, O_TTL, O_SID, O_BATCH, O_CPU, O_JSON, O_HELP, O_TX, O_THREADS };
  static const option opts[] = {
      {"dst", required_argument, nullptr, O_DST},         {"interface", required_argument, nullptr, O_IF},
      {"bind", required_argument, nullptr, O_BIND},       {"rate", required_argument, nullptr, O_RATE},
      {"count", required_argument, nullptr, O_COUNT},     {"duration", required_argument, nullptr, O_DURATION},
      {"size", required_argument, nullptr, O_SIZE},       {"ttl", required_argument, nullptr, O_TTL},
      {"stream-id", required_argument, nullptr, O_SID},   {"batch", required_argument, nullptr, O_BATCH},
      {"cpu", required_argument, nullptr, O_CPU},         {"json", no_argument, nullptr, O_JSON},
      {"help", no_argument, nullptr, O_HELP},             {"tx", required_argument, nullptr, O_TX},
      {"threads", required_argument, nullptr, O_THREADS}, {nullptr, 0, nullptr, 0}};
  bool has_count = false, has_duration = false;
  opterr = 0;
  int o;
  while ((o = getopt_long(argc, argv, "", opts, nullptr)) != -1) {
    switch (o) {
      case O_DST: add_dsts(c, optarg); break;
      case O_IF: c->iface = optarg; break;
      case O_BIND: {
        std::string s(optarg);
        Endpoint ep;
        if (s.find(':') != std::string::npos) {
          if (!parse_endpoint(s, &ep)) usage_error("--bind: expected ADDR or ADDR:PORT, got \"%s\"", optarg);
          c->bind_addr = ep.addr;
          c->bind_port = ep.port;
        } else if (!parse_ipv4(s, &c->bind_addr)) {
          usage_error("--bind: expected ADDR or ADDR:PORT, got \"%s\"", optarg);
        }
        c->has_bind = true;
        break;
      }
      case O_RATE: c->rate = flag_u64("--rate", optarg, 0, 100000000); break;
      case O_COUNT: c->count = flag_u64("--count", optarg, 1, UINT64_MAX / 2); has_count = true; break;
      case O_DURATION: c->duration_s = flag_seconds("--duration", optarg, 0.001, 1e7); has_duration = true; break;
      case O_SIZE: c->size = static_cast<uint32_t>(flag_u64("--size", optarg, kMinPayload, kMaxPayload)); break;
      case O_TTL: c->ttl = static_cast<uint32_t>(flag_u64("--ttl", optarg, 1, 255)); break;
      case O_SID: c->stream_id = static_cast<uint32_t>(flag_u64("--stream-id", optarg, 0, UINT32_MAX)); break;
      case O_BATCH: c->batch_max = static_cast<uint32_t>(flag_u64("--batch", optarg, 1, 1024)); break;
      case O_CPU: c->cpu = static_cast<int>(flag_u64("--cpu", optarg, 0, CPU_SETSIZE - 1)); break;
      case O_JSON: c->json = true; break;
      case O_THREADS: c->threads = static_cast<uint32_t>(flag_u64("--threads", optarg, 1, 64)); break;
      case O_TX:
        if (std::strcmp(optarg, "udp") == 0) c->raw = false;
        else if (std::strcmp(optarg, "packet") == 0) c->raw = true;
        else usage_error("--tx: expected udp or packet, got \"%s\"", optarg);
        break;
      case O_HELP: std::fputs(kUsage, stdout); std::exit(0);
      case ':': usage_error("%s: missing value", argv[optind - 1]);
      default: usage_error("unknown option \"%s\"", argv[optind - 1]);
    }
  }
  if (optind < argc) usage_error("unexpected argument \"%s\" (flags take the form --name VALUE)", argv[optind]);
  if (c->dsts.empty()) usage_error("--dst: missing; give at least one destination, e.g. --dst 239.1.1.1:5000");
  if (has_count && has_duration) usage_error("--count and --duration: give one of them, not both");
  if (c->dsts.size() > 65536) usage_error("--dst: at most 65536 destinations, got %zu", c->dsts.size());
  if (static_cast<uint64_t>(c->stream_id) + c->dsts.size() - 1 > UINT32_MAX)
    usage_error("--stream-id: %u + %zu streams overflows 32 bits", c->stream_id, c->dsts.size());
  if (c->threads > c->dsts.size())
    usage_error("--threads %u: needs at least as many --dst (got %zu); one stream is never split across threads, "
                "that would reorder it", c->threads, c->dsts.size());
  if (c->raw) {
    if (c->iface.empty()) usage_error("--tx packet: needs --interface (raw frames go out of one interface)");
    for (const Endpoint& d : c->dsts)
      if (!d.multicast())
        usage_error("--tx packet: %s is not a multicast group (unicast needs ARP; use --tx udp)", d.text.c_str());
  }
  if (c->size > kMaxJumboPayload)
    warn("--size %u exceeds %u (a 9000-byte MTU); datagrams will be IP-fragmented", c->size, kMaxJumboPayload);
}

void setup_packet_socket(Context* ctx) {
  const Config& c = ctx->cfg;
  unsigned idx = ifindex_or_die("--interface", c.iface);
  ctx->tx = packet_tx_open(c.iface, idx, c.has_bind, c.bind_addr, c.bind_port);
  ctx->fd = ctx->tx.fd;
  if (c.size + 28 > ctx->tx.mtu)
    usage_error("--tx packet: --size %u + 28 bytes of IP/UDP exceeds the MTU %u of %s; raw frames are not fragmented",
                c.size, ctx->tx.mtu, c.iface.c_str());
  ctx->frame_off = kFrameHeaderLen;
  for (uint32_t p = 0; p < 256; p++) ctx->pattern_sums.push_back(payload_pattern_sum(0, p, c.size));
}

void setup_socket(Context* ctx) {
  const Config& c = ctx->cfg;
  if (c.raw) {
    setup_packet_socket(ctx);
    return;
  }
  ctx->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (ctx->fd < 0) fatal_sys("socket(AF_INET, SOCK_DGRAM)");
  set_buffer(ctx->fd, false, 4 << 20, "send socket");
  int ttl = static_cast<int>(c.ttl);
  if (setsockopt(ctx->fd, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl) < 0) fatal_sys("setsockopt(IP_TTL)");
  if (setsockopt(ctx->fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl) < 0) fatal_sys("setsockopt(IP_MULTICAST_TTL)");
  if (!c.iface.empty()) {
    unsigned idx = ifindex_or_die("--interface", c.iface);
    ip_mreqn mreq{};
    mreq.imr_ifindex = static_cast<int>(idx);
    if (c.has_bind) mreq.imr_address = c.bind_addr;
    if (setsockopt(ctx->fd, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof mreq) < 0)
      fatal_sys("setsockopt(IP_MULTICAST_IF, " + c.iface + ")");
    if (setsockopt(ctx->fd, SOL_SOCKET, SO_BINDTODEVICE, c.iface.c_str(), static_cast<socklen_t>(c.iface.size())) < 0)
      fatal_sys("setsockopt(SO_BINDTODEVICE, " + c.iface + ")", "needs CAP_NET_RAW (run as root)");
  } else if (c.has_bind) {
    ip_mreqn mreq{};
    mreq.imr_address = c.bind_addr;
    if (setsockopt(ctx->fd, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof mreq) < 0)
      fatal_sys("setsockopt(IP_MULTICAST_IF, --bind address)", "is the --bind address configured on an interface here?");
  }
  if (c.has_bind) {
    // Sender threads share the --bind address and port; nothing is received on them anyway.
    int one = 1;
    if (setsockopt(ctx->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) fatal_sys("setsockopt(SO_REUSEADDR)");
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr = c.bind_addr;
    sa.sin_port = htons(c.bind_port);
    if (bind(ctx->fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0)
      fatal_sys("bind(--bind " + std::string(inet_ntoa(c.bind_addr)) + ":" + std::to_string(c.bind_port) + ")",
                "is the address configured on an interface in this namespace?");
  }
  // One destination: connect, so the kernel caches the route and sendmmsg skips the per-datagram
  // lookup. Several: an unconnected socket with msg_name per datagram keeps one syscall per batch
  // even when every datagram in it goes somewhere else.
  if (c.dsts.size() == 1) {
    sockaddr_in sa = c.dsts[0].sockaddr();
    if (connect(ctx->fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0)
      fatal_sys("connect(" + c.dsts[0].text + ")", "no route to the destination; give --interface or add a route");
  }
}

// Slot j holds one datagram (--tx udp) or one whole frame (--tx packet) at j * stride.
size_t stride(const Context* ctx) { return ctx->frame_off + ctx->cfg.size; }
uint8_t* slot(Context* ctx, uint32_t j) { return ctx->buffers.data() + static_cast<size_t>(j) * stride(ctx); }
uint8_t* datagram(Context* ctx, uint32_t j) { return slot(ctx, j) + ctx->frame_off; }

// Writes the send timestamp into slots [from, to) and, for raw frames, the UDP checksum that covers it.
void stamp_slots(Context* ctx, uint32_t from, uint32_t to, uint64_t ts) {
  for (uint32_t j = from; j < to; j++) {
    payload_stamp(datagram(ctx, j), ts);
    if (ctx->cfg.raw) frame_finish(slot(ctx, j), ctx->frames[ctx->slot_stream[j]], ctx->pattern_sums[ctx->slot_phase[j]]);
  }
}

void setup_buffers(Context* ctx) {
  const Config& c = ctx->cfg;
  for (size_t i = 0; i < c.dsts.size(); i++) {
    Stream s;
    s.dst = c.dsts[i];
    s.sa = c.dsts[i].sockaddr();
    s.index = c.indexes[i];
    s.id = c.ids[i];
    ctx->streams.push_back(s);
    if (c.raw) ctx->frames.push_back(frame_template(ctx->tx, s.dst, c.size, c.ttl));
  }
  ctx->buffers.assign(static_cast<size_t>(c.batch_max) * stride(ctx), 0);
  ctx->slot_stream.resize(c.batch_max);
  ctx->slot_phase.resize(c.batch_max);
  ctx->iov.resize(c.batch_max);
  ctx->msgs.resize(c.batch_max);
  for (uint32_t j = 0; j < c.batch_max; j++) {
    ctx->iov[j].iov_base = slot(ctx, j);
    ctx->iov[j].iov_len = stride(ctx);
    ctx->msgs[j] = mmsghdr{};
    ctx->msgs[j].msg_hdr.msg_iov = &ctx->iov[j];
    ctx->msgs[j].msg_hdr.msg_iovlen = 1;
  }
}

// Sends slots [0, k); returns when every one was either accepted by the kernel or given up on.
void send_batch(Context* ctx, uint32_t k) {
  uint32_t off = 0;
  unsigned busy = 0;
  while (off < k) {
    int r = sendmmsg(ctx->fd, ctx->msgs.data() + off, k - off, 0);
    if (r > 0) {
      for (int j = 0; j < r; j++) ctx->streams[ctx->slot_stream[off + j]].sent++;
      ctx->sent += static_cast<uint64_t>(r);
      off += static_cast<uint32_t>(r);
      busy = 0;
      continue;
    }
    int e = r < 0 ? errno : EAGAIN;
    if (e == EINTR) continue;
    if (e == ENOBUFS && ctx->cfg.raw) {
      // With the qdisc bypassed, ENOBUFS means the device dropped this frame (on veth: the receiving
      // CPU's backlog was full), as a UDP socket's send drops it silently: it was sent and lost on the
      // way, so its sequence number stays used and the sink counts it lost. Retrying instead would
      // slow the generator down and make an overloaded receiver look like a slow generator.
      ctx->streams[ctx->slot_stream[off]].sent++;
      ctx->sent++;
      ctx->device_drops++;
      off++;
      continue;
    }
    if (e == ENOBUFS || e == EAGAIN) {
      // Queue full: the datagram was not sent. Retry it, yielding the CPU now and then so whatever
      // drains the queue (on a 2-core box often the same core) gets to run.
      ctx->retries++;
      if (++busy % 16 == 0) usleep(20);
      stamp_slots(ctx, off, k, mono_ns());
      if (*ctx->stop && busy > 1000) return;
      continue;
    }
    ctx->errors++;
    ctx->last_errno = e;
    // ECONNREFUSED is a pending ICMP error from an earlier datagram, reported instead of sending this
    // one: retry it. Anything else (ENETUNREACH, EPERM, ...) belongs to this datagram: skip it, its
    // sequence number stays used so the sink counts it as lost.
    if (e != ECONNREFUSED) off++;
  }
}

void run(Context* ctx) {
  const Config& c = ctx->cfg;
  const uint32_t batch = c.rate ? static_cast<uint32_t>(std::clamp<uint64_t>(c.rate / kBatchesPerSecond, 1, c.batch_max)) : c.batch_max;
  const double ns_per_pkt = c.rate ? 1e9 / static_cast<double>(c.rate) : 0;
  Pacer pacer(static_cast<uint64_t>(ns_per_pkt * batch));
  const uint64_t debt_cap = std::max<uint64_t>(4ull * batch, c.rate / 500);
  ctx->t_start = mono_ns();
  double sched_t0 = static_cast<double>(ctx->t_start);
  const uint64_t t_stop = c.duration_s > 0 ? ctx->t_start + static_cast<uint64_t>(c.duration_s * 1e9) : UINT64_MAX;
  uint64_t n = 0;  // datagrams handed out so far (over all streams)
  size_t rr = 0;
  while (!*ctx->stop) {
    if (c.count && n >= c.count) break;
    uint64_t now = mono_ns();
    if (now >= t_stop) break;
    uint64_t want = batch;
    if (c.count) want = std::min(want, c.count - n);
    uint64_t k = want;
    if (c.rate) {
      uint64_t due_last = static_cast<uint64_t>(sched_t0 + static_cast<double>(n + want - 1) * ns_per_pkt);
      if (now < due_last) {
        pacer.wait_until(std::min(due_last, t_stop), ctx->stop);
        continue;
      }
      uint64_t avail = static_cast<uint64_t>((static_cast<double>(now) - sched_t0) / ns_per_pkt) + 1 - n;
      if (avail > debt_cap) {
        sched_t0 += static_cast<double>(avail - debt_cap) * ns_per_pkt;
        avail = debt_cap;
      }
      k = std::min<uint64_t>({avail, c.batch_max, c.count ? c.count - n : UINT64_MAX});
    }
    for (uint32_t j = 0; j < k; j++) {
      Stream& s = ctx->streams[rr];
      ctx->slot_stream[j] = static_cast<uint32_t>(rr);
      if (ctx->streams.size() > 1 && !c.raw) {
        ctx->msgs[j].msg_hdr.msg_name = &s.sa;
        ctx->msgs[j].msg_hdr.msg_namelen = sizeof s.sa;
      }
      ctx->slot_phase[j] = payload_phase(s.next_seq, s.id);
      payload_write(datagram(ctx, j), c.size, s.id, s.next_seq++, 0);
      if (++rr == ctx->streams.size()) rr = 0;
    }
    // One clock read per batch, written into every datagram right before the syscall.
    stamp_slots(ctx, 0, static_cast<uint32_t>(k), mono_ns());
    send_batch(ctx, static_cast<uint32_t>(k));
    n += k;
  }
  // A paced run of n datagrams occupies n slots of 1/rate: wait out the last one, so that
  // achievedPps = sent / elapsed comes out as the rate itself when every datagram left on time.
  if (c.rate && !*ctx->stop)
    pacer.wait_until(std::min(t_stop, static_cast<uint64_t>(sched_t0 + static_cast<double>(n) * ns_per_pkt)), ctx->stop);
  ctx->t_end = mono_ns();
}

/**
 * split_config - one Config per sender thread: thread t sends --dst t, t+T, t+2T, ... (a stream
 * never spans threads, so its sequence stays in order) at the rate and count share of its streams.
 */
std::vector<Config> split_config(const Config& all) {
  const uint32_t T = all.threads;
  const size_t S = all.dsts.size();
  std::vector<Config> out(T, all);
  for (Config& c : out) { c.dsts.clear(); c.indexes.clear(); c.ids.clear(); c.count = 0; }
  for (size_t i = 0; i < S; i++) {
    Config& c = out[i % T];
    c.dsts.push_back(all.dsts[i]);
    c.indexes.push_back(i);
    c.ids.push_back(all.stream_id + static_cast<uint32_t>(i));
    // --count N over S streams: N/S each, the first N%S streams one more (as round-robin would).
    if (all.count) c.count += all.count / S + (i < all.count % S ? 1 : 0);
  }
  uint64_t rate_left = all.rate;
  for (Config& c : out) {
    c.rate = all.rate * c.dsts.size() / S;
    rate_left -= c.rate;
  }
  out[0].rate += rate_left;  // what integer division dropped, so the rates add up exactly
  for (Config& c : out) {
    if (all.rate && c.rate == 0) c.rate = 1;
    if (all.cpu >= 0) c.cpu = static_cast<int>((static_cast<unsigned>(all.cpu) + static_cast<unsigned>(&c - out.data())) %
                                               std::max(1u, std::thread::hardware_concurrency()));
  }
  return out;
}

void report(const Config& c, const std::vector<std::unique_ptr<Context>>& senders) {
  uint64_t sent = 0, errors = 0, retries = 0, device_drops = 0, t_start = UINT64_MAX, t_end = 0;
  int last_errno = 0;
  std::vector<const Stream*> streams(c.dsts.size());
  for (const auto& ctx : senders) {
    sent += ctx->sent;
    device_drops += ctx->device_drops;
    errors += ctx->errors;
    retries += ctx->retries;
    t_start = std::min(t_start, ctx->t_start);
    t_end = std::max(t_end, ctx->t_end);
    if (ctx->last_errno) last_errno = ctx->last_errno;
    for (const Stream& s : ctx->streams) streams[s.index] = &s;
  }
  uint64_t elapsed = t_end - t_start;
  double pps = elapsed ? static_cast<double>(sent) * 1e9 / static_cast<double>(elapsed) : 0;
  if (c.json) {
    JsonWriter w;
    w.begin_object();
    w.field("sent", sent);
    w.field("errors", errors);
    w.field("retries", retries);
    w.field("deviceDrops", device_drops);
    w.field("elapsedNs", elapsed);
    w.field("achievedPps", pps);
    w.field("ratePps", c.rate);
    w.field("payloadBytes", uint64_t{c.size});
    w.field("tx", std::string(c.raw ? "packet" : "udp"));
    w.field("threads", uint64_t{c.threads});
    w.field("cpuNs", cpu_ns());
    w.key("lastError");
    if (last_errno) w.value(std::string(strerror(last_errno))); else w.null();
    w.key("streams");
    w.begin_array();
    for (const Stream* s : streams) {
      w.begin_object();
      w.field("streamId", uint64_t{s->id});
      w.field("dst", s->dst.text);
      w.field("sent", s->sent);
      w.end_object();
    }
    w.end_array();
    w.end_object();
    std::printf("%s\n", w.str().c_str());
  } else {
    std::printf("mcr-gen: sent %llu datagrams of %u bytes in %.3f s = %.0f pps (asked %llu%s), %llu errors, %llu retries, "
                "%llu dropped by the device\n",
                (unsigned long long)sent, c.size, static_cast<double>(elapsed) / 1e9, pps,
                (unsigned long long)c.rate, c.rate ? "" : " = unpaced", (unsigned long long)errors,
                (unsigned long long)retries, (unsigned long long)device_drops);
    if (sent) std::printf("  cpu %.0f ns per datagram\n", static_cast<double>(cpu_ns()) / static_cast<double>(sent));
    if (last_errno) std::printf("  last error: %s\n", strerror(last_errno));
    for (const Stream* s : streams)
      std::printf("  stream %u -> %s: %llu sent\n", s->id, s->dst.text.c_str(), (unsigned long long)s->sent);
  }
  std::fflush(stdout);
}

void run_pinned(Context* ctx) {
  if (ctx->cfg.cpu >= 0) pin_cpu(static_cast<unsigned>(ctx->cfg.cpu));
  run(ctx);
}

}  // namespace

int main(int argc, char** argv) {
  set_prog("mcr-gen");
  Config cfg;
  parse_args(&cfg, argc, argv);
  install_stop_handlers(&g_stop);
  // Every socket is set up before the first datagram goes out, so a setup error exits cleanly.
  std::vector<std::unique_ptr<Context>> senders;
  for (const Config& c : split_config(cfg)) {
    senders.push_back(std::make_unique<Context>());
    senders.back()->cfg = c;
    setup_socket(senders.back().get());
    setup_buffers(senders.back().get());
  }
  // Worker threads start with SIGINT/SIGTERM blocked, so the signal (and its EINTR) lands in the
  // main thread; the others see the flag at their next batch (sleeps are at most 50 ms long).
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &block, &old);
  std::vector<std::thread> workers;
  for (size_t t = 1; t < senders.size(); t++) workers.emplace_back(run_pinned, senders[t].get());
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  run_pinned(senders[0].get());
  for (std::thread& w : workers) w.join();
  report(cfg, senders);
  for (const auto& ctx : senders) close(ctx->fd);
  return 0;
}

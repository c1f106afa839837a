// mcr-sink: joins one or many groups (or binds unicast addresses), verifies every datagram written by
// mcr-gen (lib/payload.h) and reports counts, sequence anomalies and one-way latency per listen.
//
// Usage:
//   mcr-sink --listen GROUP:PORT[,GROUP:PORT...] [--interface IF] [--duration S | --idle-timeout S]
//            [--expect-count N] [--late-ms MS] [--latency-samples N] [--rx-timestamp kernel|user]
//            [--coalesce-us N] [--ready-file PATH] [--cpu N] [--json] [--help]
//
// Examples:
//   # wait for 10k datagrams on a group joined on veth1, JSON report, ready file for the lab to poll
//   ip netns exec h2 mcr-sink --listen 239.1.1.1:5000 --interface veth1 --expect-count 10000
//       --idle-timeout 2 --ready-file /tmp/sink.ready --json
//   # 50 groups in one process, stop 1 s after traffic ends
//   mcr-sink --listen $(seq -s, -f '239.2.0.%g:6000' 1 50) --interface veth1 --idle-timeout 1
//   # unicast: just bind the local address
//   mcr-sink --listen 10.0.0.2:7000 --duration 10
//
// Latency = arrival time - the send timestamp in the payload (CLOCK_MONOTONIC, lib/payload.h).
// Arrival time, --rx-timestamp kernel (default): the kernel's SO_TIMESTAMPNS stamp, taken when the
// datagram entered this namespace's stack. It is CLOCK_REALTIME, so it is converted with the
// REALTIME - MONOTONIC offset read right after each recvmmsg (both clocks are slewed alike by NTP;
// only a clock step between arrival and read would show, as one odd sample). This leaves out the
// sink's own wake-up and queueing, which on a VM is tens of µs with ms outliers and would otherwise
// blur what a relay adds. --rx-timestamp user: CLOCK_MONOTONIC read in userspace right after
// recvmmsg returns (one reading per batch), i.e. what an application would see.
//
// Wake-ups: with kernel timestamps the sink sleeps --coalesce-us (200) after each wake-up with
// traffic, then reads everything that arrived meanwhile: at 150k pps that cut its CPU per datagram
// from ~1.5-2.5 µs to ~1.1 µs here, without touching the latency figures. The receive buffers
// hold far more than 200 µs of traffic at any rate veth reaches.
//
// Ends on --duration (counted from ready), --idle-timeout (no datagram for S seconds, counted from
// the first datagram), --expect-count reached on every listen, or SIGINT/SIGTERM; then reports.
// Exit: 0 report printed, 64 usage error, 1 setup failure.
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "lib/cli.h"
#include "lib/clock.h"
#include "lib/json.h"
#include "lib/latency.h"
#include "lib/net.h"
#include "lib/payload.h"
#include "lib/seqtrack.h"

using namespace mcrt;

namespace {

const char kUsage[] =
    "usage: mcr-sink --listen GROUP:PORT[,GROUP:PORT...] [options]\n"
    "  --listen ADDR:PORT[,...]  multicast groups to join or unicast addresses to bind (repeatable)\n"
    "  --interface IF            join the groups on IF (default: the interface of the route to the group)\n"
    "  --duration S              stop S seconds after ready\n"
    "  --idle-timeout S          stop when no datagram arrived for S seconds (after the first one)\n"
    "  --expect-count N          stop once every listen got N unique datagrams; lost counts against N\n"
    "  --late-ms MS              a datagram older than this on arrival counts as late (default 100)\n"
    "  --latency-samples N       keep N raw latencies per listen: exact percentiles while they fit\n"
    "                            (default 0: log-bucket histogram, within 0.8 %)\n"
    "  --rx-timestamp kernel|user  arrival time for latency: the kernel's receive stamp (default) or\n"
    "                            CLOCK_MONOTONIC after recvmmsg returns (includes the sink's wake-up)\n"
    "  --coalesce-us N           after a wake-up with traffic, sleep N µs before waiting again, so each\n"
    "                            wake-up reads more datagrams (default 200 with kernel timestamps, else 0)\n"
    "  --ready-file PATH         write our pid to PATH once every socket is bound and joined\n"
    "  --cpu N                   pin to CPU N\n"
    "  --json                    print the report as JSON on stdout\n"
    "  --help                    this text\n";

constexpr unsigned kBatch = 64;
constexpr size_t kSlotBytes = 65536;        // any UDP datagram fits; MSG_TRUNC means a bigger one
constexpr size_t kMaxStreamsPerListen = 256;  // beyond that, datagrams count as payload errors
constexpr size_t kControlLen = CMSG_SPACE(sizeof(timespec));

struct Config {
  std::vector<Endpoint> listens;
  std::string iface;
  double duration_s = 0, idle_s = 0;
  uint64_t expect = 0;
  uint64_t late_ns = 100'000'000;
  uint64_t latency_samples = 0;
  bool kernel_ts = true;
  int64_t coalesce_us = -1;  // -1: default (200 with kernel timestamps, 0 with user ones)
  std::string ready_file;
  int cpu = -1;
  bool json = false;
};

struct StreamStats {
  uint32_t id = 0;
  uint64_t received = 0;
  SeqTracker seq;
};

struct Listen {
  explicit Listen(uint64_t samples) : latency(samples) {}
  Endpoint ep;
  int fd = -1;
  uint64_t received = 0, bytes = 0, late = 0, payload_errors = 0;
  uint64_t unique = 0;
  bool done = false;  // reached --expect-count
  std::vector<StreamStats> streams;
  LatencyStats latency;
};

struct Context {
  Config cfg;
  int ep = -1;
  std::vector<std::unique_ptr<Listen>> listens;
  std::vector<uint8_t> buffers;
  std::vector<iovec> iov;
  std::vector<mmsghdr> msgs;
  std::vector<uint8_t> controls;  // per slot, room for one SCM_TIMESTAMPNS
  size_t listens_done = 0;
  uint64_t kernel_stamps = 0, user_stamps = 0;
  uint64_t recv_errors = 0;
  uint64_t t_ready = 0, t_first = 0, t_last = 0, t_end = 0;
  volatile bool stop = false;
};

void add_listens(Config* c, const char* arg) {
  std::string s(arg);
  size_t pos = 0;
  while (true) {
    size_t comma = s.find(',', pos);
    std::string one = s.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    c->listens.push_back(flag_endpoint("--listen", one.c_str()));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
}

void parse_args(Config* c, int argc, char** argv) {
  enum { O_LISTEN = 1, O_IF, O_DURATION, O_IDLE, O_EXPECT, O_LATE, O_SAMPLES, O_READY, O_CPU, O_JSON, O_HELP, O_RXTS, O_COALESCE };
  static const option opts[] = {
      {"listen", required_argument, nullptr, O_LISTEN},         {"interface", required_argument, nullptr, O_IF},
      {"duration", required_argument, nullptr, O_DURATION},     {"idle-timeout", required_argument, nullptr, O_IDLE},
      {"expect-count", required_argument, nullptr, O_EXPECT},   {"late-ms", required_argument, nullptr, O_LATE},
      {"latency-samples", required_argument, nullptr, O_SAMPLES}, {"ready-file", required_argument, nullptr, O_READY},
      {"cpu", required_argument, nullptr, O_CPU},               {"json", no_argument, nullptr, O_JSON},
      {"help", no_argument, nullptr, O_HELP},                   {"rx-timestamp", required_argument, nullptr, O_RXTS},
      {"coalesce-us", required_argument, nullptr, O_COALESCE},  {nullptr, 0, nullptr, 0}};
  opterr = 0;
  int o;
  while ((o = getopt_long(argc, argv, "", opts, nullptr)) != -1) {
    switch (o) {
      case O_LISTEN: add_listens(c, optarg); break;
      case O_IF: c->iface = optarg; break;
      case O_DURATION: c->duration_s = flag_seconds("--duration", optarg, 0.001, 1e7); break;
      case O_IDLE: c->idle_s = flag_seconds("--idle-timeout", optarg, 0.001, 1e7); break;
      case O_EXPECT: c->expect = flag_u64("--expect-count", optarg, 1, UINT64_MAX / 2); break;
      case O_LATE: c->late_ns = flag_u64("--late-ms", optarg, 0, 3'600'000) * 1'000'000; break;
      case O_SAMPLES: c->latency_samples = flag_u64("--latency-samples", optarg, 0, 100'000'000); break;
      case O_READY: c->ready_file = optarg; break;
      case O_CPU: c->cpu = static_cast<int>(flag_u64("--cpu", optarg, 0, CPU_SETSIZE - 1)); break;
      case O_JSON: c->json = true; break;
      case O_COALESCE: c->coalesce_us = static_cast<int64_t>(flag_u64("--coalesce-us", optarg, 0, 100000)); break;
      case O_RXTS:
        if (std::strcmp(optarg, "kernel") == 0) c->kernel_ts = true;
        else if (std::strcmp(optarg, "user") == 0) c->kernel_ts = false;
        else usage_error("--rx-timestamp: expected kernel or user, got \"%s\"", optarg);
        break;
      case O_HELP: std::fputs(kUsage, stdout); std::exit(0);
      case ':': usage_error("%s: missing value", argv[optind - 1]);
      default: usage_error("unknown option \"%s\"", argv[optind - 1]);
    }
  }
  if (optind < argc) usage_error("unexpected argument \"%s\" (flags take the form --name VALUE)", argv[optind]);
  if (c->coalesce_us < 0) c->coalesce_us = c->kernel_ts ? 200 : 0;
  if (c->coalesce_us > 0 && !c->kernel_ts)
    warn("--coalesce-us %lld with --rx-timestamp user: latencies include up to that much extra wait", (long long)c->coalesce_us);
  if (c->listens.empty()) usage_error("--listen: missing; give at least one GROUP:PORT, e.g. --listen 239.1.1.1:5000");
  for (size_t i = 0; i < c->listens.size(); i++)
    for (size_t j = 0; j < i; j++)
      if (c->listens[i].text == c->listens[j].text)
        usage_error("--listen: %s is given twice", c->listens[i].text.c_str());
  uint64_t mem = c->latency_samples * 8 * c->listens.size();
  if (mem > (4ull << 30))
    usage_error("--latency-samples: %llu samples x %zu listens needs %llu MB; lower it", (unsigned long long)c->latency_samples,
                c->listens.size(), (unsigned long long)(mem >> 20));
}

// Receive buffer per socket: enough to ride out a sink descheduled for ~50 ms at 300k pps
// (64 MB for one listen), shared out over many listens (512 MB in all, at least 4 MB each). The
// memory is only used while datagrams wait, so the generous size costs nothing in normal runs.
int rcvbuf_bytes(size_t listens) {
  size_t each = (512u << 20) / std::max<size_t>(1, listens);
  return static_cast<int>(std::clamp<size_t>(each, 4u << 20, 64u << 20));
}

void setup_listen(Context* ctx, Listen* l, unsigned ifindex) {
  const Endpoint& ep = l->ep;
  const std::string what = "--listen " + ep.text;
  l->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (l->fd < 0) fatal_sys(what + ": socket(AF_INET, SOCK_DGRAM)", "too many open files? raise ulimit -n");
  int one = 1, zero = 0;
  if (setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) fatal_sys(what + ": setsockopt(SO_REUSEADDR)");
  set_buffer(l->fd, true, rcvbuf_bytes(ctx->cfg.listens.size()), what);
  // Bound to the group address itself, a socket gets only its group even when many listens share
  // a port; IP_MULTICAST_ALL=0 also keeps out groups joined by other sockets on a wildcard bind.
  sockaddr_in sa = ep.sockaddr();
  if (bind(l->fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0)
    fatal_sys(what + ": bind", ep.multicast() ? "port in use without SO_REUSEADDR by another program?"
                                              : "is the address configured on an interface in this namespace?");
  if (ep.multicast()) {
    if (setsockopt(l->fd, IPPROTO_IP, IP_MULTICAST_ALL, &zero, sizeof zero) < 0)
      fatal_sys(what + ": setsockopt(IP_MULTICAST_ALL)");
    ip_mreqn mreq{};
    mreq.imr_multiaddr = ep.addr;
    mreq.imr_ifindex = static_cast<int>(ifindex);
    if (setsockopt(l->fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq) < 0)
      fatal_sys(what + ": setsockopt(IP_ADD_MEMBERSHIP" + (ctx->cfg.iface.empty() ? "" : " on " + ctx->cfg.iface) + ")",
                errno == ENOBUFS ? "more than net.ipv4.igmp_max_memberships groups; raise that sysctl"
                                 : "no multicast route? give --interface");
  }
  if (ctx->cfg.kernel_ts && setsockopt(l->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) < 0)
    fatal_sys(what + ": setsockopt(SO_TIMESTAMPNS)", "try --rx-timestamp user");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = l;
  if (epoll_ctl(ctx->ep, EPOLL_CTL_ADD, l->fd, &ev) < 0) fatal_sys(what + ": epoll_ctl(ADD)");
}

void setup(Context* ctx) {
  const Config& c = ctx->cfg;
  unsigned ifindex = c.iface.empty() ? 0 : ifindex_or_die("--interface", c.iface);
  ctx->ep = epoll_create1(EPOLL_CLOEXEC);
  if (ctx->ep < 0) fatal_sys("epoll_create1");
  for (const Endpoint& e : c.listens) {
    auto l = std::make_unique<Listen>(c.latency_samples);
    l->ep = e;
    l->streams.reserve(4);
    setup_listen(ctx, l.get(), ifindex);
    ctx->listens.push_back(std::move(l));
  }
  ctx->buffers.assign(kBatch * kSlotBytes, 0);
  ctx->iov.resize(kBatch);
  ctx->msgs.resize(kBatch);
  ctx->controls.assign(kBatch * kControlLen, 0);
  for (unsigned j = 0; j < kBatch; j++) {
    ctx->iov[j].iov_base = ctx->buffers.data() + j * kSlotBytes;
    ctx->iov[j].iov_len = kSlotBytes;
    ctx->msgs[j] = mmsghdr{};
    ctx->msgs[j].msg_hdr.msg_iov = &ctx->iov[j];
    ctx->msgs[j].msg_hdr.msg_iovlen = 1;
  }
}

void announce_ready(Context* ctx) {
  ctx->t_ready = mono_ns();
  const std::string& path = ctx->cfg.ready_file;
  if (!path.empty()) {
    // Write-then-rename so a poller never sees a half-written file.
    const std::string tmp = path + ".tmp";
    FILE* f = std::fopen(tmp.c_str(), "w");
    if (!f) fatal_sys("--ready-file " + tmp + ": fopen");
    std::fprintf(f, "%d\n", static_cast<int>(getpid()));
    if (std::fclose(f) != 0) fatal_sys("--ready-file " + tmp + ": write");
    if (std::rename(tmp.c_str(), path.c_str()) < 0) fatal_sys("--ready-file " + path + ": rename");
  }
  std::fprintf(stderr, "mcr-sink: ready\n");
  std::fflush(stderr);
}

StreamStats* find_stream(Listen* l, uint32_t id) {
  for (StreamStats& s : l->streams)
    if (s.id == id) return &s;
  if (l->streams.size() >= kMaxStreamsPerListen) return nullptr;
  // A new stream id: allocation here happens once per stream, not per packet.
  l->streams.emplace_back();
  l->streams.back().id = id;
  return &l->streams.back();
}

void account(Context* ctx, Listen* l, const uint8_t* buf, size_t n, int flags, uint64_t now) {
  l->received++;
  l->bytes += n;
  Header h;
  if ((flags & MSG_TRUNC) || payload_parse(buf, n, &h) != Check::ok) {
    l->payload_errors++;
    return;
  }
  // A bad pattern with a sane header still has a trustworthy sequence number: count both.
  if (!payload_pattern_ok(buf, n, h)) l->payload_errors++;
  StreamStats* s = find_stream(l, h.stream_id);
  if (!s) {
    l->payload_errors++;
    return;
  }
  s->received++;
  if (s->seq.observe(h.seq) != SeqTracker::Kind::duplicate) l->unique++;
  uint64_t lat = now > h.send_ns ? now - h.send_ns : 0;
  l->latency.record(lat);
  if (lat > ctx->cfg.late_ns) l->late++;
  if (ctx->cfg.expect && !l->done && l->unique >= ctx->cfg.expect) {
    l->done = true;
    ctx->listens_done++;
  }
}

// REALTIME - MONOTONIC right now. The monotonic reading is bracketed by two realtime ones; if we
// were preempted in between, the bracket is wide and the estimate off by up to half of it, so the
// tightest of a few tries is kept (normally the first, at well under 1 µs).
int64_t realtime_offset() {
  auto ns = [](const timespec& t) { return static_cast<int64_t>(t.tv_sec) * 1000000000ll + t.tv_nsec; };
  int64_t best = 0, best_width = INT64_MAX;
  for (int i = 0; i < 5 && best_width > 1000; i++) {
    timespec r1, m, r2;
    clock_gettime(CLOCK_REALTIME, &r1);
    clock_gettime(CLOCK_MONOTONIC, &m);
    clock_gettime(CLOCK_REALTIME, &r2);
    int64_t width = ns(r2) - ns(r1);
    if (width < best_width) {
      best_width = width;
      best = (ns(r1) + ns(r2)) / 2 - ns(m);
    }
  }
  return best;
}

// Arrival time of message j on CLOCK_MONOTONIC: the kernel's stamp converted, else @fallback.
uint64_t arrival_ns(Context* ctx, unsigned j, int64_t offset, uint64_t fallback) {
  msghdr& h = ctx->msgs[j].msg_hdr;
  for (cmsghdr* c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(&h, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      timespec ts;
      std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
      int64_t mono = static_cast<int64_t>(ts.tv_sec) * 1000000000ll + ts.tv_nsec - offset;
      if (mono > 0) {
        ctx->kernel_stamps++;
        return static_cast<uint64_t>(mono);
      }
    }
  }
  ctx->user_stamps++;
  return fallback;
}

void drain(Context* ctx, Listen* l) {
  const bool kts = ctx->cfg.kernel_ts;
  // A few batches per wake-up so one busy socket cannot starve 49 others; when coalescing, a
  // wake-up comes only every --coalesce-us, so take all that piled up meanwhile.
  const int rounds = ctx->cfg.coalesce_us > 0 ? 64 : 4;
  for (int round = 0; round < rounds; round++) {
    if (kts) {
      for (unsigned j = 0; j < kBatch; j++) {  // the kernel shrinks msg_controllen to what it wrote
        ctx->msgs[j].msg_hdr.msg_control = ctx->controls.data() + j * kControlLen;
        ctx->msgs[j].msg_hdr.msg_controllen = kControlLen;
      }
    }
    int r = recvmmsg(l->fd, ctx->msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (r < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      ctx->recv_errors++;
      return;
    }
    uint64_t now = mono_ns();
    int64_t offset = kts ? realtime_offset() : 0;
    if (!ctx->t_first) ctx->t_first = now;
    ctx->t_last = now;
    for (int j = 0; j < r; j++) {
      const unsigned u = static_cast<unsigned>(j);
      uint64_t at = kts ? arrival_ns(ctx, u, offset, now) : now;
      account(ctx, l, static_cast<const uint8_t*>(ctx->iov[u].iov_base), ctx->msgs[u].msg_len,
              ctx->msgs[u].msg_hdr.msg_flags, at);
    }
    if (static_cast<unsigned>(r) < kBatch) return;
  }
}

void run(Context* ctx) {
  const Config& c = ctx->cfg;
  const uint64_t t_stop = c.duration_s > 0 ? ctx->t_ready + static_cast<uint64_t>(c.duration_s * 1e9) : UINT64_MAX;
  const uint64_t idle_ns = static_cast<uint64_t>(c.idle_s * 1e9);
  // SIGINT/SIGTERM stay blocked except inside epoll_pwait, so a signal can never slip in between
  // checking the stop flag and going to sleep.
  sigset_t block, during;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  if (sigprocmask(SIG_BLOCK, &block, &during) < 0) fatal_sys("sigprocmask");
  sigdelset(&during, SIGINT);
  sigdelset(&during, SIGTERM);
  std::vector<epoll_event> events(std::min<size_t>(ctx->listens.size(), 256));
  while (!ctx->stop) {
    uint64_t now = mono_ns();
    if (now >= t_stop) break;
    if (idle_ns && ctx->t_first && now - ctx->t_last >= idle_ns) break;
    if (c.expect && ctx->listens_done == ctx->listens.size()) break;
    uint64_t wait_ns = 1'000'000'000;
    if (t_stop != UINT64_MAX) wait_ns = std::min(wait_ns, t_stop - now);
    if (idle_ns && ctx->t_first) wait_ns = std::min(wait_ns, ctx->t_last + idle_ns - now);
    int timeout_ms = static_cast<int>((wait_ns + 999'999) / 1'000'000);
    int n = epoll_pwait(ctx->ep, events.data(), static_cast<int>(events.size()), timeout_ms, &during);
    if (n < 0) {
      if (errno == EINTR) continue;
      fatal_sys("epoll_pwait");
    }
    for (int i = 0; i < n; i++) drain(ctx, static_cast<Listen*>(events[i].data.ptr));
    // Coalescing: the arrival time comes from the kernel's stamp, so reading later costs no
    // accuracy, and fewer, fuller wake-ups cost far less CPU (on this VM a wake-up costs more than
    // reading a datagram), leaving it to the generator or relay sharing the core.
    if (n > 0 && c.coalesce_us > 0) {
      timespec ts{0, static_cast<long>(c.coalesce_us) * 1000};
      clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, nullptr);
    }
  }
  ctx->t_end = mono_ns();
}

uint64_t listen_lost(const Context* ctx, const Listen& l) {
  uint64_t lost = 0;
  for (const StreamStats& s : l.streams) lost += s.seq.lost();
  // With --expect-count, whatever never showed up at all (e.g. the tail of the run) is lost too.
  if (ctx->cfg.expect && ctx->cfg.expect > l.unique) lost = std::max(lost, ctx->cfg.expect - l.unique);
  return lost;
}

void report_json(Context* ctx) {
  JsonWriter w;
  w.begin_object();
  w.key("listens");
  w.begin_array();
  for (auto& lp : ctx->listens) {
    Listen& l = *lp;
    w.begin_object();
    w.field("group", std::string(l.ep.text.substr(0, l.ep.text.rfind(':'))));
    w.field("port", uint64_t{l.ep.port});
    w.field("received", l.received);
    w.field("bytes", l.bytes);
    w.field("lost", listen_lost(ctx, l));
    uint64_t dups = 0, reord = 0, lo = UINT64_MAX, hi = 0;
    for (const StreamStats& s : l.streams) {
      dups += s.seq.duplicates();
      reord += s.seq.reordered();
      if (s.seq.any()) { lo = std::min(lo, s.seq.lowest()); hi = std::max(hi, s.seq.highest()); }
    }
    w.field("duplicates", dups);
    w.field("reordered", reord);
    w.field("late", l.late);
    w.field("payloadErrors", l.payload_errors);
    w.key("firstSeq");
    if (lo != UINT64_MAX) w.value(lo); else w.null();
    w.key("lastSeq");
    if (lo != UINT64_MAX) w.value(hi); else w.null();
    w.key("streams");
    w.begin_array();
    for (const StreamStats& s : l.streams) {
      w.begin_object();
      w.field("streamId", uint64_t{s.id});
      w.field("received", s.received);
      w.field("lost", s.seq.lost());
      w.field("duplicates", s.seq.duplicates());
      w.field("reordered", s.seq.reordered());
      w.field("firstSeq", s.seq.lowest());
      w.field("lastSeq", s.seq.highest());
      w.end_object();
    }
    w.end_array();
    w.key("latencyNs");
    LatencySummary ls = l.latency.summary();
    if (ls.count == 0) {
      w.null();
    } else {
      w.begin_object();
      w.field("p50", ls.p50);
      w.field("p90", ls.p90);
      w.field("p99", ls.p99);
      w.field("p999", ls.p999);
      w.field("max", ls.max);
      w.field("min", ls.min);
      w.field("mean", ls.mean);
      w.field("samples", ls.count);
      w.end_object();
    }
    w.end_object();
  }
  w.end_array();
  w.field("elapsedNs", ctx->t_end - ctx->t_ready);
  w.field("activeNs", ctx->t_first ? ctx->t_last - ctx->t_first : uint64_t{0});
  w.field("recvErrors", ctx->recv_errors);
  w.field("cpuNs", cpu_ns());
  // Which arrival clock the latencies used: "kernel", "user", or "mixed" if some stamps were missing.
  const char* clock = "user";
  if (ctx->cfg.kernel_ts && ctx->user_stamps == 0) clock = "kernel";
  else if (ctx->cfg.kernel_ts && ctx->kernel_stamps > 0) clock = "mixed";
  w.field("rxTimestamp", std::string(clock));
  w.end_object();
  std::printf("%s\n", w.str().c_str());
}

void report_text(Context* ctx) {
  std::printf("mcr-sink: %.3f s, %zu listens\n", static_cast<double>(ctx->t_end - ctx->t_ready) / 1e9, ctx->listens.size());
  for (auto& lp : ctx->listens) {
    Listen& l = *lp;
    uint64_t dups = 0, reord = 0;
    for (const StreamStats& s : l.streams) { dups += s.seq.duplicates(); reord += s.seq.reordered(); }
    LatencySummary ls = l.latency.summary();
    std::printf("  %-21s received %llu  lost %llu  dup %llu  reordered %llu  late %llu  payload errors %llu",
                l.ep.text.c_str(), (unsigned long long)l.received, (unsigned long long)listen_lost(ctx, l),
                (unsigned long long)dups, (unsigned long long)reord, (unsigned long long)l.late,
                (unsigned long long)l.payload_errors);
    if (ls.count)
      std::printf("  latency us p50 %.1f p99 %.1f max %.1f", ls.p50 / 1e3, ls.p99 / 1e3, ls.max / 1e3);
    std::printf("\n");
  }
  if (ctx->recv_errors) std::printf("  recvmmsg errors: %llu\n", (unsigned long long)ctx->recv_errors);
}

}  // namespace

int main(int argc, char** argv) {
  set_prog("mcr-sink");
  static Context ctx;  // static: the signal handler's flag must outlive main's frame
  parse_args(&ctx.cfg, argc, argv);
  if (ctx.cfg.cpu >= 0) pin_cpu(static_cast<unsigned>(ctx.cfg.cpu));
  install_stop_handlers(&ctx.stop);
  setup(&ctx);
  announce_ready(&ctx);
  run(&ctx);
  if (ctx.cfg.json) report_json(&ctx); else report_text(&ctx);
  std::fflush(stdout);
  for (auto& l : ctx.listens) close(l->fd);
  close(ctx.ep);
  return 0;
}

// mcr-member: a multicast receiver that joins and leaves one group on a schedule and measures, per
// join/leave cycle, RFC 3918 §6.1 group join delay and §6.2 group leave delay.
//
// Usage:
//   mcr-member --interface IF --group GROUP:PORT --cycles N [--hold-ms MS] [--gap-ms MS]
//              [--settle-ms MS] [--timeout-ms MS] [--quiet-ms MS] [--json]
//   mcr-member --watch --interface IF --group GROUP:PORT [--outgoing] [--quiet-ms MS] [--json]
//
// Examples:
//   # 10 cycles on the receiver's eth0 while a stream to 239.1.1.1:5000 is flowing upstream
//   ip netns exec rx mcr-member --interface eth0 --group 239.1.1.1:5000 --cycles 10 --json
//   # on a router's link: when does the stream flow here (runs of frames), until SIGTERM
//   ip netns exec lh mcr-member --watch --interface up1 --group 239.1.1.1:5000 --json
//   # at the source: when did it really send (a loaded machine pauses generators too)
//   ip netns exec src mcr-member --watch --outgoing --interface eth0 --group 239.1.1.1:5000 --json
//
// One clock: both ends of each delay are receive stamps (SO_TIMESTAMPNS, CLOCK_REALTIME) of one
// AF_PACKET socket on the interface, which sees this host's own IGMP messages going out and the
// data frames coming in. Join delay = first data frame after the Membership Report (v1/v2, or a v3
// record IS_EX/TO_EX) - that report; leave delay = last data frame - the Leave (v2, or a v3 record
// TO_IN {}), 0 when none came after it. A UDP socket does the join and leave (IP_ADD/DROP_MEMBERSHIP,
// so the kernel sends the reports as for any application) and drains what the host stack delivers.
//
// A cycle: join; wait for the first data frame (--timeout-ms); hold --hold-ms; leave; wait until the
// Leave went out and no data frame came for --quiet-ms (--timeout-ms); then --gap-ms without
// membership. Data in the gap means the quiet time was a stall upstream, not the end of forwarding:
// the leave is reopened and its delay runs to the last frame (quietReopened counts such returns).
// Data frames seen while not a member (before the report, or in the gap of a cycle that never
// joined) are counted as framesWhileLeft: another member on the link or a router that forwards regardless.
// --watch joins nothing and reports runs of incoming data frames (a new run after --quiet-ms without
// one); with --outgoing, of the frames this host sends instead.
//
// Ends after the last cycle (watch: on SIGINT/SIGTERM); a stop signal reports the cycles so far.
// Exit: 0 report printed, 64 usage error, 1 setup failure.
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "lib/cli.h"
#include "lib/json.h"
#include "lib/membership_frame.h"
#include "lib/net.h"

using namespace mcrt;

namespace {

const char kUsage[] =
    "usage: mcr-member --interface IF --group GROUP:PORT --cycles N [options]\n"
    "       mcr-member --watch --interface IF --group GROUP:PORT [options]\n"
    "  --interface IF      join and capture on IF\n"
    "  --group G:PORT      the group to join and the data to time (UDP to G:PORT)\n"
    "  --cycles N          join/leave cycles (1-10000)\n"
    "  --hold-ms MS        stay joined this long after the first data frame (default 500)\n"
    "  --gap-ms MS         stay out this long after a leave completed (default 500)\n"
    "  --settle-ms MS      wait before the first join (default 300)\n"
    "  --timeout-ms MS     give a join or a leave up after this (default 10000)\n"
    "  --quiet-ms MS       a leave is complete after this long without data (default 200)\n"
    "  --watch             join nothing; report runs of data frames until SIGINT/SIGTERM\n"
    "  --outgoing          with --watch: the frames this host sends, not those it receives\n"
    "  --json              print the report as JSON on stdout\n"
    "  --help              this text\n";

constexpr size_t kSnap = 512;  // IPv4 + IGMPv3 with dozens of records; data needs 28 bytes
constexpr unsigned kBatch = 32;
constexpr size_t kMaxRuns = 100000;
constexpr size_t kControlLen = CMSG_SPACE(sizeof(timespec));

struct Config {
  std::string iface;
  Endpoint group;
  uint64_t cycles = 0;
  int64_t hold_ns = 500'000'000, gap_ns = 500'000'000, settle_ns = 300'000'000;
  int64_t timeout_ns = 10'000'000'000, quiet_ns = 200'000'000;
  bool watch = false, outgoing = false, json = false;
};

enum class Phase { settle, joining, holding, leaving, gap, done };

struct Cycle {
  int64_t join_at = 0, report_at = 0, first_data_at = 0;
  int64_t leave_at = 0, leave_msg_at = 0, last_data_at = 0;
  uint64_t frames_joined = 0, frames_after_leave = 0, frames_while_left = 0;
  uint64_t quiet_reopened = 0;  // data came back after a quiet time: the leave was not over
  const char* outcome = "ok";
};

struct Run {
  int64_t start = 0, end = 0;
  uint64_t frames = 0;
};

struct Context {
  Config cfg;
  int pkt_fd = -1, udp_fd = -1, ep = -1;
  unsigned ifindex = 0;
  Phase phase = Phase::settle;
  int64_t phase_until = 0;  // deadline of the current phase (realtime ns)
  std::vector<Cycle> cycles;
  uint64_t settle_frames = 0, socket_received = 0, captured = 0, missing_stamps = 0;
  std::vector<Run> runs;
  uint8_t bufs[kBatch][kSnap];
  uint8_t controls[kBatch][kControlLen];
  sockaddr_ll names[kBatch];
  iovec iov[kBatch];
  mmsghdr msgs[kBatch];
  volatile bool stop = false;
};

int64_t realtime_ns() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

int64_t flag_ms(const char* flag, const char* text, uint64_t min, uint64_t max) {
  return static_cast<int64_t>(flag_u64(flag, text, min, max)) * 1'000'000;
}

void parse_args(Config* c, int argc, char** argv) {
  enum { O_IF = 1, O_GROUP, O_CYCLES, O_HOLD, O_GAP, O_SETTLE, O_TIMEOUT, O_QUIET, O_WATCH, O_OUT, O_JSON, O_HELP };
  static const option opts[] = {
      {"interface", required_argument, nullptr, O_IF},   {"group", required_argument, nullptr, O_GROUP},
      {"cycles", required_argument, nullptr, O_CYCLES},  {"hold-ms", required_argument, nullptr, O_HOLD},
      {"gap-ms", required_argument, nullptr, O_GAP},     {"settle-ms", required_argument, nullptr, O_SETTLE},
      {"timeout-ms", required_argument, nullptr, O_TIMEOUT}, {"quiet-ms", required_argument, nullptr, O_QUIET},
      {"watch", no_argument, nullptr, O_WATCH},          {"json", no_argument, nullptr, O_JSON},
      {"outgoing", no_argument, nullptr, O_OUT},
      {"help", no_argument, nullptr, O_HELP},            {nullptr, 0, nullptr, 0}};
  opterr = 0;
  int o;
  while ((o = getopt_long(argc, argv, "", opts, nullptr)) != -1) {
    switch (o) {
      case O_IF: c->iface = optarg; break;
      case O_GROUP: c->group = flag_endpoint("--group", optarg); break;
      case O_CYCLES: c->cycles = flag_u64("--cycles", optarg, 1, 10000); break;
      case O_HOLD: c->hold_ns = flag_ms("--hold-ms", optarg, 0, 3'600'000); break;
      case O_GAP: c->gap_ns = flag_ms("--gap-ms", optarg, 0, 3'600'000); break;
      case O_SETTLE: c->settle_ns = flag_ms("--settle-ms", optarg, 0, 3'600'000); break;
      case O_TIMEOUT: c->timeout_ns = flag_ms("--timeout-ms", optarg, 1, 3'600'000); break;
      case O_QUIET: c->quiet_ns = flag_ms("--quiet-ms", optarg, 1, 60'000); break;
      case O_WATCH: c->watch = true; break;
      case O_OUT: c->outgoing = true; break;
      case O_JSON: c->json = true; break;
      case O_HELP: std::fputs(kUsage, stdout); std::exit(0);
      case ':': usage_error("%s: missing value", argv[optind - 1]);
      default: usage_error("unknown option \"%s\"", argv[optind - 1]);
    }
  }
  if (optind < argc) usage_error("unexpected argument \"%s\" (flags take the form --name VALUE)", argv[optind]);
  if (c->iface.empty()) usage_error("--interface: missing; the receiver's interface, e.g. --interface eth0");
  if (c->group.text.empty()) usage_error("--group: missing; e.g. --group 239.1.1.1:5000");
  if (!c->group.multicast()) usage_error("--group: %s is not a multicast group", c->group.text.c_str());
  if (c->watch && c->cycles) usage_error("--cycles: not with --watch (a watcher joins nothing)");
  if (!c->watch && !c->cycles) usage_error("--cycles: missing; how many join/leave cycles, e.g. --cycles 10");
  if (c->outgoing && !c->watch) usage_error("--outgoing: only with --watch (a member times what it receives)");
}

// Classic BPF on the AF_PACKET SOCK_DGRAM socket (offsets from the IPv4 header): IPv4 and IGMP,
// or UDP to the group; the rest never reaches this process. The port is checked in userspace.
void attach_filter(int fd, in_addr_t group) {
  sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_H | BPF_ABS, static_cast<uint32_t>(SKF_AD_OFF + SKF_AD_PROTOCOL)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 6),
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 2, 3, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 17, 0, 3),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 16),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ntohl(group), 0, 1),
      BPF_STMT(BPF_RET | BPF_K, kSnap),
      BPF_STMT(BPF_RET | BPF_K, 0),
  };
  sock_fprog prog{static_cast<unsigned short>(sizeof code / sizeof code[0]), code};
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0) fatal_sys("setsockopt(SO_ATTACH_FILTER)");
}

void setup(Context* ctx) {
  const Config& c = ctx->cfg;
  ctx->ifindex = ifindex_or_die("--interface", c.iface);
  ctx->ep = epoll_create1(EPOLL_CLOEXEC);
  if (ctx->ep < 0) fatal_sys("epoll_create1");
  // ETH_P_ALL: only such taps see outgoing frames (our own reports). The filter is attached before
  // bind, so nothing unfiltered is queued before it.
  ctx->pkt_fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (ctx->pkt_fd < 0) fatal_sys("socket(AF_PACKET, SOCK_DGRAM)", "needs CAP_NET_RAW (run as root)");
  attach_filter(ctx->pkt_fd, c.group.addr.s_addr);
  int one = 1;
  if (setsockopt(ctx->pkt_fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) < 0) fatal_sys("setsockopt(SO_TIMESTAMPNS)");
  set_buffer(ctx->pkt_fd, true, 8 << 20, "capture socket");
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = static_cast<int>(ctx->ifindex);
  if (bind(ctx->pkt_fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) < 0) fatal_sys("bind(AF_PACKET, " + c.iface + ")");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = ctx->pkt_fd;
  if (epoll_ctl(ctx->ep, EPOLL_CTL_ADD, ctx->pkt_fd, &ev) < 0) fatal_sys("epoll_ctl(ADD)");
  for (unsigned j = 0; j < kBatch; j++) ctx->iov[j] = {ctx->bufs[j], kSnap};
  if (c.watch) return;
  ctx->udp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (ctx->udp_fd < 0) fatal_sys("socket(AF_INET, SOCK_DGRAM)");
  int zero = 0;
  if (setsockopt(ctx->udp_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) fatal_sys("setsockopt(SO_REUSEADDR)");
  sockaddr_in sa = c.group.sockaddr();
  if (bind(ctx->udp_fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) fatal_sys("bind " + c.group.text);
  if (setsockopt(ctx->udp_fd, IPPROTO_IP, IP_MULTICAST_ALL, &zero, sizeof zero) < 0) fatal_sys("setsockopt(IP_MULTICAST_ALL)");
  ev.data.fd = ctx->udp_fd;
  if (epoll_ctl(ctx->ep, EPOLL_CTL_ADD, ctx->udp_fd, &ev) < 0) fatal_sys("epoll_ctl(ADD)");
  ctx->cycles.reserve(c.cycles);
}

void membership(Context* ctx, bool join) {
  ip_mreqn mreq{};
  mreq.imr_multiaddr = ctx->cfg.group.addr;
  mreq.imr_ifindex = static_cast<int>(ctx->ifindex);
  if (setsockopt(ctx->udp_fd, IPPROTO_IP, join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP, &mreq, sizeof mreq) < 0)
    fatal_sys(std::string("setsockopt(") + (join ? "IP_ADD_MEMBERSHIP" : "IP_DROP_MEMBERSHIP") + " " + ctx->cfg.group.text + ")");
}

void enter(Context* ctx, Phase p, int64_t now) {
  ctx->phase = p;
  const Config& c = ctx->cfg;
  switch (p) {
    case Phase::joining:
      ctx->cycles.emplace_back();
      ctx->cycles.back().join_at = now;
      membership(ctx, true);
      ctx->phase_until = now + c.timeout_ns;
      break;
    case Phase::holding: ctx->phase_until = now + c.hold_ns; break;
    case Phase::leaving:
      ctx->cycles.back().leave_at = now;
      membership(ctx, false);
      ctx->phase_until = now + c.timeout_ns;
      break;
    case Phase::gap: ctx->phase_until = now + c.gap_ns; break;
    case Phase::settle: ctx->phase_until = now + c.settle_ns; break;
    case Phase::done: break;
  }
}

// A deadline passed (or the leave went quiet): on to the next phase.
void advance(Context* ctx, int64_t now) {
  Cycle* cy = ctx->cycles.empty() ? nullptr : &ctx->cycles.back();
  switch (ctx->phase) {
    case Phase::settle: enter(ctx, Phase::joining, now); break;
    case Phase::joining:
      cy->outcome = cy->report_at ? "no-data" : "no-report";
      enter(ctx, Phase::leaving, now);
      break;
    case Phase::holding: enter(ctx, Phase::leaving, now); break;
    case Phase::leaving:
      if (now >= ctx->phase_until && std::strcmp(cy->outcome, "ok") == 0)
        cy->outcome = cy->leave_msg_at ? "still-forwarding" : "no-leave-message";
      enter(ctx, Phase::gap, now);
      break;
    case Phase::gap:
      enter(ctx, ctx->cycles.size() < ctx->cfg.cycles ? Phase::joining : Phase::done, now);
      break;
    case Phase::done: break;
  }
}

// When the current phase ends by time: its deadline, or for a leave also quiet after the Leave.
int64_t phase_end(const Context* ctx) {
  if (ctx->phase != Phase::leaving) return ctx->phase_until;
  const Cycle& cy = ctx->cycles.back();
  if (!cy.leave_msg_at) return ctx->phase_until;
  return std::min(ctx->phase_until, std::max(cy.leave_msg_at, cy.last_data_at) + ctx->cfg.quiet_ns);
}

void on_frame(Context* ctx, FrameKind kind, bool outgoing, int64_t at) {
  if (ctx->cfg.watch) {
    if (kind != FrameKind::data || outgoing != ctx->cfg.outgoing) return;
    if (ctx->runs.empty() || at - ctx->runs.back().end > ctx->cfg.quiet_ns) {
      if (ctx->runs.size() >= kMaxRuns) return;
      ctx->runs.push_back(Run{at, at, 0});
    }
    ctx->runs.back().end = at;
    ctx->runs.back().frames++;
    return;
  }
  Cycle* cy = ctx->cycles.empty() ? nullptr : &ctx->cycles.back();
  if (outgoing) {
    // Only this host's own messages count (a report from another member on the link is incoming).
    if (kind == FrameKind::join && ctx->phase == Phase::joining && cy && !cy->report_at) cy->report_at = at;
    if (kind == FrameKind::leave && ctx->phase == Phase::leaving && !cy->leave_msg_at) cy->leave_msg_at = at;
    return;
  }
  if (kind != FrameKind::data) return;
  switch (ctx->phase) {
    case Phase::settle: ctx->settle_frames++; break;
    case Phase::joining:
      if (!cy->report_at || at < cy->report_at) { cy->frames_while_left++; break; }
      cy->first_data_at = at;
      cy->frames_joined++;
      enter(ctx, Phase::holding, realtime_ns());
      break;
    case Phase::holding: cy->frames_joined++; break;
    case Phase::leaving:
      cy->last_data_at = at;
      if (cy->leave_msg_at && at > cy->leave_msg_at) cy->frames_after_leave++;
      else cy->frames_joined++;
      break;
    case Phase::gap:
      // Data again after the quiet time: that silence was a stall upstream, not the end of
      // forwarding. The leave goes on, and its delay runs to this frame.
      if (cy->leave_msg_at && std::strcmp(cy->outcome, "ok") == 0) {
        cy->last_data_at = at;
        cy->frames_after_leave++;
        cy->quiet_reopened++;
        ctx->phase = Phase::leaving;
        ctx->phase_until = cy->leave_at + ctx->cfg.timeout_ns;
        break;
      }
      cy->frames_while_left++;
      break;
    case Phase::done: break;
  }
}

int64_t stamp_of(Context* ctx, msghdr& h, int64_t fallback) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(&h, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      timespec ts;
      std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
      return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
    }
  }
  ctx->missing_stamps++;
  return fallback;
}

void drain_capture(Context* ctx) {
  for (;;) {
    for (unsigned j = 0; j < kBatch; j++) {
      ctx->msgs[j] = mmsghdr{};
      ctx->msgs[j].msg_hdr.msg_iov = &ctx->iov[j];
      ctx->msgs[j].msg_hdr.msg_iovlen = 1;
      ctx->msgs[j].msg_hdr.msg_name = &ctx->names[j];
      ctx->msgs[j].msg_hdr.msg_namelen = sizeof ctx->names[j];
      ctx->msgs[j].msg_hdr.msg_control = ctx->controls[j];
      ctx->msgs[j].msg_hdr.msg_controllen = kControlLen;
    }
    int r = recvmmsg(ctx->pkt_fd, ctx->msgs, kBatch, MSG_DONTWAIT, nullptr);
    if (r < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      fatal_sys("recvmmsg(AF_PACKET)");
    }
    const int64_t now = realtime_ns();
    for (int j = 0; j < r; j++) {
      const unsigned u = static_cast<unsigned>(j);
      ctx->captured++;
      const size_t len = std::min<size_t>(ctx->msgs[u].msg_len, kSnap);
      const FrameKind kind = classify_frame(ctx->bufs[u], len, ctx->cfg.group.addr.s_addr, ctx->cfg.group.port);
      if (kind == FrameKind::other) continue;
      on_frame(ctx, kind, ctx->names[u].sll_pkttype == PACKET_OUTGOING, stamp_of(ctx, ctx->msgs[u].msg_hdr, now));
    }
    if (static_cast<unsigned>(r) < kBatch) return;
  }
}

void drain_udp(Context* ctx) {
  uint8_t buf[2048];
  for (;;) {
    ssize_t n = recv(ctx->udp_fd, buf, sizeof buf, MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      fatal_sys("recv " + ctx->cfg.group.text);
    }
    ctx->socket_received++;
  }
}

void run(Context* ctx) {
  sigset_t block, during;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  if (sigprocmask(SIG_BLOCK, &block, &during) < 0) fatal_sys("sigprocmask");
  sigdelset(&during, SIGINT);
  sigdelset(&during, SIGTERM);
  if (!ctx->cfg.watch) enter(ctx, Phase::settle, realtime_ns());
  epoll_event events[2];
  while (!ctx->stop && ctx->phase != Phase::done) {
    int64_t now = realtime_ns();
    int timeout_ms = 1000;
    if (!ctx->cfg.watch) {
      const int64_t end = phase_end(ctx);
      if (now >= end) {
        advance(ctx, now);
        continue;
      }
      timeout_ms = static_cast<int>(std::min<int64_t>(1000, (end - now + 999'999) / 1'000'000));
    }
    int n = epoll_pwait(ctx->ep, events, 2, timeout_ms, &during);
    if (n < 0) {
      if (errno == EINTR) continue;
      fatal_sys("epoll_pwait");
    }
    for (int i = 0; i < n; i++) {
      if (events[i].data.fd == ctx->pkt_fd) drain_capture(ctx);
      else drain_udp(ctx);
    }
  }
  // Stopped mid-cycle: leave, so the host does not stay a member after we are gone.
  if (!ctx->cfg.watch && (ctx->phase == Phase::joining || ctx->phase == Phase::holding)) {
    ctx->cycles.back().outcome = "interrupted";
    membership(ctx, false);
  }
}

void opt_us(JsonWriter& w, const char* k, int64_t ns) {
  w.key(k);
  if (ns) w.value(static_cast<uint64_t>(ns / 1000)); else w.null();
}

void delay(JsonWriter& w, const char* k, bool known, int64_t ns) {
  w.key(k);
  if (known) w.value(static_cast<uint64_t>(std::max<int64_t>(0, ns))); else w.null();
}

uint64_t capture_drops(int fd) {
  tpacket_stats st{};
  socklen_t len = sizeof st;
  if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) < 0) fatal_sys("getsockopt(PACKET_STATISTICS)");
  return st.tp_drops;
}

void report_json(Context* ctx) {
  const Config& c = ctx->cfg;
  JsonWriter w;
  w.begin_object();
  w.field("mode", std::string(c.watch ? "watch" : "member"));
  w.field("interface", c.iface);
  w.field("group", c.group.text.substr(0, c.group.text.rfind(':')));
  w.field("port", uint64_t{c.group.port});
  if (c.watch) {
    w.key("runs");
    w.begin_array();
    for (const Run& r : ctx->runs) {
      w.begin_object();
      w.field("startUs", static_cast<uint64_t>(r.start / 1000));
      w.field("endUs", static_cast<uint64_t>(r.end / 1000));
      w.field("frames", r.frames);
      w.end_object();
    }
    w.end_array();
  } else {
    w.key("cycles");
    w.begin_array();
    for (const Cycle& cy : ctx->cycles) {
      w.begin_object();
      w.field("outcome", std::string(cy.outcome));
      opt_us(w, "joinAtUs", cy.join_at);
      opt_us(w, "reportAtUs", cy.report_at);
      opt_us(w, "firstDataAtUs", cy.first_data_at);
      opt_us(w, "leaveAtUs", cy.leave_at);
      opt_us(w, "leaveMessageAtUs", cy.leave_msg_at);
      opt_us(w, "lastDataAtUs", cy.last_data_at);
      delay(w, "joinDelayNs", cy.report_at && cy.first_data_at, cy.first_data_at - cy.report_at);
      const bool left = cy.leave_msg_at && std::strcmp(cy.outcome, "ok") == 0;
      delay(w, "leaveDelayNs", left, cy.last_data_at - cy.leave_msg_at);
      w.field("framesJoined", cy.frames_joined);
      w.field("framesAfterLeave", cy.frames_after_leave);
      w.field("framesWhileLeft", cy.frames_while_left);
      w.field("quietReopened", cy.quiet_reopened);
      w.end_object();
    }
    w.end_array();
    w.field("settleFrames", ctx->settle_frames);
    w.field("socketReceived", ctx->socket_received);
  }
  w.field("captured", ctx->captured);
  w.field("captureDrops", capture_drops(ctx->pkt_fd));
  w.field("missingStamps", ctx->missing_stamps);
  w.end_object();
  std::printf("%s\n", w.str().c_str());
}

void report_text(Context* ctx) {
  const Config& c = ctx->cfg;
  std::printf("mcr-member: %s on %s\n", c.group.text.c_str(), c.iface.c_str());
  if (c.watch) {
    for (const Run& r : ctx->runs)
      std::printf("  run %.3f s, %llu frames\n", static_cast<double>(r.end - r.start) / 1e9, (unsigned long long)r.frames);
    return;
  }
  for (size_t i = 0; i < ctx->cycles.size(); i++) {
    const Cycle& cy = ctx->cycles[i];
    std::printf("  cycle %zu: %s", i + 1, cy.outcome);
    if (cy.report_at && cy.first_data_at) std::printf("  join %.3f ms", static_cast<double>(cy.first_data_at - cy.report_at) / 1e6);
    if (cy.leave_msg_at && std::strcmp(cy.outcome, "ok") == 0)
      std::printf("  leave %.3f ms", static_cast<double>(std::max<int64_t>(0, cy.last_data_at - cy.leave_msg_at)) / 1e6);
    std::printf("\n");
  }
}

}  // namespace

int main(int argc, char** argv) {
  set_prog("mcr-member");
  static Context ctx;  // static: large buffers, and the signal handler's flag must outlive main's frame
  parse_args(&ctx.cfg, argc, argv);
  install_stop_handlers(&ctx.stop);
  setup(&ctx);
  std::fprintf(stderr, "mcr-member: ready\n");
  std::fflush(stderr);
  run(&ctx);
  if (ctx.cfg.json) report_json(&ctx); else report_text(&ctx);
  std::fflush(stdout);
  close(ctx.pkt_fd);
  if (ctx.udp_fd >= 0) close(ctx.udp_fd);
  close(ctx.ep);
  return 0;
}

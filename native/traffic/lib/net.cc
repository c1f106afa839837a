// Socket and process helpers; see net.h.
#include "net.h"

#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>

#include "cli.h"

namespace mcrt {

unsigned ifindex_or_die(const char* flag, const std::string& name) {
  if (name.size() >= IF_NAMESIZE) usage_error("%s: interface name \"%s\" is longer than 15 characters", flag, name.c_str());
  unsigned idx = if_nametoindex(name.c_str());
  if (idx == 0)
    fatal_sys(std::string(flag) + " " + name + ": if_nametoindex",
              "no such interface in this network namespace; check `ip link` (or ip netns exec NS ...)");
  return idx;
}

void set_buffer(int fd, bool rcv, int bytes, const std::string& what) {
  int force = rcv ? SO_RCVBUFFORCE : SO_SNDBUFFORCE;
  int plain = rcv ? SO_RCVBUF : SO_SNDBUF;
  if (setsockopt(fd, SOL_SOCKET, force, &bytes, sizeof bytes) == 0) return;
  // Not root (EPERM): the plain option is capped at net.core.[rw]mem_max, which is fine, just smaller.
  if (setsockopt(fd, SOL_SOCKET, plain, &bytes, sizeof bytes) < 0)
    fatal_sys(what + ": setsockopt(" + (rcv ? "SO_RCVBUF" : "SO_SNDBUF") + ")");
  int got = 0;
  socklen_t len = sizeof got;
  if (getsockopt(fd, SOL_SOCKET, plain, &got, &len) == 0 && got < bytes)
    warn("%s: %s is %d bytes, asked for %d (run as root or raise net.core.%s)", what.c_str(),
         rcv ? "SO_RCVBUF" : "SO_SNDBUF", got / 2, bytes, rcv ? "rmem_max" : "wmem_max");
}

void pin_cpu(unsigned cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) < 0)
    fatal_sys("--cpu " + std::to_string(cpu) + ": sched_setaffinity", "CPU not present or not allowed; see nproc");
}

namespace {
volatile bool* g_stop = nullptr;
volatile sig_atomic_t g_signals = 0;

void on_signal(int sig) {
  // Second Ctrl-C: the user does not want the report any more.
  sig_atomic_t seen = g_signals;
  g_signals = seen + 1;
  if (seen > 0) {
    signal(sig, SIG_DFL);
    raise(sig);
  }
  if (g_stop) *g_stop = true;
}
}  // namespace

void install_stop_handlers(volatile bool* flag) {
  g_stop = flag;
  struct sigaction sa{};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocking sendmmsg/epoll_wait/nanosleep returns EINTR
  if (sigaction(SIGINT, &sa, nullptr) < 0 || sigaction(SIGTERM, &sa, nullptr) < 0) fatal_sys("sigaction");
}

}  // namespace mcrt

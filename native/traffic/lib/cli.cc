// Flag parsing helpers; see cli.h for the message format.
#include "cli.h"

#include <arpa/inet.h>
#include <errno.h>

#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace mcrt {
namespace {
const char* g_prog = "mcr-traffic";

void vprint(const char* prefix, const char* fmt, va_list ap) {
  std::fprintf(stderr, "%s: %s", g_prog, prefix);
  std::vfprintf(stderr, fmt, ap);
  std::fputc('\n', stderr);
}
}  // namespace

bool Endpoint::multicast() const { return IN_MULTICAST(ntohl(addr.s_addr)); }

sockaddr_in Endpoint::sockaddr() const {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr = addr;
  sa.sin_port = htons(port);
  return sa;
}

void set_prog(const char* p) { g_prog = p; }
const char* prog() { return g_prog; }

void usage_error(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vprint("", fmt, ap);
  va_end(ap);
  std::fprintf(stderr, "%s: see %s --help\n", g_prog, g_prog);
  std::exit(kExitUsage);
}

void fatal(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vprint("", fmt, ap);
  va_end(ap);
  std::exit(kExitFailure);
}

void fatal_sys(const std::string& what, const char* hint) {
  int e = errno;
  if (hint)
    std::fprintf(stderr, "%s: %s: %s (%s)\n", g_prog, what.c_str(), std::strerror(e), hint);
  else
    std::fprintf(stderr, "%s: %s: %s\n", g_prog, what.c_str(), std::strerror(e));
  std::exit(kExitFailure);
}

void warn(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vprint("warning: ", fmt, ap);
  va_end(ap);
}

bool parse_ipv4(const std::string& s, in_addr* out) {
  return inet_pton(AF_INET, s.c_str(), out) == 1;
}

bool parse_endpoint(const std::string& s, Endpoint* out) {
  size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= s.size()) return false;
  if (!parse_ipv4(s.substr(0, colon), &out->addr)) return false;
  const std::string port = s.substr(colon + 1);
  if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) return false;
  unsigned long p = std::strtoul(port.c_str(), nullptr, 10);
  if (p < 1 || p > 65535) return false;
  out->port = static_cast<uint16_t>(p);
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &out->addr, buf, sizeof buf);
  out->text = std::string(buf) + ":" + std::to_string(p);
  return true;
}

Endpoint flag_endpoint(const char* flag, const char* text) {
  Endpoint ep;
  if (!parse_endpoint(text, &ep))
    usage_error("%s: expected GROUP:PORT (IPv4 address and port 1-65535, e.g. 239.1.1.1:5000), got \"%s\"", flag,
                text);
  return ep;
}

uint64_t flag_u64(const char* flag, const char* text, uint64_t min, uint64_t max) {
  const std::string s(text);
  if (s.empty() || s.size() > 20 || s.find_first_not_of("0123456789") != std::string::npos)
    usage_error("%s: expected an integer %llu-%llu, got \"%s\"", flag, (unsigned long long)min,
                (unsigned long long)max, text);
  errno = 0;
  unsigned long long v = std::strtoull(text, nullptr, 10);
  if (errno == ERANGE || v < min || v > max)
    usage_error("%s: expected an integer %llu-%llu, got \"%s\"", flag, (unsigned long long)min,
                (unsigned long long)max, text);
  return v;
}

double flag_seconds(const char* flag, const char* text, double min, double max) {
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(text, &end);
  if (*text == '\0' || *end != '\0' || errno == ERANGE || !std::isfinite(v) || v < min || v > max)
    usage_error("%s: expected seconds between %g and %g (e.g. 2.5), got \"%s\"", flag, min, max, text);
  return v;
}

}  // namespace mcrt

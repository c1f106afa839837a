// Command-line helpers shared by mcr-gen and mcr-sink: flag value parsing with errors that name the
// flag, what it expects and what it got, e.g.
//   mcr-gen: --dst: expected GROUP:PORT (e.g. 239.1.1.1:5000), got "nonsense"
// Usage errors exit 64 (EX_USAGE); runtime failures exit 1.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <string>

namespace mcrt {

constexpr int kExitUsage = 64;
constexpr int kExitFailure = 1;

/** An IPv4 address and UDP port as given on the command line ("239.1.1.1:5000"). */
struct Endpoint {
  in_addr addr{};
  uint16_t port = 0;
  std::string text;  // as normalised "A.B.C.D:PORT"
  bool multicast() const;
  sockaddr_in sockaddr() const;
};

/** Program name used as the prefix of every message ("mcr-gen"). Set once in main. */
void set_prog(const char* prog);
const char* prog();

/** usage_error - print "PROG: MESSAGE" and a --help hint on stderr, exit 64. */
[[noreturn]] void usage_error(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

/** fatal - print "PROG: MESSAGE" on stderr and exit 1. */
[[noreturn]] void fatal(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

/** fatal_sys - print "PROG: WHAT: strerror(errno)" plus an optional hint, exit 1. */
[[noreturn]] void fatal_sys(const std::string& what, const char* hint = nullptr);

/** warn - print "PROG: warning: MESSAGE" on stderr. */
void warn(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

/** parse_endpoint - "A.B.C.D:PORT" (port 1-65535); false when malformed. */
bool parse_endpoint(const std::string& s, Endpoint* out);

/** parse_ipv4 - "A.B.C.D"; false when malformed. */
bool parse_ipv4(const std::string& s, in_addr* out);

/** flag_endpoint - parse_endpoint or exit 64 naming @flag. */
Endpoint flag_endpoint(const char* flag, const char* text);

/** flag_u64 - an integer in [@min, @max] or exit 64 naming @flag and the range. */
uint64_t flag_u64(const char* flag, const char* text, uint64_t min, uint64_t max);

/** flag_seconds - a non-negative decimal number of seconds (e.g. "2.5") or exit 64. */
double flag_seconds(const char* flag, const char* text, double min, double max);

}  // namespace mcrt

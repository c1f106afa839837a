// setup_error: see setup_error.h.
#include "setup_error.h"

#include <cerrno>
#include <cstring>

namespace mcr {

std::string errno_name(int err) {
  const char* n = strerrorname_np(err);
  return n ? std::string(n) : "E" + std::to_string(err);
}

namespace {

std::string default_hint(int err) {
  switch (err) {
    case EPERM:
    case EACCES:
      return "needs CAP_NET_RAW (run as root)";
    case ENODEV:
    case ENXIO:
      return "interface does not exist";
    case ENETDOWN:
      return "interface is down";
    case EADDRINUSE:
      return "already in use";
    case ENOMEM:
    case ENOBUFS:
      return "out of memory; try a smaller ring (ringBlockSize/ringBlockCount)";
    default:
      return strerror(err);
  }
}

std::string compose(int err, const std::string& syscall, const std::string& object, const std::string& iface,
                    const std::string& hint) {
  std::string what = object;
  if (!iface.empty()) what += (what.empty() ? "" : ", ") + iface;
  std::string m = syscall;
  if (!what.empty()) m += "(" + what + ")";
  return m + ": " + errno_name(err) + " — " + hint;
}

}  // namespace

SetupError::SetupError(int e, std::string sc, std::string object, std::string ifc, std::string h)
    : std::runtime_error(compose(e, sc, object, ifc, h.empty() ? default_hint(e) : h)),
      err(e),
      code(errno_name(e)),
      syscall(std::move(sc)),
      iface(std::move(ifc)),
      hint(h.empty() ? default_hint(e) : std::move(h)) {}

}  // namespace mcr

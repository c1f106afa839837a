// setup_error: the one error type of the engine's setup path (never thrown on the packet path).
// It carries errno, the syscall, what it acted on and the interface, plus a hint for the operator, and
// composes the message once, e.g. "bind(AF_PACKET, eth9): ENODEV — interface does not exist".
// The addon turns it into a JS Error with code/syscall/iface/hint (relay/engine/engine.ts: EngineError).
#pragma once

#include <stdexcept>
#include <string>

namespace mcr {

/* Name of an errno value ("ENODEV"), or "E<number>" if unknown. */
std::string errno_name(int err);

class SetupError : public std::runtime_error {
 public:
  /**
   * @err: errno value; @syscall: e.g. "bind"; @object: what it acted on, e.g. "AF_PACKET" (may be "");
   * @iface: interface name (may be ""); @hint: advice; empty = a default derived from err.
   */
  SetupError(int err, std::string syscall, std::string object, std::string iface, std::string hint);

  int err;
  std::string code;  // errno name
  std::string syscall;
  std::string iface;
  std::string hint;
};

}  // namespace mcr

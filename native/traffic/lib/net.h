// Socket and process setup shared by mcr-gen and mcr-sink. Every call is checked; failures exit
// through fatal_sys with the call, its arguments and a hint.
#pragma once

#include <cstdint>
#include <string>

namespace mcrt {

/** ifindex_or_die - interface index of @name; exits with a hint when it does not exist here. */
unsigned ifindex_or_die(const char* flag, const std::string& name);

/**
 * set_buffer - grow SO_SNDBUF/SO_RCVBUF to @bytes. Tries the *FORCE variant first (root may exceed
 * net.core.[rw]mem_max), falls back to the plain option; warns when the kernel gave less.
 * @rcv: true for the receive buffer.
 */
void set_buffer(int fd, bool rcv, int bytes, const std::string& what);

/** pin_cpu - sched_setaffinity to one CPU or exit naming --cpu. */
void pin_cpu(unsigned cpu);

/** install_stop_handlers - SIGINT/SIGTERM set *@flag (no SA_RESTART); a second one exits at once. */
void install_stop_handlers(volatile bool* flag);

}  // namespace mcrt

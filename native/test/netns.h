// netns: run a test body in a forked child inside a fresh network namespace (unshare(CLONE_NEWNET)),
// so the links it makes vanish with the child: nothing to clean up, nothing visible outside.
#pragma once

#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "check.h"

namespace mcrtest {

inline constexpr int kSkip = 77;

/* Runs `setup` (a shell command) and then fn in the child; returns its exit status: 0 ok, 1 a
 * CHILD_CHECK failed, kSkip not root or the namespace/setup could not be made. */
inline int in_private_netns(void (*fn)(), const char* setup = "ip link set lo up") {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    if (geteuid() != 0 || unshare(CLONE_NEWNET) != 0) _exit(kSkip);
    if (system(setup) != 0) _exit(kSkip);
    fn();
    fflush(stdout);
    _exit(0);
  }
  if (pid < 0) return 1;
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return 1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

/* The parent's verdict on a child's exit status. */
inline void report_child(const char* file, int line, int status) {
  if (status == kSkip) skip("needs root to create a network namespace");
  else if (status != 0) fail(file, line, "child exited with " + std::to_string(status));
}

}  // namespace mcrtest

// CHECK for the child side: the child cannot return a verdict, so a failure prints and exits 1.
#define CHILD_CHECK(cond)                                                      \
  do {                                                                         \
    if (!(cond)) {                                                             \
      std::printf("    %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      fflush(stdout);                                                          \
      _exit(1);                                                                \
    }                                                                          \
  } while (0)

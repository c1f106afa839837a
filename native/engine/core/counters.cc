// counters: see counters.h for the layout.
#include "counters.h"

#include <sys/mman.h>

#include <cerrno>

#include "setup_error.h"

namespace mcr {

const int kErrnoBucketValues[kErrnoBuckets - 1] = {
    ENOBUFS, EAGAIN, ENETUNREACH, EHOSTUNREACH, EPERM, EMSGSIZE, ENETDOWN, ECONNREFUSED, EACCES, EINVAL,
};
const char* const kErrnoBucketNames[kErrnoBuckets] = {
    "ENOBUFS", "EAGAIN", "ENETUNREACH", "EHOSTUNREACH", "EPERM", "EMSGSIZE",
    "ENETDOWN", "ECONNREFUSED", "EACCES", "EINVAL", "other",
};

int errno_bucket(int err) {
  if (err == EWOULDBLOCK) err = EAGAIN;
  for (int i = 0; i < kErrnoBuckets - 1; ++i)
    if (kErrnoBucketValues[i] == err) return i;
  return kErrnoBuckets - 1;
}

std::shared_ptr<CounterBlock> CounterBlock::create() {
  void* p = mmap(nullptr, kTotalWords * sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw SetupError(errno, "mmap", "counters", "", "");
  return std::shared_ptr<CounterBlock>(new CounterBlock(static_cast<uint64_t*>(p)));
}

CounterBlock::~CounterBlock() { munmap(words_, bytes()); }

void CounterBlock::zero_rule(uint32_t slot) {
  for (size_t i = 0; i < kRuleWords; ++i) counter_set(rule(slot) + i, 0);
}

void CounterBlock::zero_output(uint32_t slot) {
  for (size_t i = 0; i < kOutputWords; ++i) counter_set(output(slot) + i, 0);
}

}  // namespace mcr

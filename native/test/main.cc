// mcr-engine-test: plain C++ tests of the engine core (parser, rule index, counters, BPF, tables).
//   build/Release/mcr-engine-test            run all cases
//   build/Release/mcr-engine-test parse      run cases whose name contains "parse"
// Driven from relay/engine/engine.test.ts. Sanitizer build: see docs/engine.md.
#include <cstdio>
#include <cstring>

#include "check.h"

namespace mcrtest {

namespace {
bool g_failed = false;
bool g_skipped = false;
std::string g_skip_reason;
}  // namespace

std::vector<Case>& registry() {
  static std::vector<Case> r;
  return r;
}

void fail(const char* file, int line, const std::string& what) {
  std::printf("    %s:%d: check failed: %s\n", file, line, what.c_str());
  g_failed = true;
}

void skip(const std::string& why) {
  g_skipped = true;
  g_skip_reason = why;
}

}  // namespace mcrtest

int main(int argc, char** argv) {
  const char* filter = argc > 1 ? argv[1] : nullptr;
  int passed = 0, failed = 0, skipped = 0;
  for (const auto& c : mcrtest::registry()) {
    if (filter && !std::strstr(c.name, filter)) continue;
    mcrtest::g_failed = false;
    mcrtest::g_skipped = false;
    c.fn();
    if (mcrtest::g_failed) {
      std::printf("FAIL %s\n", c.name);
      ++failed;
    } else if (mcrtest::g_skipped) {
      std::printf("SKIP %s (%s)\n", c.name, mcrtest::g_skip_reason.c_str());
      ++skipped;
    } else {
      std::printf("ok   %s\n", c.name);
      ++passed;
    }
  }
  std::printf("# %d passed, %d failed, %d skipped\n", passed, failed, skipped);
  if (failed) return 1;
  if (passed == 0 && skipped > 0) return 77;
  return 0;
}

// check: a minimal test harness for mcr-engine-test (one main in main.cc; cases register themselves).
// Exit status follows liburing/automake: 0 pass, 1 fail, 77 skip (every case skipped).
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace mcrtest {

struct Case {
  const char* name;
  void (*fn)();
};

std::vector<Case>& registry();
void fail(const char* file, int line, const std::string& what);
void skip(const std::string& why);

struct Registrar {
  Registrar(const char* name, void (*fn)()) { registry().push_back({name, fn}); }
};

}  // namespace mcrtest

#define TEST_CASE(name)                                              \
  static void name();                                                \
  static const mcrtest::Registrar registrar_##name(#name, &name);    \
  static void name()

#define CHECK(cond)                                                  \
  do {                                                               \
    if (!(cond)) {                                                   \
      mcrtest::fail(__FILE__, __LINE__, #cond);                      \
      return;                                                        \
    }                                                                \
  } while (0)

#define CHECK_EQ(a, b)                                                                         \
  do {                                                                                         \
    const auto va_ = (a);                                                                      \
    const auto vb_ = (b);                                                                      \
    if (!(va_ == vb_)) {                                                                       \
      mcrtest::fail(__FILE__, __LINE__,                                                        \
                    std::string(#a " == " #b ": got ") + std::to_string(static_cast<long long>(va_)) + \
                        " vs " + std::to_string(static_cast<long long>(vb_)));                 \
      return;                                                                                  \
    }                                                                                          \
  } while (0)

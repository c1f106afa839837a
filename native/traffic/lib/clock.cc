// Monotonic clock and the sleep/spin pacer; see clock.h.
#include "clock.h"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>

namespace mcrt {

uint64_t mono_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t cpu_ns() {
  rusage ru{};
  if (getrusage(RUSAGE_SELF, &ru) < 0) return 0;
  auto ns = [](const timeval& tv) { return static_cast<uint64_t>(tv.tv_sec) * 1000000000ull + static_cast<uint64_t>(tv.tv_usec) * 1000ull; };
  return ns(ru.ru_utime) + ns(ru.ru_stime);
}

Pacer::Pacer(uint64_t interval_ns) : margin_ns_(0), max_margin_ns_(interval_ns / 8) {
  if (max_margin_ns_ > 50000) max_margin_ns_ = 50000;
  if (max_margin_ns_ < 2000) max_margin_ns_ = 2000;
  margin_ns_ = max_margin_ns_ / 2;
  // The default 50 µs timer slack would make every sleep overshoot by up to 50 µs; 1 ns asks the
  // kernel for the most precise hrtimer expiry. Failure only costs precision, so it is not fatal.
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
}

void Pacer::wait_until(uint64_t deadline_ns, const volatile bool* stop) {
  uint64_t now = mono_ns();
  if (now >= deadline_ns) return;
  // Long waits (low rates) sleep in slices of at most 50 ms, so a stop request is seen soon even
  // by a thread that does not receive the signal itself.
  while (deadline_ns - now > margin_ns_ + 50'000'000 && !*stop) {
    timespec slice{0, 50'000'000};
    clock_nanosleep(CLOCK_MONOTONIC, 0, &slice, nullptr);
    now = mono_ns();
    if (now >= deadline_ns) return;
  }
  if (deadline_ns - now > margin_ns_ + 1000) {
    uint64_t wake = deadline_ns - margin_ns_;
    timespec ts{static_cast<time_t>(wake / 1000000000ull), static_cast<long>(wake % 1000000000ull)};
    // EINTR (a signal) just ends the sleep early; the caller re-checks its stop flag.
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
    now = mono_ns();
    // Learn the wake-up latency: margin tracks 1.5x the average oversleep, within [1 µs, max].
    uint64_t late = now > wake ? now - wake : 0;
    uint64_t target = late + late / 2;
    margin_ns_ = (margin_ns_ * 7 + target) / 8;
    if (margin_ns_ < 1000) margin_ns_ = 1000;
    if (margin_ns_ > max_margin_ns_) margin_ns_ = max_margin_ns_;
  }
  while (mono_ns() < deadline_ns && !*stop) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
}

}  // namespace mcrt

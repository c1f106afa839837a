// Time for the traffic tools: CLOCK_MONOTONIC in nanoseconds (the clock the payload timestamps use)
// and a pacing wait that sleeps most of the way and spins the last few microseconds.
#pragma once

#include <cstdint>

namespace mcrt {

/** mono_ns - CLOCK_MONOTONIC now, in ns (vDSO, ~20 ns). */
uint64_t mono_ns();

/**
 * Pacer - waits until absolute CLOCK_MONOTONIC deadlines with a hybrid sleep/spin.
 *
 * Sleeping alone wakes up late by the scheduler's wake-up latency (tens of µs on a VM) and spinning
 * alone burns a core that the sink or relay needs. So it sleeps until (deadline - margin), spins the
 * rest, and learns the margin from how late its sleeps actually wake up (moving average).
 */
class Pacer {
 public:
  Pacer();
  /** wait_until - return at or just after @deadline_ns (early if @stop becomes true). */
  void wait_until(uint64_t deadline_ns, const volatile bool* stop);

 private:
  uint64_t margin_ns_;
};

}  // namespace mcrt

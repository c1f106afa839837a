// Time for the traffic tools: CLOCK_MONOTONIC in nanoseconds (the clock the payload timestamps use)
// and a pacing wait that sleeps most of the way and spins the last few microseconds.
#pragma once

#include <cstdint>

namespace mcrt {

/** mono_ns - CLOCK_MONOTONIC now, in ns (vDSO, ~20 ns). */
uint64_t mono_ns();

/**
 * cpu_ns - CPU time this process used so far (user + system, ns). System time includes the
 * softirq work the kernel does in our context, e.g. the veth peer's receive path after a send.
 */
uint64_t cpu_ns();

/**
 * Pacer - waits until absolute CLOCK_MONOTONIC deadlines with a hybrid sleep/spin.
 *
 * Sleeping alone wakes up late by the scheduler's wake-up latency (tens of µs on a VM) and spinning
 * alone burns a core that the sink or relay needs. So it sleeps until (deadline - margin), spins the
 * rest, and learns the margin from how late its sleeps actually wake up (moving average), capped
 * so spinning stays a small share of the CPU: at most an eighth of the interval between waits and
 * never more than 50 µs.
 */
class Pacer {
 public:
  /** @interval_ns: typical time between two waits (e.g. one batch at the target rate). */
  explicit Pacer(uint64_t interval_ns);
  /** wait_until - return at or just after @deadline_ns (early if @stop becomes true). */
  void wait_until(uint64_t deadline_ns, const volatile bool* stop);

 private:
  uint64_t margin_ns_;
  uint64_t max_margin_ns_;
};

}  // namespace mcrt

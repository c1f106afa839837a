// PollPolicy cases: the spin-or-sleep decisions of poll_policy.h on made-up timestamps (ns).
#include "check.h"
#include "poll_policy.h"

using namespace mcr;

namespace {

constexpr uint64_t us = 1000;

/* Feed one frame every @gap for @n frames starting at @t; returns the time of the last one. */
uint64_t steady(PollPolicy& p, uint64_t t, uint64_t gap, int n) {
  for (int i = 0; i < n; ++i) p.on_frames(t += gap, 1);
  return t;
}

}  // namespace

TEST_CASE(poll_policy_off_always_sleeps) {
  PollPolicy p(PollPolicyConfig{});
  const uint64_t t = steady(p, 0, 1 * us, 100);
  CHECK(!p.spin(t));
  CHECK(!p.spin(t + 1));
}

TEST_CASE(poll_policy_fixed_spins_for_its_window_after_the_last_frame) {
  PollPolicy p(PollPolicy::fixed(50 * us));
  CHECK(!p.spin(10 * us));  // nothing seen yet
  p.on_frames(100 * us, 1);
  CHECK(p.spin(100 * us));
  CHECK(p.spin(149 * us));
  CHECK(!p.spin(150 * us));
  CHECK(!p.spin(10'000 * us));
  // A window of 0 is off.
  PollPolicy off(PollPolicy::fixed(0));
  off.on_frames(1, 1);
  CHECK(!off.spin(2));
}

TEST_CASE(poll_policy_adaptive_never_spins_before_it_has_seen_a_gap) {
  PollPolicy p(PollPolicy::adaptive());
  CHECK(!p.spin(1));
  p.on_frames(10 * us, 1);  // one frame: no gap measured yet
  CHECK(!p.spin(11 * us));
}

TEST_CASE(poll_policy_adaptive_sleeps_for_a_sparse_stream) {
  PollPolicy p(PollPolicy::adaptive());
  // 10 kpps: 100 µs apart, well above the 40 µs a spin may bridge.
  const uint64_t t = steady(p, 0, 100 * us, 200);
  CHECK(p.gap_ns() > 90 * us);
  CHECK(!p.spin(t + 1 * us));
}

TEST_CASE(poll_policy_adaptive_spins_while_frames_keep_coming) {
  PollPolicy p(PollPolicy::adaptive());
  // 200 kpps: 5 µs apart. The gap estimate converges and a spin is allowed right after a frame.
  uint64_t t = steady(p, 0, 5 * us, 200);
  CHECK(p.gap_ns() >= 4 * us && p.gap_ns() <= 6 * us);
  CHECK(p.spin(t + 1 * us));
  CHECK(p.spin(t + 4 * us));
  // A pause longer than a few gaps ends the spin even with credit left: the stream stopped.
  CHECK(!p.spin(t + 25 * us));
}

TEST_CASE(poll_policy_adaptive_spin_time_is_bounded_by_the_budget_per_frame) {
  PollPolicyConfig c = PollPolicy::adaptive();
  c.budget_ns = 2 * us;
  c.max_credit_ns = 2 * us;  // nothing saved up: each spin is paid by the frame before it
  PollPolicy p(c);
  // 30 µs gaps (33 kpps): below max_gap, so spinning is allowed, but each frame earns only 2 µs.
  uint64_t now = steady(p, 0, 30 * us, 100);
  int spins = 0;
  while (p.spin(now)) {
    ++spins;
    now += 500;  // 0.5 µs a pass
  }
  // Decisions at +0, +0.5, +1 and +1.5 µs spin; at +2 µs the 2 µs are spent.
  CHECK_EQ(spins, 4);
  CHECK_EQ(p.credit_ns(), 0u);
  // The next frame pays for the next spin, no more.
  p.on_frames(now += 30 * us, 1);
  spins = 0;
  while (p.spin(now)) {
    ++spins;
    now += 1 * us;
  }
  CHECK_EQ(spins, 2);
}

TEST_CASE(poll_policy_adaptive_credit_is_capped) {
  PollPolicy p(PollPolicy::adaptive());
  // A burst of 100000 frames in one pass must not buy a spin longer than max_credit.
  p.on_frames(0, 1);
  p.on_frames(1 * us, 100000);
  CHECK_EQ(p.credit_ns(), PollPolicy::adaptive().max_credit_ns);
}

TEST_CASE(poll_policy_adaptive_time_asleep_is_not_charged) {
  PollPolicy p(PollPolicy::adaptive());
  uint64_t t = steady(p, 0, 5 * us, 200);
  const uint64_t before = p.credit_ns();
  CHECK(before > 0);
  // Slept from t to t + 1 ms (poll returned with nothing), then frames again: the sleep costs no credit.
  p.on_sleep(t + 1000 * us);
  CHECK(!p.spin(t + 1000 * us));  // the stream paused: more than a few gaps since the last frame
  CHECK_EQ(p.credit_ns(), before);
}

TEST_CASE(poll_policy_adaptive_a_slowing_stream_stops_spinning) {
  PollPolicy p(PollPolicy::adaptive());
  uint64_t t = steady(p, 0, 5 * us, 200);
  CHECK(p.spin(t + 1 * us));
  // The rate drops to 5 kpps (200 µs apart): the estimate follows within a few dozen frames.
  t = steady(p, t, 200 * us, 40);
  CHECK(p.gap_ns() > 40 * us);
  CHECK(!p.spin(t + 1 * us));
}

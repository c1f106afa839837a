// poll_policy: after a pass over the rings that found nothing, should the engine thread check them
// again (spin) or sleep in poll()? A sleeping thread costs a wake-up per frame (V2 rings), which on a
// VM means waking an idle vCPU through the hypervisor (~35 µs here, docs/performance.md); a spinning
// one costs a core. Pure: the caller passes the clock, so the decisions are unit-tested with made-up
// timestamps (native/test/test_poll_policy.cc).
//
//   PollPolicy p(PollPolicy::adaptive());
//   if (found) p.on_frames(now, n); else if (!p.spin(now)) { poll(...); p.on_sleep(); }
//
// Modes:
//   off       always sleep (mcrd's default: see docs/performance.md for why)
//   fixed     spin for a fixed window after the last frame (--busy-poll-us N)
//   adaptive  spin only while frames keep coming closer together than the wake-up it saves, and never
//             for more than a budget of spin time per frame received, so its CPU cost grows with the
//             packets relayed, not with the time the stream lasts (NAPI busy polling's budget and
//             DPDK's power-aware forwarding work the same way: poll while busy, sleep once idle).
#pragma once

#include <cstdint>

namespace mcr {

struct PollPolicyConfig {
  enum class Mode : uint8_t { Off, Fixed, Adaptive };
  Mode mode = Mode::Off;
  uint64_t window_ns = 0;        // fixed: spin this long after the last frame
  uint64_t max_gap_ns = 0;       // adaptive: spin only while the typical gap between frames is below this
  uint64_t budget_ns = 0;        // adaptive: spin time earned per frame received
  uint64_t max_credit_ns = 0;    // adaptive: cap on spin time saved up (bounds one spin)
};

class PollPolicy {
 public:
  explicit PollPolicy(const PollPolicyConfig& c) : c_(c), gap_ns_(c.max_gap_ns + 1) {}

  /* Defaults of the adaptive mode: a frame gap below 40 µs (25 kpps and up) is worth a spin, each
     frame earns 2 µs of it, at most 200 µs saved up. */
  static PollPolicyConfig adaptive() {
    return {PollPolicyConfig::Mode::Adaptive, 0, 40'000, 2'000, 200'000};
  }
  static PollPolicyConfig fixed(uint64_t window_ns) {
    return window_ns ? PollPolicyConfig{PollPolicyConfig::Mode::Fixed, window_ns, 0, 0, 0} : PollPolicyConfig{};
  }

  /* A pass found @frames frames at @now (ns, monotonic). */
  void on_frames(uint64_t now, uint32_t frames) {
    if (frames == 0) return;
    if (seen_) {
      // Per-frame gap since the previous pass with frames; EWMA with weight 1/8.
      const uint64_t sample = (now - last_frame_ns_) / frames;
      gap_ns_ = gap_ns_ - gap_ns_ / 8 + sample / 8;
    }
    seen_ = true;
    last_frame_ns_ = now;
    spin_from_ns_ = now;
    credit_ns_ += uint64_t{frames} * c_.budget_ns;
    if (credit_ns_ > c_.max_credit_ns) credit_ns_ = c_.max_credit_ns;
  }

  /* A pass found nothing at @now: true = check the rings again, false = sleep. */
  bool spin(uint64_t now) {
    switch (c_.mode) {
      case PollPolicyConfig::Mode::Off:
        return false;
      case PollPolicyConfig::Mode::Fixed:
        return seen_ && now - last_frame_ns_ < c_.window_ns;
      case PollPolicyConfig::Mode::Adaptive:
        break;
    }
    if (!seen_ || gap_ns_ >= c_.max_gap_ns) return false;  // sparse: a wake-up per frame is cheaper
    // Pay for the time spun since the last decision.
    const uint64_t spent = now - spin_from_ns_;
    spin_from_ns_ = now;
    credit_ns_ = spent >= credit_ns_ ? 0 : credit_ns_ - spent;
    // Spin at most a few gaps past the last frame: longer means the stream paused.
    return credit_ns_ > 0 && now - last_frame_ns_ < 4 * gap_ns_;
  }

  /* The thread slept in poll() and woke: spin time is counted from the next pass. */
  void on_sleep(uint64_t now) { spin_from_ns_ = now; }

  uint64_t gap_ns() const { return gap_ns_; }
  uint64_t credit_ns() const { return credit_ns_; }

 private:
  PollPolicyConfig c_;
  bool seen_ = false;
  uint64_t last_frame_ns_ = 0;
  uint64_t spin_from_ns_ = 0;
  uint64_t gap_ns_;
  uint64_t credit_ns_ = 0;
};

}  // namespace mcr

/**
 * A Clock for unit tests: time moves only when the test calls advance(), which fires due timers in
 * deadline order (ties in creation order), including timers those callbacks set. Used by the IGMP
 * state-machine tests; nothing here is imported by the daemon.
 */
import type { Clock, TimerHandle } from '../types.js';

interface Pending { at: number; seq: number; fn: () => void; live: boolean }

export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private pending: Pending[] = [];

  constructor(startMs = 1_000_000) {
    this.t = startMs;
  }

  now(): number {
    return this.t;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const p: Pending = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, live: true };
    this.pending.push(p);
    return { cancel: () => { p.live = false; } };
  }

  /** Timers not yet fired or cancelled. */
  get timerCount(): number {
    return this.pending.filter((p) => p.live).length;
  }

  /** Move time forward by `ms`, firing every timer due on the way at its own deadline. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      this.pending = this.pending.filter((p) => p.live);
      let next: Pending | undefined;
      for (const p of this.pending) if (p.at <= end && (!next || p.at < next.at || (p.at === next.at && p.seq < next.seq))) next = p;
      if (!next) break;
      this.t = Math.max(this.t, next.at);
      next.live = false;
      next.fn();
    }
    this.t = end;
  }
}

/**
 * Rates: the supervisor samples the summed counters every second and keeps the last two samples;
 * pps and bit rate (UDP payload bits per second) per rule and per output come from their difference.
 * A counter that went backwards (a worker restarted with a fresh engine) gives no rate for that
 * interval rather than a negative one. Tested in rates.test.ts.
 */
import type { EngineCounters } from '../engine/types.js';

export interface Rate { pps: number; bps: number }
interface Sample { atMs: number; c: EngineCounters }

export class RateSampler {
  private prev: Sample | undefined;
  private last: Sample | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly read: () => Promise<EngineCounters>, private readonly intervalMs = 1000) {}

  start(): void {
    const tick = async () => {
      try { this.record(await this.read(), Date.now()); } catch { /* a missed sample only delays rates */ }
      this.timer = setTimeout(tick, this.intervalMs);
      this.timer.unref();
    };
    void tick();
  }

  stop(): void { if (this.timer) clearTimeout(this.timer); }

  /** Add a sample taken at `atMs` (exposed for tests). */
  record(c: EngineCounters, atMs: number): void {
    this.prev = this.last;
    this.last = { atMs, c };
  }

  ruleRate(slot: number): Rate | null {
    return this.rate((c) => c.rules.get(slot));
  }

  outputRate(slot: number): Rate | null {
    return this.rate((c) => c.outputs.get(slot));
  }

  private rate(pick: (c: EngineCounters) => { packets: bigint; bytes: bigint } | undefined): Rate | null {
    if (!this.prev || !this.last) return null;
    const a = pick(this.prev.c);
    const b = pick(this.last.c);
    const dt = (this.last.atMs - this.prev.atMs) / 1000;
    if (!b || dt <= 0) return null;
    const p0 = a?.packets ?? 0n;
    const y0 = a?.bytes ?? 0n;
    if (b.packets < p0 || b.bytes < y0) return null;
    return { pps: Number(b.packets - p0) / dt, bps: (Number(b.bytes - y0) * 8) / dt };
  }
}

/**
 * RFC 2544 §26.1 style throughput search: the highest offered rate whose loss stays at or under a
 * stated tolerance, found by binary search between two bounds. Exercised by search.test.ts against a
 * simulated device (a pure loss(pps) function with a known capacity, with and without noise).
 *
 * Rule, in the order it is applied:
 *  1. Probe maxPps first. If it passes, the answer is maxPps (the device is faster than the range).
 *  2. Probe minPps. If it fails, the answer is 0 (the device cannot even carry the floor).
 *  3. Otherwise bisect [lo = last pass, hi = last fail] until hi - lo <= resolutionPps or maxSteps
 *     rates have been probed; the answer is lo, a rate that was actually measured passing.
 *
 * Noise: on a shared machine the usual disturbance is a scheduling hiccup that loses a few packets at
 * a rate the path can carry, not a lucky pass above capacity. So a failing rate is tried once more and
 * only counts as a failure when the retry fails too; a pass is taken at face value. A step is one
 * probed rate (1 or 2 trials), so a search runs at most 2 × maxSteps trials. Every trial, retries
 * included, is returned in `steps` so the report can plot loss against offered rate.
 */
import type { Trial } from '../results/types.js';

export interface SearchOptions {
  minPps: number;
  maxPps: number;
  /** Worst-output loss ratio (0..1) still counted as a pass; RFC 2544 proper uses 0. */
  lossTolerance: number;
  /** Stop once the pass/fail interval is this narrow. */
  resolutionPps: number;
  /** Most rates to probe, bounds included (both bounds are always probed when maxPps fails). */
  maxSteps: number;
}

export interface SearchResult {
  throughputPps: number;
  steps: Trial[];
}

/**
 * Find the throughput of a device by binary search.
 * @param trial runs one trial at the given offered rate (integer pps) and reports what arrived.
 * @returns the highest passing rate (0 when minPps fails) and every trial run, in order.
 * @throws TypeError naming the option when the options are inconsistent; errors of `trial` propagate.
 */
export async function throughputSearch(
  trial: (pps: number) => Promise<Trial>,
  opts: SearchOptions,
): Promise<SearchResult> {
  validateOptions(opts);
  const steps: Trial[] = [];
  let probes = 0;

  const passes = async (pps: number): Promise<boolean> => {
    probes += 1;
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const t = await trial(pps);
      steps.push(t);
      if (t.lossRatio <= opts.lossTolerance) return true;
    }
    return false;
  };

  const max = Math.round(opts.maxPps);
  const min = Math.round(opts.minPps);
  if (await passes(max)) return { throughputPps: max, steps };
  if (!(await passes(min))) return { throughputPps: 0, steps };

  let lo = min;
  let hi = max;
  while (hi - lo > opts.resolutionPps && probes < opts.maxSteps) {
    const mid = Math.round((lo + hi) / 2);
    if (mid <= lo || mid >= hi) break; // interval is down to integer granularity
    if (await passes(mid)) lo = mid;
    else hi = mid;
  }
  return { throughputPps: lo, steps };
}

function validateOptions(o: SearchOptions): void {
  const positive = (field: keyof SearchOptions, v: number): void => {
    if (!Number.isFinite(v) || v <= 0) {
      throw new TypeError(`throughputSearch: ${field} must be a positive number, got ${String(v)} (${typeof v})`);
    }
  };
  positive('minPps', o.minPps);
  positive('maxPps', o.maxPps);
  positive('resolutionPps', o.resolutionPps);
  positive('maxSteps', o.maxSteps);
  if (o.minPps >= o.maxPps) {
    throw new TypeError(`throughputSearch: minPps (${o.minPps}) must be below maxPps (${o.maxPps}); swap them or widen the range`);
  }
  if (!(o.lossTolerance >= 0 && o.lossTolerance < 1)) {
    throw new TypeError(`throughputSearch: lossTolerance must be a ratio in [0, 1), got ${String(o.lossTolerance)}; 0.001 means 0.1 %`);
  }
  if (!Number.isInteger(o.maxSteps)) {
    throw new TypeError(`throughputSearch: maxSteps must be an integer, got ${o.maxSteps}`);
  }
}

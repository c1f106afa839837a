/**
 * RFC 2544 §26.1 style throughput search: the highest offered rate that passes (lab/results/verdict.ts:
 * loss within tolerance, the generator really offered the rate, p99 under a limit), found within a
 * budget of probed rates, and reported with what the search knows: the bracket [highest pass, lowest
 * fail]. Exercised by search.test.ts against simulated devices (a flat capacity, noise, a relay whose
 * forwarding collapses above capacity).
 *
 * Order of probes:
 *  1. maxPps. A pass ends the search: the relay is at least that fast (bracket [max, none]).
 *  2. After a fail, what got through tells where the knee is: an overloaded relay forwards about its
 *     capacity. The estimate is that rate (with two fails above the last pass, the straight line
 *     through their forwarding rates met with "forwarded = offered", which also follows a relay that
 *     forwards less the harder it is pushed). Until something passes, the probe is 0.95 × the
 *     estimate (the independent kit's rule: land a pass just under the knee first); then the estimate
 *     itself.
 *  3. Once the estimate is used up: with one fail, bisect for a second (whose forwarding rate gives
 *     the line); with two or more, gallop up from the highest pass (+1, +2, +4 … resolutions, never
 *     past the middle of the bracket) when the knee they give is about where the passes end, else
 *     bisect (rates well above it passed: a relay whose forwarding collapses under overload).
 *  4. Stop when the bracket is within `resolutionPps`, when maxSteps rates have been probed, when
 *     minPps fails (throughput 0, bracket [0, min]) or when the generator cannot offer more (the
 *     highest pass is generator-limited: nothing above it can be measured).
 *
 * Noise: on a shared machine the usual disturbance is a scheduling hiccup that loses a few packets at
 * a rate the path can carry, or a generator descheduled for a moment. A marginal fail (loss under
 * 10 %) and a generator-limited trial are tried once more and the better outcome counts; a clear
 * overload is not retried. Every trial, retries included, is returned in `steps`.
 */
import { bracketOf, provedPps, trialVerdict, worstDeliveredPps, type Bracket, type PassRule, type Verdict } from '../results/verdict.js';
import type { Trial } from '../results/types.js';

export interface SearchOptions extends PassRule {
  minPps: number;
  maxPps: number;
  /** The bracket is resolved once its ends are this close. */
  resolutionPps: number;
  /** Most rates to probe. */
  maxSteps: number;
}

export interface SearchResult {
  /** The highest rate proved passing (0 when even minPps failed). */
  throughputPps: number;
  bracket: Bracket;
  steps: Trial[];
}

/** Loss under which a failing trial may be a hiccup worth one retry; above it the relay is plainly overloaded. */
export const MARGINAL_LOSS = 0.1;
/** Share of the estimated knee probed before anything has passed. */
export const KNEE_BACKOFF = 0.95;

/**
 * Find the throughput of a device.
 * @param trial runs one trial at the given offered rate (integer pps) and reports what arrived.
 * @throws TypeError naming the option when the options are inconsistent; errors of `trial` propagate.
 */
export async function throughputSearch(trial: (pps: number) => Promise<Trial>, opts: SearchOptions): Promise<SearchResult> {
  validateOptions(opts);
  const steps: Trial[] = [];
  const min = Math.round(opts.minPps);
  const max = Math.round(opts.maxPps);
  const res = opts.resolutionPps;
  let lo = 0;
  let hi: number | null = null;
  let generatorLimited = false;
  let gallop = 0;
  const fails: Array<{ offered: number; delivered: number }> = [];
  const used = new Set<number>();

  const probe = async (pps: number): Promise<Verdict> => {
    used.add(pps);
    let t = await trial(pps);
    steps.push(t);
    let v = trialVerdict(t, opts);
    if (v === 'generator-limited' || (v === 'fail' && t.lossRatio < MARGINAL_LOSS)) {
      const again = await trial(pps);
      steps.push(again);
      const v2 = trialVerdict(again, opts);
      if (rank(v2, again) > rank(v, t)) { t = again; v = v2; }
    }
    if (v === 'pass') {
      lo = Math.max(lo, pps);
      generatorLimited = false;
    } else if (v === 'generator-limited') {
      if (provedPps(t) > lo) { lo = provedPps(t); generatorLimited = true; }
    } else {
      hi = hi === null ? provedPps(t) : Math.min(hi, provedPps(t));
      fails.push({ offered: provedPps(t), delivered: worstDeliveredPps(t) });
    }
    return v;
  };

  const next = (): number | undefined => {
    const top = hi ?? max;
    const inside = (x: number): boolean => x > lo + res / 2 && x < top - res / 2 && !used.has(x);
    const above = fails.filter((f) => f.offered > lo);
    const est = kneeEstimate(above);
    if (est !== undefined) {
      const guess = Math.round(lo === 0 ? Math.max(min, KNEE_BACKOFF * est) : est);
      if (inside(guess) || (lo === 0 && guess === min && !used.has(min))) return guess;
    }
    if (lo === 0) {
      // Nothing passed and no estimate to go by: halve towards the floor, then the floor itself.
      const half = Math.round((min + top) / 2);
      return used.has(min) ? undefined : inside(half) && half > min ? half : min;
    }
    const mid = Math.round((lo + top) / 2);
    // One fail tells a flat relay from one that forwards less the harder it is pushed only once a
    // second fail gives the line (kneeEstimate); bisect for it. With the line: gallop up when the
    // knee it gives is about where the passes end, bisect when rates well above it passed.
    const nearKnee = above.length >= 2 && est !== undefined && est >= lo - 2 * res;
    if (!nearKnee && inside(mid)) return mid;
    const up = Math.round(lo + res * 2 ** gallop);
    gallop += 1;
    const pick = Math.min(up, mid);
    return inside(pick) ? pick : inside(mid) ? mid : undefined;
  };

  let probes = 1;
  if ((await probe(max)) !== 'fail') return done();
  while (probes < opts.maxSteps && !generatorLimited) {
    if (hi !== null && hi - lo <= res) break;
    const pps = next();
    if (pps === undefined) break;
    probes += 1;
    const v = await probe(pps);
    if (v === 'fail' && pps === min && lo === 0) break;
    if (v === 'fail') gallop = 0;
  }
  return done();

  function done(): SearchResult {
    const bracket = bracketOf(steps, opts);
    return { throughputPps: bracket.passPps, bracket, steps };
  }
}

/** Order of outcomes for a retried probe: a pass beats a generator-limited trial beats a fail, then the lower loss. */
function rank(v: Verdict, t: Trial): number {
  return (v === 'pass' ? 2 : v === 'generator-limited' ? 1 : 0) * 2 - t.lossRatio;
}

/**
 * Where forwarded = offered, from failing trials above the highest pass: one fail gives its
 * forwarding rate; two give the line through (offered, forwarded) of the two lowest, which a flat
 * relay (forwards its capacity whatever it is offered) and a collapsing one (forwards less the more
 * it is offered) both meet at their knee.
 */
export function kneeEstimate(fails: ReadonlyArray<{ offered: number; delivered: number }>): number | undefined {
  const sorted = [...fails].sort((a, b) => a.offered - b.offered);
  const [a, b] = sorted;
  if (!a) return undefined;
  if (!b || b.offered - a.offered < 1) return a.delivered > 0 ? a.delivered : undefined;
  const slope = (b.delivered - a.delivered) / (b.offered - a.offered);
  if (slope >= 1) return a.delivered > 0 ? a.delivered : undefined;
  const knee = (a.delivered - slope * a.offered) / (1 - slope);
  return knee > 0 && knee < a.offered ? knee : a.delivered > 0 ? a.delivered : undefined;
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
  if (!(o.minAchievedRatio > 0 && o.minAchievedRatio <= 1)) {
    throw new TypeError(`throughputSearch: minAchievedRatio must be in (0, 1], got ${String(o.minAchievedRatio)}; 0.97 means 97 % of the offered rate`);
  }
  if (!Number.isInteger(o.maxSteps)) {
    throw new TypeError(`throughputSearch: maxSteps must be an integer, got ${o.maxSteps}`);
  }
}

/**
 * What one throughput trial proves, decided in one place for the search that runs it
 * (lab/measure/search.ts) and for everything that reads results.json afterwards (lab/results/figures.ts).
 *
 * The pass rule follows the independent kit issue 12 compares with: a trial passes when the worst
 * output lost no more than `lossTolerance` AND the generator really offered what was asked (at least
 * `minAchievedRatio` of it) AND, when set, the worst output's p99 stayed under `maxP99Ns` (a queue
 * growing through a short trial is loss the trial was too short to see). A trial that lost nothing
 * but whose generator fell short measured the generator, not the relay: `generator-limited`.
 * Covered by verdict.test.ts and lab/measure/search.test.ts.
 */
import type { Trial } from './types.js';

export interface PassRule {
  /** Worst-output loss ratio still counted as a pass (0.001 = 0.1 %). */
  lossTolerance: number;
  /** Share of the offered rate the generator must reach for the trial to say anything about the relay. */
  minAchievedRatio: number;
  /** Worst output's p99 one-way latency above which the trial fails, in ns; absent = no latency rule. */
  maxP99Ns?: number;
}

/** The generator must reach 97 % of the offered rate (the independent kit's rule). */
export const MIN_ACHIEVED_RATIO = 0.97;
/** p99 under 20 ms (the independent kit's rule): beyond it a queue is building up. */
export const MAX_P99_NS = 20e6;

export type Verdict = 'pass' | 'fail' | 'generator-limited';

/** The rule a search ran with; results written before it was recorded used loss alone. */
export function passRuleOf(t: { lossTolerance: number; search?: { minAchievedRatio?: number; maxP99Ns?: number } }): PassRule {
  return {
    lossTolerance: t.lossTolerance,
    minAchievedRatio: t.search?.minAchievedRatio ?? MIN_ACHIEVED_RATIO,
    ...(t.search?.maxP99Ns !== undefined && { maxP99Ns: t.search.maxP99Ns }),
  };
}

/** The worst output's p99 of a trial, or undefined when nothing arrived. */
export function worstP99Ns(t: Trial): number | undefined {
  const p99 = t.outputs.flatMap((o) => (o.latencyNs ? [o.latencyNs.p99] : []));
  return p99.length ? Math.max(...p99) : undefined;
}

export function trialVerdict(t: Trial, rule: PassRule): Verdict {
  const p99 = worstP99Ns(t);
  if (t.lossRatio > rule.lossTolerance) return 'fail';
  if (rule.maxP99Ns !== undefined && p99 !== undefined && p99 > rule.maxP99Ns) return 'fail';
  return t.achievedPps < rule.minAchievedRatio * t.offeredPps ? 'generator-limited' : 'pass';
}

/**
 * The rate a trial's verdict is about: the offered rate, or what the generator really sent when that
 * was less (a relay that lost packets at 180k of 300k offered failed at 180k).
 */
export function provedPps(t: Trial): number {
  return Math.min(t.offeredPps, t.achievedPps);
}

/** What got through on the worst output, per second of trial: an overloaded relay's forwarding rate. */
export function worstDeliveredPps(t: Trial): number {
  if (t.outputs.length === 0) return 0;
  const unique = Math.min(...t.outputs.map((o) => Math.max(0, o.received - o.duplicates - o.payloadErrors)));
  return unique / t.durationS;
}

/** A search's outcome: [highest rate proved passing, lowest rate proved failing]. */
export interface Bracket {
  /** 0 when no rate passed. */
  passPps: number;
  /** null when no rate failed (the relay kept up with everything it was offered). */
  failPps: number | null;
  /** The highest pass was a generator-limited trial: the relay carried all of a rate the generator could not exceed. */
  generatorLimited: boolean;
}

/**
 * The bracket a search's trials prove under a rule. A rate that passed once passes (a failing rate is
 * retried, and a pass on retry wins); a generator-limited trial proves the rate it did send.
 */
export function bracketOf(steps: readonly Trial[], rule: PassRule): Bracket {
  const passedAt = new Set<number>();
  let passPps = 0;
  let generatorLimited = false;
  for (const t of steps) {
    const v = trialVerdict(t, rule);
    if (v === 'fail') continue;
    passedAt.add(t.offeredPps);
    const rate = v === 'pass' ? t.offeredPps : provedPps(t);
    if (rate > passPps || (rate === passPps && v === 'pass')) {
      passPps = rate;
      generatorLimited = v === 'generator-limited';
    }
  }
  let failPps: number | null = null;
  for (const t of steps) {
    if (passedAt.has(t.offeredPps) || trialVerdict(t, rule) !== 'fail') continue;
    const rate = provedPps(t);
    // A fail at or below a proved pass is noise the search already overruled.
    if (rate > passPps && (failPps === null || rate < failPps)) failPps = rate;
  }
  return { passPps, failPps, generatorLimited };
}

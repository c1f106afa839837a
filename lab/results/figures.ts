/**
 * Throughput as a figure that says what it knows, and ratios that never claim more than their
 * figures do. The one place results.json's throughput searches are interpreted: the report
 * (lab/report/), the bench table (bench/) and the CI job (ci/, through bench/metrics.ts) all read
 * throughput through throughputFigure() and divide through ratioOf().
 *
 *   resolved   the bracket [highest pass, lowest fail] is within the search's resolution: "196k"
 *   bracket    the search ran out of budget first: "10k–107k"
 *   at-least   nothing failed (the top rate passed, or the generator could not offer more): "≥ 450k"
 *   below      even the lowest rate failed: "< 10k"
 *
 * A ratio is a value only between two resolved figures; from brackets and bounds it is the range or
 * bound the figures allow ("0.55–0.61×", "≥ 9.1×", "≤ 0.50×"); from a generator-limited figure there
 * is none. A figure whose repetitions spread by more than UNSTABLE_SPREAD of their median is unstable,
 * and so is every ratio built from it. Covered by figures.test.ts.
 */
import { summarize } from '../measure/stats.js';
import type { Summary, ThroughputTest } from './types.js';
import { bracketOf, passRuleOf, type Bracket } from './verdict.js';

/** (max − min) / median over repetitions above which a figure is marked unstable. */
export const UNSTABLE_SPREAD = 0.25;
/** Resolution assumed for results written before the search recorded its own (the scenarios' old 10k). */
export const LEGACY_RESOLUTION_PPS = 10_000;

export type FigureKind = 'resolved' | 'bracket' | 'at-least' | 'below';

export interface ThroughputFigure {
  kind: FigureKind;
  /** Median over repetitions of the highest rate proved passing (0 when nothing passed). */
  value: number;
  /** The bracket: median highest pass, median lowest fail (null when most repetitions had no fail). */
  low: number;
  high: number | null;
  /** Per-repetition highest pass, summarized (median, min–max, quartiles). */
  spread: Summary;
  resolutionPps: number;
  /** Some repetition's highest pass was generator-limited: the generator, not the relay, set the figure. */
  generatorLimited: boolean;
  unstable: boolean;
}

/** Median of a list (mean of the middle two for an even count). @throws RangeError on an empty list */
export function median(values: readonly number[]): number {
  return summarize(values).median;
}

/** Whether repetitions spread by more than UNSTABLE_SPREAD of their median (never for one repetition). */
export function isUnstable(s: Summary): boolean {
  return s.n >= 2 && s.max - s.min > UNSTABLE_SPREAD * Math.abs(s.median);
}

/**
 * Each repetition's bracket, derived from its steps under the rule the search ran with (the same
 * bracketOf the search used, so it matches the `bracket` the search recorded; older files have none).
 */
export function repetitionBrackets(t: ThroughputTest): Bracket[] {
  const rule = passRuleOf(t);
  return t.repetitions.map((rep) => bracketOf(rep.steps, rule));
}

/** The figure of a throughput test (see the file header). @throws Error for a test without repetitions */
export function throughputFigure(t: ThroughputTest): ThroughputFigure {
  const brackets = repetitionBrackets(t);
  if (brackets.length === 0) throw new Error(`throughput test "${t.name}" of ${t.relay} has no repetitions`);
  const passes = brackets.map((b) => b.passPps);
  const fails = brackets.flatMap((b) => (b.failPps === null ? [] : [b.failPps]));
  const low = median(passes);
  // Most repetitions found no fail: the figure is a floor.
  const high = fails.length * 2 > brackets.length ? median(fails) : null;
  const resolutionPps = t.search?.resolutionPps ?? LEGACY_RESOLUTION_PPS;
  const generatorLimited = brackets.some((b) => b.generatorLimited);
  const kind: FigureKind = low <= 0 ? 'below' : high === null || generatorLimited ? 'at-least'
    : high - low <= resolutionPps + 1 ? 'resolved' : 'bracket';
  const spread = summarize(passes);
  return { kind, value: low, low, high, spread, resolutionPps, generatorLimited, unstable: isUnstable(spread) };
}

/** Where the true throughput lies, as far as the figure knows: [low, high], high Infinity when unbounded. */
export function interval(f: ThroughputFigure): [number, number] {
  switch (f.kind) {
    case 'resolved': return [f.value, f.value];
    case 'bracket': return [f.low, f.high!];
    case 'at-least': return [f.low, Infinity];
    case 'below': return [0, f.high ?? Infinity];
  }
}

export type RatioFigure =
  | { kind: 'value'; value: number; unstable: boolean }
  | { kind: 'range'; low: number; high: number; unstable: boolean }
  | { kind: 'at-least' | 'at-most'; value: number; unstable: boolean }
  | { kind: 'none'; reason: string };

/** a / b as far as two figures allow (see the file header). */
export function ratioOf(a: ThroughputFigure, b: ThroughputFigure): RatioFigure {
  if (a.generatorLimited || b.generatorLimited) return { kind: 'none', reason: 'generator-limited: the generator, not the relay, set a figure' };
  return ratioOfIntervals(interval(a), interval(b), a.unstable || b.unstable);
}

/** Interval division [a] / [b] as a RatioFigure. */
export function ratioOfIntervals([aLo, aHi]: [number, number], [bLo, bHi]: [number, number], unstable = false): RatioFigure {
  const lo = bHi === Infinity ? 0 : aLo / bHi;
  const hi = bLo <= 0 || aHi === Infinity ? Infinity : aHi / bLo;
  if (lo <= 0 && hi === Infinity) return { kind: 'none', reason: 'both figures are bounds that say nothing about their ratio' };
  if (lo === hi) return { kind: 'value', value: lo, unstable };
  if (hi === Infinity) return { kind: 'at-least', value: lo, unstable };
  if (lo <= 0) return { kind: 'at-most', value: hi, unstable };
  return { kind: 'range', low: lo, high: hi, unstable };
}

/** The number a ratio is judged by (CI verdicts, thresholds): the value, the bound, or the range's geometric middle. */
export function ratioValue(r: RatioFigure): number | null {
  switch (r.kind) {
    case 'value': case 'at-least': case 'at-most': return r.value;
    case 'range': return Math.sqrt(r.low * r.high);
    case 'none': return null;
  }
}

/** Marker every table appends to a figure or ratio whose repetitions spread too far. */
export const UNSTABLE_MARK = ' (unstable)';

/**
 * A figure as tables print it, with `fmt` for rates ("196k", "10k–107k", "≥ 450k", "< 10k"), plus the
 * generator-limited and unstable markers.
 */
export function formatFigure(f: ThroughputFigure, fmt: (pps: number) => string): string {
  const text = f.kind === 'resolved' ? fmt(f.value)
    : f.kind === 'bracket' ? `${fmt(f.low)}–${fmt(f.high!)}`
    : f.kind === 'at-least' ? `≥ ${fmt(f.low)}`
    : `< ${fmt(f.high ?? 0)}`;
  return `${text}${f.generatorLimited ? ' (generator-limited)' : ''}${f.unstable ? UNSTABLE_MARK : ''}`;
}

/** A ratio as tables print it ("1.23×", "0.55–0.61×", "≥ 9.1×", "≤ 0.50×", "–"), with the unstable marker. */
export function formatRatio(r: RatioFigure, fmt: (v: number) => string): string {
  const bare = (v: number): string => fmt(v).replace(/×$/, '');
  switch (r.kind) {
    case 'value': return `${fmt(r.value)}${r.unstable ? UNSTABLE_MARK : ''}`;
    case 'range': return `${bare(r.low)}–${fmt(r.high)}${r.unstable ? UNSTABLE_MARK : ''}`;
    case 'at-least': return `≥ ${fmt(r.value)}${r.unstable ? UNSTABLE_MARK : ''}`;
    case 'at-most': return `≤ ${fmt(r.value)}${r.unstable ? UNSTABLE_MARK : ''}`;
    case 'none': return '–';
  }
}

/**
 * Verdicts of this run's performance metrics against ci/baseline.json: pure functions, no I/O.
 *
 *   higher-is-better: regression below value × (1 − tolerance), improved above value × (1 + tolerance)
 *   lower-is-better:  regression above value × (1 + tolerance), improved below value × (1 − tolerance)
 *
 * A metric this run could not compute is `missing` and fails only when the baseline marks it
 * required; a metric without a baseline entry is `untracked` and never fails.
 * Covered by ci/compare.test.ts; used by ci/perf-regression.ts and bench/run.ts.
 */
import type { Baseline, BaselineEntry } from './baseline.js';
import { measure, METRICS, type MetricDef, type Measured } from '../bench/metrics.js';
import type { Bound } from '../lab/results/quantities.js';
import type { LoadedResults } from '../lab/results/validate.js';

export type Verdict = 'pass' | 'regression' | 'improved' | 'missing' | 'untracked';

export interface Comparison {
  id: string;
  title: string;
  unit: MetricDef['unit'] | '';
  /** This run's value, null when it could not be computed. */
  have: number | null;
  /** Where `have` came from, or why it is missing. */
  note: string;
  /** When `have` only bounds the true value (see lab/results/quantities.ts Bound); the verdict is on `have` as is. */
  bound?: Bound;
  /** The interval `have` stands for when only that is known; `have` is then its geometric middle. */
  range?: [number, number];
  /** Built from figures whose repetitions spread too far (lab/results/figures.ts). */
  unstable?: boolean;
  expected?: BaselineEntry;
  /** The value beyond which this metric is a regression (from value, tolerance, direction). */
  limit?: number;
  verdict: Verdict;
  /** true when this comparison fails the job. */
  failed: boolean;
}

export interface Report {
  comparisons: Comparison[];
  failed: boolean;
  counts: Record<Verdict, number>;
}

/** The regression limit of a baseline entry. */
export function limitOf(e: BaselineEntry): number {
  return e.direction === 'higher-is-better' ? e.value * (1 - e.tolerance) : e.value * (1 + e.tolerance);
}

/** Verdict of one value against one baseline entry. */
export function judge(have: number, e: BaselineEntry): 'pass' | 'regression' | 'improved' {
  const worse = e.direction === 'higher-is-better' ? have < limitOf(e) : have > limitOf(e);
  if (worse) return 'regression';
  const better = e.direction === 'higher-is-better' ? have > e.value * (1 + e.tolerance) : have < e.value * (1 - e.tolerance);
  return better ? 'improved' : 'pass';
}

function compareOne(m: Measured, e: BaselineEntry | undefined): Comparison {
  const base = { id: m.def.id, title: m.def.title, unit: m.def.unit };
  if (!m.found.ok) {
    const failed = e?.required === true;
    return { ...base, have: null, note: m.found.reason, ...(e && { expected: e, limit: limitOf(e) }), verdict: 'missing', failed };
  }
  const have = {
    have: m.found.value, note: m.found.note, ...(m.found.bound && { bound: m.found.bound }),
    ...(m.found.range && { range: m.found.range }), ...(m.found.unstable && { unstable: true }),
  };
  if (!e) return { ...base, ...have, verdict: 'untracked', failed: false };
  const verdict = judge(m.found.value, e);
  return { ...base, ...have, expected: e, limit: limitOf(e), verdict, failed: verdict === 'regression' };
}

/**
 * Compares measured metrics with a baseline.
 * @returns one comparison per metric (METRICS order), then baseline entries no metric produces
 */
export function compareMeasured(measured: Measured[], baseline: Baseline): Report {
  const comparisons = measured.map((m) => compareOne(m, baseline[m.def.id]));
  const known = new Set(measured.map((m) => m.def.id));
  for (const [id, e] of Object.entries(baseline)) {
    if (known.has(id)) continue;
    comparisons.push({
      id, title: id, unit: '', have: null, expected: e, limit: limitOf(e), verdict: 'missing', failed: e.required === true,
      note: `no metric named ${id} (known: ${METRICS.map((d) => d.id).join(', ')})`,
    });
  }
  const counts: Record<Verdict, number> = { pass: 0, regression: 0, improved: 0, missing: 0, untracked: 0 };
  for (const c of comparisons) counts[c.verdict] += 1;
  return { comparisons, failed: comparisons.some((c) => c.failed), counts };
}

/** Computes the metrics of the given results files and compares them with a baseline. */
export function compare(files: LoadedResults[], baseline: Baseline): Report {
  return compareMeasured(measure(files), baseline);
}

/**
 * Pass/fail thresholds of a scenario, evaluated against the tests of one run. A threshold compares the
 * median over repetitions of one metric of one test (the "medians of repeated runs") with a
 * limit, either for one relay or as a ratio between two relays measured side by side:
 *
 *   { relay: 'mcrd', test: 'fixed-50k', metric: 'lossRatio', op: '<=', value: 0.001 }
 *   { relay: 'mcrd', test: 'fixed-50k', metric: 'lossRatio', max: 0.001 }            (scenario YAML form)
 *   { relay: 'mcrd', ratioTo: 'socat', test: 'throughput', metric: 'throughputPps', op: '>=', value: 4 }
 *   { relay: 'mcrd', test: 'latency', metric: 'latencyAddedP50Ns', max: 20000 }      (minus `direct`)
 *
 * Without `relay` the threshold applies to every relay that ran the test. Missing data (relay skipped,
 * test absent, nothing arrived) fails the check with actual = null and says why in the description,
 * so a threshold can never pass by default. Covered by thresholds.test.ts.
 */
import { throughputFigure } from '../results/figures.js';
import type { LatencyNs, RelayName, TestResult, ThresholdCheck } from '../results/types.js';
import { summarize, trialLatency } from './stats.js';

export const METRICS = [
  'lossRatio', 'deliveredPps', 'throughputPps',
  'latencyP50Ns', 'latencyP90Ns', 'latencyP99Ns', 'latencyP999Ns', 'latencyMaxNs',
  'latencyAddedP50Ns', 'latencyAddedP99Ns',
  'relayCpuNsPerPacket', 'relayCoreNsPerPacket', 'relayCoreOwnNsPerPacket',
] as const;
export type Metric = (typeof METRICS)[number];

export interface ThresholdSpec {
  relay?: RelayName;
  /** Compare relay's value divided by this relay's value on the same test (e.g. mcrd/socat). */
  ratioTo?: RelayName;
  test: string;
  metric: Metric;
  op?: '<=' | '>=';
  value?: number;
  /** Shorthand for op '<=' value max. */
  max?: number;
  /** Shorthand for op '>=' value min. */
  min?: number;
}

const LAT_KEY: Partial<Record<Metric, keyof LatencyNs>> = {
  latencyP50Ns: 'p50', latencyP90Ns: 'p90', latencyP99Ns: 'p99', latencyP999Ns: 'p999', latencyMaxNs: 'max',
  latencyAddedP50Ns: 'p50', latencyAddedP99Ns: 'p99',
};

const med = (values: Array<number | undefined>): number | null => {
  const v = values.filter((x): x is number => x !== undefined);
  return v.length === 0 ? null : summarize(v).median;
};

/** Median over repetitions of a plain metric (not the "added" ones) of one test, or null when absent. */
export function metricValue(t: TestResult, metric: Metric): number | null {
  const lat = LAT_KEY[metric];
  switch (t.kind) {
    case 'throughput':
      // Through the one interpreter of throughput (lab/results/figures.ts): its figure's value.
      return metric === 'throughputPps' ? throughputFigure(t).value : null;
    case 'fixed-rate':
      if (metric === 'lossRatio') return t.summary.lossRatio.median;
      if (metric === 'deliveredPps') return t.summary.deliveredPps.median;
      if (metric === 'relayCpuNsPerPacket') return t.summary.relayCpuNsPerPacket?.median ?? null;
      if (metric === 'relayCoreNsPerPacket') return t.summary.relayCoreNsPerPacket?.median ?? null;
      if (metric === 'relayCoreOwnNsPerPacket') return t.summary.relayCoreOwnNsPerPacket?.median ?? null;
      if (metric === 'latencyP50Ns') return t.summary.latencyP50Ns?.median ?? null;
      if (metric === 'latencyP99Ns') return t.summary.latencyP99Ns?.median ?? null;
      return lat ? med(t.repetitions.map((r) => trialLatency(r)?.[lat])) : null;
    case 'latency': {
      if (metric === 'lossRatio') return med(t.repetitions.map((r) => r.lossRatio));
      if (metric === 'deliveredPps') return med(t.repetitions.map((r) => r.deliveredPps));
      if (metric === 'relayCpuNsPerPacket') return med(t.repetitions.map((r) => r.relayCpuNsPerPacket));
      if (metric === 'relayCoreNsPerPacket') return med(t.repetitions.map((r) => r.relayCoreNsPerPacket));
      if (metric === 'relayCoreOwnNsPerPacket') return med(t.repetitions.map((r) => r.relayCoreOwnNsPerPacket));
      return lat ? med(t.repetitions.map((r) => trialLatency(r)?.[lat])) : null;
    }
  }
}

function normalize(spec: ThresholdSpec): { op: '<=' | '>='; limit: number } {
  const forms = [spec.op !== undefined || spec.value !== undefined, spec.max !== undefined, spec.min !== undefined].filter(Boolean).length;
  if (forms !== 1) {
    throw new TypeError(`threshold ${spec.test}.${spec.metric}: give exactly one of { op, value }, max or min`);
  }
  if (spec.max !== undefined) return { op: '<=', limit: spec.max };
  if (spec.min !== undefined) return { op: '>=', limit: spec.min };
  if (spec.op === undefined || spec.value === undefined || !Number.isFinite(spec.value)) {
    throw new TypeError(`threshold ${spec.test}.${spec.metric}: op and value go together, e.g. { op: '<=', value: 0.001 }`);
  }
  return { op: spec.op, limit: spec.value };
}

function find(tests: TestResult[], relay: RelayName, test: string): TestResult | undefined {
  return tests.find((t) => t.relay === relay && t.name === test);
}

/** Value of a metric for one relay, with "added" latency taken relative to `direct`; reason when absent. */
function valueFor(tests: TestResult[], relay: RelayName, spec: ThresholdSpec): { v: number | null; why?: string } {
  const t = find(tests, relay, spec.test);
  if (!t) return { v: null, why: `no ${relay} result for test ${spec.test}` };
  if (t.kind === 'throughput' && throughputFigure(t).generatorLimited) {
    return { v: null, why: `${relay} ${spec.test} is generator-limited: the generator, not ${relay}, set the figure` };
  }
  const v = metricValue(t, spec.metric);
  if (v === null) return { v, why: `${relay} ${spec.test} has no ${spec.metric} data` };
  if (spec.metric !== 'latencyAddedP50Ns' && spec.metric !== 'latencyAddedP99Ns') return { v };
  const d = find(tests, 'direct', spec.test);
  const base = d ? metricValue(d, spec.metric) : null;
  if (base === null) return { v: null, why: `added latency needs a direct (no relay) result for test ${spec.test}` };
  return { v: v - base };
}

/**
 * Evaluate thresholds against the tests of a run.
 * @returns one check per threshold and relay, in spec order.
 * @throws TypeError for a malformed threshold (naming it), never for missing data.
 */
export function evaluateThresholds(specs: readonly ThresholdSpec[], tests: TestResult[]): ThresholdCheck[] {
  const checks: ThresholdCheck[] = [];
  for (const spec of specs) {
    if (!(METRICS as readonly string[]).includes(spec.metric)) {
      throw new TypeError(`threshold ${spec.test}.${String(spec.metric)}: unknown metric; expected one of ${METRICS.join(', ')}`);
    }
    const { op, limit } = normalize(spec);
    let relays: RelayName[];
    if (spec.relay) relays = [spec.relay];
    else {
      relays = [...new Set(tests.filter((t) => t.name === spec.test && t.relay !== spec.ratioTo).map((t) => t.relay))];
      if (relays.length === 0) relays = ['mcrd'];
    }
    for (const relay of relays) checks.push(check(spec, relay, op, limit, tests));
  }
  return checks;
}

function check(spec: ThresholdSpec, relay: RelayName, op: '<=' | '>=', limit: number, tests: TestResult[]): ThresholdCheck {
  const who = spec.ratioTo ? `${relay}/${spec.ratioTo}` : relay;
  const base = `${who}.${spec.test}.${spec.metric} ${op} ${limit}`;
  const out = (actual: number | null, pass: boolean, why?: string): ThresholdCheck => ({
    description: why ? `${base} (${why})` : base,
    relay, test: spec.test, metric: spec.ratioTo ? `${spec.metric} ratio ${who}` : spec.metric,
    op, limit, actual, pass,
  });
  const num = valueFor(tests, relay, spec);
  if (num.v === null) return out(null, false, num.why);
  if (!spec.ratioTo) return out(num.v, op === '<=' ? num.v <= limit : num.v >= limit);

  const den = valueFor(tests, spec.ratioTo, spec);
  if (den.v === null) return out(null, false, den.why);
  if (den.v === 0) {
    // x/0: unbounded. It satisfies ">=" when the numerator is positive, never "<="; JSON has no Infinity.
    const pass = op === '>=' && num.v > 0;
    return out(null, pass, `${spec.ratioTo} measured 0, ratio unbounded`);
  }
  const ratio = num.v / den.v;
  return out(ratio, op === '<=' ? ratio <= limit : ratio >= limit);
}

/** True when no check failed; an empty list passes. */
export function allPass(checks: readonly ThresholdCheck[]): boolean {
  return checks.every((c) => c.pass);
}

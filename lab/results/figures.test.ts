// The one interpreter of throughput: figures and ratios. ci/pipeline.test.ts checks that the report,
// the bench table and the CI metrics read the same figures from the same files.
import { describe, expect, test } from 'vitest';
import { throughputTest } from '../measure/stats.js';
import { makeTrial } from '../measure/testing.js';
import { buildResults, FIXTURES } from './fixtures/build.js';
import { formatFigure, formatRatio, ratioOf, ratioOfIntervals, throughputFigure, type ThroughputFigure } from './figures.js';
import { ratioFound, throughputPps } from './quantities.js';
import type { RelayName, Results, ThroughputTest } from './types.js';

const search = { minPps: 10_000, maxPps: 450_000, resolutionPps: 5_000, maxSteps: 6, minAchievedRatio: 0.97 };
const tp = (steps: Array<[number, number] | [number, number, number]>, reps = 1): ThroughputTest =>
  throughputTest('throughput', 'mcrd', 0.001, Array.from({ length: reps }, () => ({
    throughputPps: 0, steps: steps.map(([pps, loss, achieved]) => makeTrial(pps, loss, achieved === undefined ? {} : { achievedPps: achieved })),
  })), search);
const k = (v: number): string => `${Math.round(v / 1000)}k`;

describe('throughputFigure', () => {
  test.each([
    ['resolved: the bracket within the resolution', [[450_000, 0.5], [190_000, 0], [200_000, 0], [205_000, 0.1]], 'resolved', '200k'],
    ['bracket: out of steps before it narrowed', [[450_000, 0.9], [10_000, 0], [205_000, 0.8], [107_000, 0.5]], 'bracket', '10k–107k'],
    ['at-least: the top rate passed', [[450_000, 0]], 'at-least', '≥ 450k'],
    ['below: even the floor failed', [[450_000, 1], [10_000, 0.5]], 'below', '< 10k'],
    ['generator-limited: nothing lost, but the generator sent 180k of 450k', [[450_000, 0, 180_000]], 'at-least', '≥ 180k (generator-limited)'],
  ] as const)('%s', (_t, steps, kind, text) => {
    const f = throughputFigure(tp(steps as unknown as Array<[number, number, number]>));
    expect(f.kind).toBe(kind);
    expect(formatFigure(f, k)).toBe(text);
  });

  test('three repetitions: medians of the ends; spread beyond 25 % of the median is unstable', () => {
    const t = throughputTest('throughput', 'socat', 0.001, [22_000, 40_000, 56_000].map((x) => ({ throughputPps: x, steps: [makeTrial(x, 0), makeTrial(x + 5_000, 0.2)] })), search);
    const f = throughputFigure(t);
    expect(f).toMatchObject({ kind: 'resolved', value: 40_000, low: 40_000, high: 45_000, unstable: true, spread: { min: 22_000, max: 56_000, q1: 31_000, q3: 48_000 } });
    expect(formatFigure(f, k)).toBe('40k (unstable)');
  });
});

describe('ratios only from what the figures know', () => {
  const figure = (steps: Array<[number, number] | [number, number, number]>): ThroughputFigure => throughputFigure(tp(steps));
  const resolved200 = figure([[450_000, 0.5], [200_000, 0], [205_000, 0.1]]);
  const resolved100 = figure([[450_000, 0.5], [100_000, 0], [105_000, 0.1]]);
  const bracket = figure([[450_000, 0.9], [10_000, 0], [205_000, 0.8], [107_000, 0.5]]);
  const ceiling = figure([[450_000, 0]]);
  const floor = figure([[450_000, 1], [10_000, 0.5]]);
  const limited = figure([[450_000, 0, 180_000]]);
  const x = (v: number): string => `${v.toFixed(2)}×`;

  test.each([
    ['two resolved figures: a value', resolved200, resolved100, '2.00×'],
    ['a bracket divisor: the range it allows', resolved200, bracket, '1.87–20.00×'],
    ['a floor as divisor: a ceiling on the ratio', resolved200, ceiling, '≤ 0.44×'],
    ['a ceiling as divisor (nothing passed): a floor on the ratio', resolved200, floor, '≥ 20.00×'],
    ['two floors: nothing', ceiling, ceiling, '–'],
    ['a generator-limited figure: nothing', resolved200, limited, '–'],
  ] as const)('%s', (_t, a, b, text) => {
    expect(formatRatio(ratioOf(a, b), x)).toBe(text);
  });

  test('interval division covers every case a table can meet', () => {
    expect(ratioOfIntervals([2, 2], [1, 1])).toEqual({ kind: 'value', value: 2, unstable: false });
    expect(ratioOfIntervals([0, 5], [1, 1])).toEqual({ kind: 'at-most', value: 5, unstable: false });
    expect(ratioOfIntervals([2, Infinity], [1, 1], true)).toEqual({ kind: 'at-least', value: 2, unstable: true });
    expect(ratioOfIntervals([0, Infinity], [1, 2]).kind).toBe('none');
  });

  test('a Found throughput divides the same way (what the bench and CI use)', () => {
    const r = results({ mcrd: tp([[450_000, 0.5], [200_000, 0], [205_000, 0.1]]), socat: tp([[450_000, 0.9], [10_000, 0], [205_000, 0.8], [107_000, 0.5]]) });
    const found = ratioFound(throughputPps(r, 'mcrd'), throughputPps(r, 'socat'));
    expect(found).toMatchObject({ ok: true, bound: 'unknown', range: [200_000 / 107_000, 20] });
  });
});

function results(tests: Partial<Record<RelayName, ThroughputTest>>): Results {
  const base = buildResults(FIXTURES['chain.json']!);
  return { ...base, relays: Object.keys(tests) as RelayName[], tests: Object.entries(tests).map(([relay, t]) => ({ ...t!, relay: relay as RelayName })) };
}


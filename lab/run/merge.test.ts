import { describe, expect, test } from 'vitest';
import { makeTrial } from '../measure/testing.js';
import type { ResolvedTest } from '../scenario/resolve.js';
import { latencyBaseOf, mergePasses } from './merge.js';
import type { TestOutcome } from './session.js';

const tests: ResolvedTest[] = [
  { kind: 'fixed-rate', name: 'fixed-50k', durationS: 1, repetitions: 3, ratePps: 50_000 },
  { kind: 'throughput', name: 'throughput', durationS: 1, repetitions: 3, minPps: 10_000, maxPps: 400_000, lossTolerance: 0.001, resolutionPps: 5_000, maxSteps: 6 },
  { kind: 'latency', name: 'latency', durationS: 1, repetitions: 3, loadFraction: 0.5 },
];
const [fixed, tp, lat] = tests as [ResolvedTest, ResolvedTest & { kind: 'throughput' }, ResolvedTest];

function pass(throughput: number, loss: number): TestOutcome[] {
  return [
    { test: fixed, ratePps: 50_000, trial: makeTrial(50_000, loss) },
    { test: tp, search: { throughputPps: throughput, steps: [makeTrial(throughput, 0)], bracket: { passPps: throughput, failPps: throughput + 5_000, generatorLimited: false } } },
    { test: lat, ratePps: throughput / 2, trial: makeTrial(throughput / 2, 0) },
  ];
}

describe('mergePasses', () => {
  test('the passes of one relay become one record per test, repetitions in pass order', () => {
    const merged = mergePasses('mcrd', tests, [pass(200_000, 0), pass(180_000, 0.01), pass(220_000, 0)]);
    expect(merged.map((t) => t.name)).toEqual(['fixed-50k', 'throughput', 'latency']);
    const [f, t, l] = merged;
    expect(f).toMatchObject({ kind: 'fixed-rate', offeredPps: 50_000, summary: { lossRatio: { median: 0, max: 0.01, n: 3 } } });
    expect(t?.kind === 'throughput' && t.repetitions.map((r) => r.throughputPps)).toEqual([200_000, 180_000, 220_000]);
    expect(t).toMatchObject({ search: { resolutionPps: 5_000, maxSteps: 6, minAchievedRatio: 0.97 }, summary: { throughputPps: { median: 200_000, q1: 190_000, q3: 210_000 } } });
    // Each pass measured latency at half of its throughput so far; the record states the median rate.
    expect(l).toMatchObject({ kind: 'latency', offeredPps: 100_000, loadFraction: 0.5 });
  });

  test('a pass that failed midway keeps the tests it finished; a test never run has no record', () => {
    const merged = mergePasses('socat', tests, [pass(20_000, 0), pass(20_000, 0).slice(0, 1)]);
    expect(merged.map((t) => [t.name, t.repetitions.length])).toEqual([['fixed-50k', 2], ['throughput', 1], ['latency', 1]]);
    expect(mergePasses('kernel', tests, [])).toEqual([]);
  });
});

describe('latencyBaseOf', () => {
  test('the median throughput over the passes so far, or the search floor when nothing passed', () => {
    expect(latencyBaseOf(tests, [pass(100_000, 0), pass(300_000, 0)], undefined)).toBe(200_000);
    expect(latencyBaseOf(tests, [pass(0, 0)], 'throughput')).toBe(10_000);
    expect(latencyBaseOf(tests.slice(0, 1), [], undefined)).toBe(1);
  });
});

import { describe, expect, test } from 'vitest';
import type { TestResult } from '../results/types.js';
import { fixedRateTest, latencyTest, throughputTest } from './stats.js';
import { makeTrial } from './testing.js';
import { allPass, evaluateThresholds } from './thresholds.js';

const lat = (p50: number) => ({ p50, p90: p50, p99: p50 * 3, p999: p50 * 5, max: p50 * 9 });
// Each search passes at v and fails 5k above it, so its figure (lab/results/figures.ts) is v.
const tp = (relay: 'mcrd' | 'socat' | 'kernel', k: number[]) =>
  throughputTest('throughput', relay, 0.001, k.map((v) => ({ throughputPps: v, steps: [makeTrial(v, 0), makeTrial(v + 5_000, 0.5)] })));

const tests: TestResult[] = [
  tp('mcrd', [250_000, 260_000, 240_000]),
  tp('socat', [60_000, 62_000, 58_000]),
  tp('kernel', [300_000, 300_000, 300_000]),
  fixedRateTest('fixed-50k', 'mcrd', 50_000, [makeTrial(50_000, 0, { latency: lat(30_000), cpuNsPerPacket: 3_000 })]),
  fixedRateTest('fixed-50k', 'socat', 50_000, [makeTrial(50_000, 0.02, { latency: lat(60_000), cpuNsPerPacket: 15_000 })]),
  latencyTest('lat', 'mcrd', 50_000, undefined, [makeTrial(50_000, 0, { latency: lat(25_000) })]),
  latencyTest('lat', 'direct', 50_000, undefined, [makeTrial(50_000, 0, { latency: lat(10_000) })]),
  latencyTest('lat', 'socat', 50_000, undefined, [makeTrial(50_000, 1)]),
];

describe('evaluateThresholds', () => {
  test('compares the median of one relay metric with the limit, both op forms', () => {
    const c = evaluateThresholds([
      { relay: 'mcrd', test: 'fixed-50k', metric: 'lossRatio', op: '<=', value: 0.001 },
      { relay: 'socat', test: 'fixed-50k', metric: 'lossRatio', max: 0.001 },
      { relay: 'mcrd', test: 'throughput', metric: 'throughputPps', min: 200_000 },
    ], tests);
    expect(c.map((x) => [x.actual, x.pass])).toEqual([[0, true], [0.02, false], [250_000, true]]);
    expect(c[0]!.description).toBe('mcrd.fixed-50k.lossRatio <= 0.001');
    expect(c[2]!.op).toBe('>=');
    expect(allPass(c)).toBe(false);
  });

  test('a ratio between relays divides their medians', () => {
    const c = evaluateThresholds([
      { relay: 'mcrd', ratioTo: 'socat', test: 'throughput', metric: 'throughputPps', op: '>=', value: 4 },
      { relay: 'mcrd', ratioTo: 'kernel', test: 'throughput', metric: 'throughputPps', op: '>=', value: 0.85 },
      { relay: 'mcrd', ratioTo: 'socat', test: 'fixed-50k', metric: 'relayCpuNsPerPacket', max: 0.5 },
    ], tests);
    expect(c[0]!.actual).toBeCloseTo(250 / 60, 10);
    expect(c[0]!.pass).toBe(true);
    expect(c[0]!.description).toBe('mcrd/socat.throughput.throughputPps >= 4');
    expect(c[1]!.actual).toBeCloseTo(250 / 300, 10);
    expect(c[1]!.pass).toBe(false);
    expect(c[2]!.actual).toBeCloseTo(0.2, 10);
    expect(c[2]!.pass).toBe(true);
  });

  test('added latency is measured against the direct path', () => {
    const [p50, p99] = evaluateThresholds([
      { relay: 'mcrd', test: 'lat', metric: 'latencyAddedP50Ns', max: 20_000 },
      { relay: 'mcrd', test: 'lat', metric: 'latencyAddedP99Ns', max: 40_000 },
    ], tests);
    expect(p50!.actual).toBe(15_000);
    expect(p50!.pass).toBe(true);
    expect(p99!.actual).toBe(45_000);
    expect(p99!.pass).toBe(false);
  });

  test('missing data fails the check with a null actual and a reason, never passes by default', () => {
    const c = evaluateThresholds([
      { relay: 'kernel', test: 'fixed-50k', metric: 'lossRatio', max: 1 },
      { relay: 'socat', test: 'lat', metric: 'latencyP99Ns', max: 1e12 },
      { relay: 'mcrd', test: 'throughput', metric: 'lossRatio', max: 1 },
      { relay: 'mcrd', ratioTo: 'direct', test: 'throughput', metric: 'throughputPps', min: 0 },
      { relay: 'socat', test: 'fixed-50k', metric: 'latencyAddedP50Ns', max: 1e12 },
    ], tests);
    for (const x of c) {
      expect(x.pass).toBe(false);
      expect(x.actual).toBeNull();
    }
    expect(c[0]!.description).toMatch(/no kernel result for test fixed-50k/);
    expect(c[1]!.description).toMatch(/socat lat has no latencyP99Ns data/);
    expect(c[3]!.description).toMatch(/no direct result/);
    expect(c[4]!.description).toMatch(/needs a direct/);
  });

  test('a ratio over a relay that measured zero is unbounded: passes >= when the numerator is positive, fails <=', () => {
    const zero = [...tests, throughputTest('tp0', 'socat', 0, [{ throughputPps: 0, steps: [makeTrial(1000, 1)] }]),
      throughputTest('tp0', 'mcrd', 0, [{ throughputPps: 1000, steps: [makeTrial(1000, 0), makeTrial(1500, 0.5)] }])];
    const [ge, le] = evaluateThresholds([
      { relay: 'mcrd', ratioTo: 'socat', test: 'tp0', metric: 'throughputPps', min: 4 },
      { relay: 'mcrd', ratioTo: 'socat', test: 'tp0', metric: 'throughputPps', max: 4 },
    ], zero);
    expect([ge!.pass, ge!.actual]).toEqual([true, null]);
    expect(le!.pass).toBe(false);
    expect(ge!.description).toMatch(/socat measured 0/);
  });

  test('without a relay the threshold applies to every relay that ran the test', () => {
    const c = evaluateThresholds([{ test: 'throughput', metric: 'throughputPps', min: 100_000 }], tests);
    expect(c.map((x) => [x.relay, x.pass])).toEqual([['mcrd', true], ['socat', false], ['kernel', true]]);
  });

  test('a malformed threshold is refused, naming it', () => {
    expect(() => evaluateThresholds([{ test: 't', metric: 'lossRatio' }], tests)).toThrow(/t\.lossRatio: give exactly one of/);
    expect(() => evaluateThresholds([{ test: 't', metric: 'lossRatio', max: 1, min: 0 }], tests)).toThrow(/exactly one/);
    expect(() => evaluateThresholds([{ test: 't', metric: 'lossRatio', op: '<=' }], tests)).toThrow(/op and value go together/);
    expect(() => evaluateThresholds([{ test: 't', metric: 'bogus' as 'lossRatio', max: 1 }], tests)).toThrow(/unknown metric/);
  });

  test('a generator-limited throughput gives no threshold value, and says why', () => {
    const limited = throughputTest('tpg', 'mcrd', 0.001, [{ throughputPps: 180_000, steps: [makeTrial(400_000, 0, { achievedPps: 180_000 })] }]);
    const [c] = evaluateThresholds([{ relay: 'mcrd', test: 'tpg', metric: 'throughputPps', min: 100_000 }], [limited]);
    expect(c).toMatchObject({ actual: null, pass: false });
    expect(c!.description).toMatch(/generator-limited/);
  });
});


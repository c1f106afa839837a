import { describe, expect, test } from 'vitest';
import { fixedRateTest, latencyTest, percentile, summarize, throughputTest, trialLatency } from './stats.js';
import { makeTrial } from './testing.js';

const lat = (p50: number) => ({ p50, p90: p50 * 2, p99: p50 * 4, p999: p50 * 8, max: p50 * 10 });

describe('summarize', () => {
  test('an odd count has the middle value as median; quartiles interpolate between ranks', () => {
    expect(summarize([5, 1, 9])).toEqual({ median: 5, min: 1, max: 9, n: 3, q1: 3, q3: 7 });
  });
  test('an even count has the mean of the middle two as median', () => {
    expect(summarize([4, 1, 3, 10])).toEqual({ median: 3.5, min: 1, max: 10, n: 4, q1: 2.5, q3: 5.5 });
  });
  test('a single value is its own median, min and max', () => {
    expect(summarize([42])).toEqual({ median: 42, min: 42, max: 42, n: 1, q1: 42, q3: 42 });
  });
  test('an empty list is an error, not a zero', () => {
    expect(() => summarize([])).toThrow(/no values/);
  });
  test('a non-finite value is an error naming its index', () => {
    expect(() => summarize([1, Number.NaN])).toThrow(/value \[1\] is NaN/);
  });
  test('the input is not reordered', () => {
    const v = [3, 1, 2];
    summarize(v);
    expect(v).toEqual([3, 1, 2]);
  });
});

describe('percentile', () => {
  test('interpolates linearly between ranks and agrees with the median at 50', () => {
    const v = [10, 20, 30, 40];
    expect(percentile(v, 0)).toBe(10);
    expect(percentile(v, 100)).toBe(40);
    expect(percentile(v, 50)).toBe(summarize(v).median);
    expect(percentile(v, 90)).toBeCloseTo(37, 10);
  });
  test('refuses p outside 0..100', () => {
    expect(() => percentile([1], 101)).toThrow(/0\.\.100/);
  });
});

describe('test builders', () => {
  test('fixedRateTest summarizes loss, delivered rate, latency and CPU over repetitions', () => {
    const trials = [
      makeTrial(50_000, 0, { latency: lat(20_000), cpuNsPerPacket: 3_000 }),
      makeTrial(50_000, 0.002, { latency: lat(30_000), cpuNsPerPacket: 3_500 }),
      makeTrial(50_000, 0.001, { latency: lat(25_000), cpuNsPerPacket: 2_900 }),
    ];
    const t = fixedRateTest('fixed-50k', 'mcrd', 50_000, trials);
    expect(t.kind).toBe('fixed-rate');
    expect(t.repetitions).toHaveLength(3);
    expect(t.summary.lossRatio).toMatchObject({ median: 0.001, min: 0, max: 0.002, n: 3 });
    expect(t.summary.deliveredPps.median).toBe(49_950);
    expect(t.summary.latencyP50Ns).toMatchObject({ median: 25_000, min: 20_000, max: 30_000, n: 3 });
    expect(t.summary.latencyP99Ns?.median).toBe(100_000);
    expect(t.summary.relayCpuNsPerPacket).toMatchObject({ median: 3_000, min: 2_900, max: 3_500, n: 3 });
  });

  test('fixedRateTest summarizes relay-core CPU per packet over the repetitions that have it', () => {
    const trials = [makeTrial(50_000, 0), makeTrial(50_000, 0), makeTrial(50_000, 0)];
    trials[0]!.relayCoreNsPerPacket = 4_000;
    trials[2]!.relayCoreNsPerPacket = 6_000;
    expect(fixedRateTest('f', 'kernel', 50_000, trials).summary.relayCoreNsPerPacket).toMatchObject({ median: 5_000, min: 4_000, max: 6_000, n: 2 });
    expect(fixedRateTest('f', 'kernel', 50_000, [makeTrial(50_000, 0)]).summary).not.toHaveProperty('relayCoreNsPerPacket');
  });

  test('fixedRateTest leaves latency and CPU out when no repetition has them', () => {
    const t = fixedRateTest('f', 'direct', 1000, [makeTrial(1000, 1)]);
    expect(t.summary.latencyP50Ns).toBeUndefined();
    expect(t.summary.relayCpuNsPerPacket).toBeUndefined();
  });

  test('the worst output sets a trial latency', () => {
    const t = makeTrial(1000, 0, { outputs: 2, latency: lat(10) });
    t.outputs[1]!.latencyNs = lat(50);
    expect(trialLatency(t)).toEqual(lat(50));
  });

  test('throughputTest summarizes the throughput of each repetition', () => {
    const reps = [100, 120, 90].map((k) => ({ throughputPps: k * 1000, steps: [makeTrial(k * 1000, 0)] }));
    const t = throughputTest('throughput', 'socat', 0.001, reps);
    expect(t.summary.throughputPps).toMatchObject({ median: 100_000, min: 90_000, max: 120_000, n: 3 });
    expect(t.lossTolerance).toBe(0.001);
  });

  test('latencyTest summarizes each percentile and keeps the load fraction', () => {
    const t = latencyTest('lat', 'mcrd', 150_000, 0.5, [makeTrial(150_000, 0, { latency: lat(10) }), makeTrial(150_000, 0, { latency: lat(30) })]);
    expect(t.loadFraction).toBe(0.5);
    expect(t.summary.p50Ns).toMatchObject({ median: 20, min: 10, max: 30, n: 2 });
    expect(t.summary.maxNs).toMatchObject({ median: 200, min: 100, max: 300, n: 2 });
  });

  test('latencyTest with nothing delivered has n = 0 summaries, not invented latencies', () => {
    const t = latencyTest('lat', 'socat', 1000, undefined, [makeTrial(1000, 1)]);
    expect(t.summary.p50Ns.n).toBe(0);
    expect(t).not.toHaveProperty('loadFraction');
  });

  test('builders refuse an empty repetition list, naming the test and relay', () => {
    expect(() => fixedRateTest('fixed-1k', 'mcrd', 1000, [])).toThrow(/fixed-rate test "fixed-1k" for mcrd/);
    expect(() => throughputTest('tp', 'mcrd', 0, [])).toThrow(/no repetitions/);
  });
});

// The micro-benchmark harness: per-call figures, skipped suites, failing tasks, optional imports.
import { describe, expect, test } from 'vitest';
import { MIN_NATIVE_CALLS, runNative, runSuite, type NativeResult, type SuiteDef } from './suite.js';

const opts = { timeMs: 20, warmupMs: 5 };

describe('runSuite', () => {
  test('reports per-call figures for each task, in task order', async () => {
    let calls = 0;
    const def: SuiteDef = {
      name: 'js', prepare: async () => [
        { name: 'count', batch: 50, fn: () => { calls += 1; } },
        { name: 'sort', batch: 1, fn: () => { [3, 1, 2].sort(); } },
      ],
    };
    const out = await runSuite(def, opts);
    expect(out.skipped).toBeUndefined();
    expect(out.results.map((r) => r.task)).toEqual(['count', 'sort']);
    const count = out.results[0]!;
    expect(calls % 50).toBe(0);
    expect(count.timedIn === undefined && count.samples).toBeGreaterThan(0);
    // No timing is asserted (the machine is shared); only that every figure was produced.
    for (const r of out.results) {
      if (r.timedIn === 'native') throw new Error('a tinybench task came back as native');
      for (const v of [r.opsPerSec, r.meanNs, r.p99Ns]) expect(Number.isFinite(v) && v > 0).toBe(true);
    }
  });

  test('a suite whose code is missing is skipped with its reason', async () => {
    const out = await runSuite({ name: 'later', prepare: async () => 'relay/x.js not found' }, opts);
    expect(out).toEqual({ suite: 'later', results: [], skipped: 'relay/x.js not found' });
  });

  test('a task that throws fails the suite naming suite and task', async () => {
    const def: SuiteDef = { name: 'bad', prepare: async () => [{ name: 'boom', batch: 1, fn: () => { throw new Error('kaput'); } }] };
    await expect(runSuite(def, opts)).rejects.toThrow(/kaput/);
  });
});

describe('tasks timed in native code', () => {
  test('the figure is the median call after one uncounted warm-up call; results keep the listed order', async () => {
    // Calls return 100, 1, 5, 3, 4, 2, 6, … ns: the warm-up (100) must not count, the median is robust.
    const returns = [100, 1, 5, 3, 4, 2, 6];
    let i = 0;
    const def: SuiteDef = {
      name: 'mixed', prepare: async () => [
        { name: 'js first', batch: 10, fn: () => { [2, 1].sort(); } },
        { name: 'native', opsPerCall: 1000, unit: 'lookups', timeNative: () => returns[i++] ?? 6 },
      ],
    };
    const out = await runSuite(def, { timeMs: 0, warmupMs: 1 });
    expect(out.results.map((r) => r.task)).toEqual(['js first', 'native']);
    const n = out.results[1] as NativeResult;
    // timeMs 0: exactly the minimum number of calls, 1 5 3 4 2 → median 3.
    expect(n).toEqual({
      suite: 'mixed', task: 'native', timedIn: 'native', medianNs: 3, minNs: 1, maxNs: 5,
      calls: MIN_NATIVE_CALLS, opsPerCall: 1000, unit: 'lookups', opsPerSec: 1e9 / 3,
    });
    expect(out.results[0]!.timedIn).toBeUndefined();
  });

  test('calls continue until the measuring time is used, up to the cap', () => {
    const r = runNative('s', { name: 't', opsPerCall: 1, unit: 'ops', timeNative: () => 7 }, 20);
    expect(r.calls).toBeGreaterThanOrEqual(MIN_NATIVE_CALLS);
    expect(r.calls).toBeLessThanOrEqual(51);
    expect(r.medianNs).toBe(7);
  });

  test.each([[0], [Number.NaN], [-1]])('a native timing of %d ns fails the task, naming it', (ns) => {
    expect(() => runNative('rule lookup', { name: 'broken', opsPerCall: 1, unit: 'ops', timeNative: () => ns }, 1))
      .toThrow(`rule lookup / broken: native timing returned ${ns} ns per operation`);
  });
});

// The micro-benchmark harness: per-call figures, skipped suites, failing tasks, optional imports.
import { describe, expect, test } from 'vitest';
import { importFromRoot, runSuite, type SuiteDef } from './suite.js';

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
    expect(count.samples).toBeGreaterThan(0);
    // No timing is asserted (the machine is shared); only that every figure was produced.
    for (const r of out.results) {
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

describe('importFromRoot', () => {
  test('a module that is not there gives a reason, not an exception', async () => {
    expect(await importFromRoot('relay/no-such-module.js')).toBe('relay/no-such-module.js not found (not built yet?)');
  });
});

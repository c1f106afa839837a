/**
 * WorkerPool supervision with fixture workers (test/fixtures/workers/) that speak the worker IPC
 * protocol without the native engine: restart with backoff, give-up on a crash loop, all-or-nothing
 * apply with rollback. The real worker with the real engine runs in relay/e2e.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, expect, test } from 'vitest';
import type { EngineRule } from '../engine/types.js';
import { silentLogger } from './log.js';
import { WorkerPool } from './workers.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../test/fixtures/workers/${name}`, import.meta.url));
const pools: WorkerPool[] = [];
afterEach(async () => { await Promise.all(pools.splice(0).map((p) => p.stop())); });

const rule = (id: string, slot: number): EngineRule => ({
  id, slot, input: { interface: 'eth0', group: '239.1.1.1', port: 5000 + slot }, outputs: [{ slot, interface: 'eth1', group: '239.2.2.2', port: 6000, ttl: 16 }],
});

test('a worker that keeps crashing is restarted with backoff, then reported failed instead of looping', async () => {
  const pool = new WorkerPool({ count: 1, engine: { backend: 'mmsg' }, log: silentLogger(), entry: fixture('crashes-on-init.mjs'), baseBackoffMs: 20, maxFastCrashes: 3 });
  pools.push(pool);
  await expect(pool.start()).rejects.toThrow('no data-plane worker could start');
  const deadline = Date.now() + 10_000;
  while (pool.workers()[0]!.state !== 'failed' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(pool.workers()[0]).toMatchObject({ state: 'failed', restarts: 3, lastExit: 'exit 3', pid: null });
  await expect(pool.apply([])).rejects.toMatchObject({ code: 'EWORKER' });
});

test('a table one worker refuses is rolled back on the others and the engine error is returned', async () => {
  const pool = new WorkerPool({ count: 2, engine: { backend: 'mmsg' }, log: silentLogger(), entry: fixture('second-refuses.mjs') });
  pools.push(pool);
  await pool.start();
  expect(pool.limits).toEqual({ maxRuleSlots: 128, maxOutputSlots: 256 });
  await pool.apply([rule('good', 0)]);
  const err = await pool.apply([rule('good', 0), rule('bad', 1)]).catch((e: unknown) => e);
  expect(err).toMatchObject({ code: 'EENGINE', message: 'the packet engine refused the rule table: setsockopt(IP_MULTICAST_IF, eth9): ENODEV (is the interface up?)' });
  // Both workers run the previous table again: only slot 0 is counted, once per worker.
  const snaps = await pool.counters();
  expect(snaps.map((c) => [...c.rules.keys()])).toEqual([[0], [0]]);
});

test('a worker killed from outside is restarted at once with the current table, and its counts are kept', async () => {
  const pool = new WorkerPool({ count: 1, engine: { backend: 'mmsg' }, log: silentLogger(), entry: fixture('second-refuses.mjs') });
  pools.push(pool);
  await pool.start();
  await pool.apply([rule('a', 3)]);
  await pool.counters();
  const pid = pool.workers()[0]!.pid!;
  process.kill(pid, 'SIGKILL');
  const deadline = Date.now() + 5000;
  while (!(pool.workers()[0]!.state === 'running' && pool.workers()[0]!.pid !== pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  expect(pool.workers()[0]).toMatchObject({ state: 'running', restarts: 1, lastExit: 'signal SIGKILL' });
  const snaps = await pool.counters();
  // The new instance runs rule slot 3; the dead one's last counts are carried as a retired snapshot.
  expect(snaps).toHaveLength(2);
  expect(snaps.every((c) => c.rules.get(3)?.packets === 1n)).toBe(true);
});

test('changes reach running workers as deltas, a restarted worker gets the whole table, and both run the same rules', async () => {
  const pool = new WorkerPool({ count: 2, engine: { backend: 'mmsg' }, log: silentLogger(), entry: fixture('second-refuses.mjs') });
  pools.push(pool);
  await pool.start();
  const table = Array.from({ length: 50 }, (_, i) => rule(`r${i}`, i));
  await pool.apply(table);
  await pool.apply([...table.slice(1), rule('r50', 50)]);  // one out, one in
  await pool.apply([...table.slice(1).map((r) => r.id === 'r7' ? { ...r, slot: 77 } : r), rule('r50', 50)]);  // one changed
  let snaps = await pool.counters();
  const want = [...Array.from({ length: 49 }, (_, i) => i + 1).map((i) => (i === 7 ? 77 : i)), 50].sort((a, b) => a - b);
  for (const c of snaps) {
    expect([...c.rules.keys()].sort((a, b) => a - b)).toEqual(want);
    expect(c.global).toMatchObject({ rxFrames: 1n, rxBytes: 3n });  // init, then three deltas
  }
  // Worker 1 refuses a change that worker 0 took: worker 0 is put back with the whole old table and
  // gets the next change as a delta again; worker 1's next change comes whole (a refusal may be a
  // timeout, after which what it runs is not known).
  await expect(pool.apply([rule('bad', 99)])).rejects.toMatchObject({ code: 'EENGINE' });
  await pool.apply([rule('only', 5)]);
  snaps = await pool.counters();
  expect(snaps.map((c) => [...c.rules.keys()])).toEqual([[5], [5]]);
  expect(snaps.map((c) => [c.global.rxFrames, c.global.rxBytes])).toEqual([[2n, 5n], [2n, 3n]]);
});

/**
 * WorkerPool supervision with fixture workers (test/fixtures/workers/) that speak the worker IPC
 * protocol without the native engine: restart with backoff, give-up on a crash loop, all-or-nothing
 * apply with rollback. The real worker with the real engine runs in relay/e2e.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, expect, test } from 'vitest';
import type { EngineRule } from '../engine/types.js';
import { readFileSync, readdirSync } from 'node:fs';
import { createLogger, silentLogger } from './log.js';
import { sumCounters } from '../stats/counters.js';
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

/** A zombie with no thread left running: every fd, its end of the IPC channel too, is closed. */
function dead(pid: number): boolean {
  const fds = (() => { try { return readdirSync(`/proc/${pid}/fd`).length; } catch { return 0; } })();
  return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8')) && readdirSync(`/proc/${pid}/task`).length === 1 && fds === 0;
}

test('a rule change sent to a worker that just died is applied on its next instance, and logs no error', async () => {
  const lines: string[] = [];
  const log = createLogger({ level: 'debug', json: false, write: (l) => lines.push(l) });
  const pool = new WorkerPool({ count: 1, engine: { backend: 'mmsg' }, log, entry: fixture('second-refuses.mjs') });
  pools.push(pool);
  await pool.start();
  const pid = pool.workers()[0]!.pid!;
  process.kill(pid, 'SIGKILL');
  // Block the event loop until the worker is a zombie: its end of the channel is closed, and the
  // pool has not seen the exit yet, so the next request writes into a dead pipe.
  const deadline = Date.now() + 5000;
  while (!dead(pid) && Date.now() < deadline);
  await pool.apply([rule('a', 0)]);
  expect(pool.workers()[0]).toMatchObject({ state: 'running', restarts: 1, lastExit: 'signal SIGKILL' });
  expect(pool.workers()[0]!.pid).not.toBe(pid);
  // The new instance runs the new table (slot 0), not only the one it was started with.
  expect((await pool.counters()).map((c) => [...c.rules.keys()])).toEqual([[0]]);
  expect(lines.filter((l) => /^\S+ error /.test(l)), lines.join('\n')).toEqual([]);
  expect(lines.filter((l) => l.includes('exiting worker'))).toEqual([expect.stringMatching(/ debug .*error=("write EPIPE"|.*channel closed)/i)]);
  expect(lines.filter((l) => l.includes('worker exited; restarting'))).toEqual([expect.stringContaining('why="signal SIGKILL"')]);
});

test('a table that kills the worker is refused after one retry on its next instance, which keeps the previous table', async () => {
  const pool = new WorkerPool({ count: 1, engine: { backend: 'mmsg' }, log: silentLogger(), entry: fixture('second-refuses.mjs') });
  pools.push(pool);
  await pool.start();
  await pool.apply([rule('a', 1)]);
  await expect(pool.apply([rule('a', 1), rule('crash', 2)])).rejects.toMatchObject({ code: 'EWORKER', message: expect.stringContaining('worker 0 exited (exit 9) before replying') });
  await expect.poll(() => pool.workers()[0]!.state, { timeout: 5000 }).toBe('running');
  expect(pool.workers()[0]!.restarts).toBe(2);
  expect((await pool.counters()).filter((c) => c.rules.size).map((c) => [...c.rules.keys()])).toContainEqual([1]);
});

test('a worker between two instances (restarting) takes the change once it is back', async () => {
  const pool = new WorkerPool({ count: 1, engine: { backend: 'mmsg' }, log: silentLogger(), entry: fixture('second-refuses.mjs'), fastCrashMs: 60_000, baseBackoffMs: 300 });
  pools.push(pool);
  await pool.start();
  // Two quick crashes: the second restart waits its backoff (300 ms), so the worker sits in `restarting`.
  for (let k = 0; k < 2; k++) {
    const pid = pool.workers()[0]!.pid!;
    process.kill(pid, 'SIGKILL');
    await expect.poll(() => pool.workers()[0]!.pid !== pid && pool.workers()[0]!.state, { timeout: 5000 }).toMatch(k === 0 ? /running/ : /restarting/);
  }
  await pool.apply([rule('b', 4)]);
  expect(pool.workers()[0]).toMatchObject({ state: 'running', restarts: 2 });
  expect((await pool.counters())[0]!.rules.has(4)).toBe(true);
});

test('counts a dead instance left for a rule that is gone are dropped, so a slot reused later starts from zero', async () => {
  const pool = new WorkerPool({ count: 1, engine: { backend: 'mmsg' }, log: silentLogger(), entry: fixture('second-refuses.mjs') });
  pools.push(pool);
  await pool.start();
  await pool.apply([rule('a', 3), rule('b', 4)]);
  await pool.counters();
  const pid = pool.workers()[0]!.pid!;
  process.kill(pid, 'SIGKILL');
  await expect.poll(() => pool.workers()[0]!.pid !== pid && pool.workers()[0]!.state, { timeout: 5000 }).toBe('running');
  await pool.apply([rule('b', 4)]);
  const total = sumCounters(await pool.counters());
  // b: the dead instance's 1 and the new one's 1; a's slot 3 is gone; every frame stays in the global count.
  expect(total.rules.get(4)?.packets).toBe(2n);
  expect(total.rules.has(3)).toBe(false);
  expect(total.global.rxFrames).toBe(2n);
});

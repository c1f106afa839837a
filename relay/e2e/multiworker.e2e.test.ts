/**
 * Two data-plane workers share the ingress through PACKET_FANOUT: every datagram is relayed once
 * (no duplicates, none lost), and `stats` sums both workers' counters.
 *
 *   ┌ mcrR-mw-g ┐ 10.1.0.0/24 ┌ mcrR-mw-r ──────────────────┐ 10.2.0.0/24 ┌ mcrR-mw-s ┐
 *   │ mcr-gen g0├─────────────┤ r0  mcrd --num-workers 2  r1 ├─────────────┤ s0  sink  │
 *   └───────────┘             └─────────────────────────────┘             └───────────┘
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { StatsView, WorkerView } from '../control/api.js';
import { runGenerator, startSink } from '../../lab/traffic/traffic.js';
import { recordDelivery } from '../../test/support/delivery.js';
import { type McrdHandle, startMcrd } from '../../test/support/mcrd.js';
import { Lab, canNetns, skipReason } from '../../test/support/netns.js';

const multiCpu = availableParallelism() > 1;
const cpus = [1, 0];

if (!canNetns) console.warn(`skipping relay multi-worker e2e: ${skipReason}`);

describe.skipIf(!canNetns)('mcrd with two workers', () => {
  let lab: Lab;
  let g: string; let r: string; let s: string;
  let dir: string;
  let mcrd: McrdHandle;

  beforeAll(async () => {
    lab = await Lab.create('mw');
    ({ g, r, s } = await lab.chain());
    dir = await mkdtemp(join(tmpdir(), 'mcrR-mw-'));
    // --cpus in reverse order, so the test can tell the pinning from the default (worker i on CPU i).
    mcrd = await startMcrd({ netns: r, dir, args: ['--num-workers', '2', ...(multiCpu ? ['--cpus', cpus.join(',')] : [])] });
  });

  afterAll(async () => {
    await mcrd?.stop();
    await lab?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('sixteen streams through two workers arrive once each, both workers share the load, and stats add up', async () => {
    const ws = (JSON.parse((await mcrd.ctl(['--json', 'workers'])).stdout) as { workers: WorkerView[] }).workers;
    expect(ws.map((w) => w.state)).toEqual(['running', 'running']);
    // 16 flows: PACKET_FANOUT_HASH puts all of them on one worker with probability 2^-15.
    const ports = Array.from({ length: 16 }, (_, i) => 5000 + i);
    for (const p of ports) {
      const res = await mcrd.ctl(['add', '--input-interface', 'r0', '--input-group', '239.1.1.1', '--input-port', String(p), '--outputs', `239.2.2.1:${p + 1000}:r1`]);
      expect(res).toMatchObject({ code: 0, stderr: '' });
    }
    const sink = await startSink({ netns: s, listen: ports.map((p) => `239.2.2.1:${p + 1000}`), interface: 's0', idleTimeoutS: 1.5, durationS: 30 });
    const gen = await runGenerator({ netns: g, dst: ports.map((p) => `239.1.1.1:${p}`), interface: 'g0', ratePps: 16_000, count: 32_000, payloadBytes: 1000 });
    const rx = await sink.done;
    const received = rx.listens.reduce((n, l) => n + l.received, 0);
    recordDelivery('2 workers (PACKET_FANOUT), 16 streams, 16k pps x 2 s total', received, gen.sent, {
      lost: rx.listens.reduce((n, l) => n + l.lost, 0), duplicates: rx.listens.reduce((n, l) => n + l.duplicates, 0),
    });
    // PACKET_FANOUT_HASH keeps a flow on one worker, so nothing within a stream may be reordered.
    for (const l of rx.listens) expect(l).toMatchObject({ received: 2_000, lost: 0, duplicates: 0, reordered: 0, payloadErrors: 0 });
    const st = JSON.parse((await mcrd.ctl(['--json', 'stats'])).stdout) as StatsView;
    expect(st.rules.reduce((n, x) => n + x.packets, 0)).toBe(gen.sent);
    expect(st.global.rxFrames).toBeGreaterThanOrEqual(gen.sent);
    // The stats call refreshed each worker's share: both took part, and the shares add up.
    const shares = (JSON.parse((await mcrd.ctl(['--json', 'workers'])).stdout) as { workers: WorkerView[] }).workers.map((w) => w.rxFrames ?? 0);
    console.log(`[workers] rx frames per worker: ${shares.join(', ')}`);
    expect(shares.every((n) => n > 0)).toBe(true);
    expect(shares[0]! + shares[1]!).toBe(st.global.rxFrames);
  });

  test.skipIf(!multiCpu)('--cpus pins worker i\'s packet thread to the i-th CPU listed; its JavaScript threads stay unpinned', async () => {
    const ws = (JSON.parse((await mcrd.ctl(['--json', 'workers'])).stdout) as { workers: WorkerView[] }).workers;
    const all = `0-${availableParallelism() - 1}`;
    ws.forEach((w, i) => {
      const allowed = readdirSync(`/proc/${w.pid}/task`).map((t) =>
        /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(`/proc/${w.pid}/task/${t}/status`, 'utf8'))?.[1]);
      // Exactly one thread (the engine's) is pinned, to its CPU; every other thread may run anywhere.
      expect(allowed.filter((a) => a === String(cpus[i]) && a !== all)).toHaveLength(1);
      expect(allowed.filter((a) => a !== all && a !== String(cpus[i]))).toEqual([]);
    });
  });
});


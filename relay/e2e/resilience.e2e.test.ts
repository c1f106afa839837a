/**
 * The supervisor keeps forwarding through trouble: a SIGHUP reload that leaves a stream's rule
 * unchanged does not disturb it, and a worker killed with SIGKILL is restarted with its rules.
 *
 *   ┌ mcrR-res-g ┐ 10.1.0.0/24 ┌ mcrR-res-r ─────────┐ 10.2.0.0/24 ┌ mcrR-res-s ┐
 *   │ mcr-gen g0 ├─────────────┤ r0  mcrd --config r1 ├─────────────┤ s0  sink   │
 *   └────────────┘             └─────────────────────┘             └────────────┘
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { WorkerView } from '../control/api.js';
import { runGenerator, startSink } from '../../lab/traffic/traffic.js';
import { recordDelivery } from '../../test/support/delivery.js';
import { type McrdHandle, startMcrd } from '../../test/support/mcrd.js';
import { Lab, canNetns, skipReason, waitFor } from '../../test/support/netns.js';

if (!canNetns) console.warn(`skipping relay resilience e2e: ${skipReason}`);

const ruleA = `{ name: "a", input: { interface: "r0", group: "239.1.1.1", port: 5000 }, outputs: [{ interface: "r1", group: "239.2.2.1", port: 6000 }] }`;
const ruleB = `{ name: "b", input: { interface: "r0", group: "239.1.1.2", port: 5002 }, outputs: [{ interface: "r1", group: "239.2.2.2", port: 6002 }] }`;

describe.skipIf(!canNetns)('mcrd resilience', () => {
  let lab: Lab;
  let g: string; let r: string; let s: string;
  let dir: string; let config: string;
  let mcrd: McrdHandle;

  beforeAll(async () => {
    lab = await Lab.create('res');
    ({ g, r, s } = await lab.chain());
    dir = await mkdtemp(join(tmpdir(), 'mcrR-res-'));
    config = join(dir, 'mcrd.json5');
    await writeFile(config, `// test config\n{ rules: [ ${ruleA} ] }\n`);
    mcrd = await startMcrd({ netns: r, dir, args: ['--config', config] });
  });

  afterAll(async () => {
    await mcrd?.stop();
    await lab?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('SIGHUP with a changed config applies the change; the unchanged rule\'s stream loses nothing', async () => {
    const sink = await startSink({ netns: s, listen: ['239.2.2.1:6000'], interface: 's0', idleTimeoutS: 1.5, durationS: 30 });
    const genP = runGenerator({ netns: g, dst: ['239.1.1.1:5000'], interface: 'g0', ratePps: 8_000, count: 24_000, payloadBytes: 1316 });
    await new Promise((res) => setTimeout(res, 700));
    await writeFile(config, `{ rules: [ ${ruleA}, ${ruleB} ] }\n`);
    process.kill(mcrd.pid, 'SIGHUP');
    await waitFor(async () => (await mcrd.ctl(['list'])).stdout.includes('239.1.1.2:5002'), 'rule b after SIGHUP');
    await new Promise((res) => setTimeout(res, 500));
    await writeFile(config, `{ rules: [ ${ruleA} ] }\n`);
    const reload = await mcrd.ctl(['reload']);
    expect(reload).toMatchObject({ code: 0, stdout: 'reloaded: 0 added, 1 removed, 0 changed, 1 unchanged\n' });
    const gen = await genP;
    const l = (await sink.done).listens[0]!;
    recordDelivery('unchanged stream across SIGHUP + mcrctl reload, 8k pps x 3 s', l.received, gen.sent, { lost: l.lost });
    expect(l).toMatchObject({ received: gen.sent, lost: 0, duplicates: 0, payloadErrors: 0 });
    expect(mcrd.log()).toMatch(/config reloaded added=1 removed=0 changed=0 unchanged=1/);
  });

  test('a broken config on reload is refused with file and line, and the running rules stay', async () => {
    await writeFile(config, `{\n  rules: [\n    { input: { interface: "r0", group: "239.1.1.9", port: 0 }, outputs: [] },\n  ],\n}\n`);
    const res = await mcrd.ctl(['reload']);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(`mcrctl: ${config}:3 rules[0].input.port: expected integer 1-65535, got 0 (number) (and 1 more error)\n`);
    expect((await mcrd.ctl(['list'])).stdout).toMatch(/^a\s+239\.1\.1\.1:5000 r0/m);
    await writeFile(config, `{ rules: [ ${ruleA} ] }\n`);
  });

  test('a worker killed with SIGKILL is restarted with its rules and forwarding resumes', async () => {
    const before = (JSON.parse((await mcrd.ctl(['--json', 'workers'])).stdout) as { workers: WorkerView[] }).workers[0]!;
    expect(before).toMatchObject({ state: 'running', restarts: 0 });
    const sink = await startSink({ netns: s, listen: ['239.2.2.1:6000'], interface: 's0', idleTimeoutS: 3, durationS: 30 });
    const genP = runGenerator({ netns: g, dst: ['239.1.1.1:5000'], interface: 'g0', ratePps: 5_000, count: 20_000, payloadBytes: 1316 });
    await new Promise((res) => setTimeout(res, 1000));
    process.kill(before.pid!, 'SIGKILL');
    const after = await waitFor(async () => {
      const w = (JSON.parse((await mcrd.ctl(['--json', 'workers'])).stdout) as { workers: WorkerView[] }).workers[0]!;
      return w.state === 'running' && w.pid !== before.pid ? w : undefined;
    }, 'worker restarted', 10_000);
    const gen = await genP;
    const l = (await sink.done).listens[0]!;
    recordDelivery('worker SIGKILL mid-stream, 5k pps x 4 s', l.received, gen.sent, { lost: l.lost, lostMs: Math.round((l.lost / 5000) * 1000) });
    expect(after).toMatchObject({ restarts: 1, lastExit: 'signal SIGKILL' });
    // Forwarding resumed: the end of the stream arrived, and the gap is bounded (well under 2 s of 4).
    expect(l.lastSeq).toBe(gen.sent - 1);
    expect(l.lost).toBeGreaterThan(0);
    expect(l.lost).toBeLessThan(10_000);
    expect(l.duplicates).toBe(0);
  });

  test('a supervisor killed with SIGKILL takes its workers down; restarted, it has the same rules and relays again', async () => {
    await mcrd.ctl(['add', '--rule-id', 'rt', '--input-interface', 'r0', '--input-group', '239.1.1.3', '--input-port', '5003', '--outputs', '239.2.2.3:6003:r1']);
    const rulesBefore = JSON.parse((await mcrd.ctl(['--json', 'list'])).stdout) as { rules: unknown[] };
    const worker = (JSON.parse((await mcrd.ctl(['--json', 'workers'])).stdout) as { workers: WorkerView[] }).workers[0]!;
    process.kill(mcrd.pid, 'SIGKILL');
    await mcrd.exited;
    // The worker notices its IPC channel closing and exits by itself.
    await waitFor(() => { try { process.kill(worker.pid!, 0); return false; } catch { return true; } }, `worker ${worker.pid} gone`, 5000);
    mcrd = await startMcrd({ netns: r, dir, args: ['--config', config] });
    expect((JSON.parse((await mcrd.ctl(['--json', 'list'])).stdout) as { rules: unknown[] }).rules).toEqual(rulesBefore.rules);
    const sink = await startSink({ netns: s, listen: ['239.2.2.3:6003'], interface: 's0', idleTimeoutS: 1.5, durationS: 20 });
    const gen = await runGenerator({ netns: g, dst: ['239.1.1.3:5003'], interface: 'g0', ratePps: 5_000, count: 5_000, payloadBytes: 1000 });
    const l = (await sink.done).listens[0]!;
    recordDelivery('after supervisor SIGKILL + restart, 5k pps x 1 s', l.received, gen.sent, { lost: l.lost });
    expect(l).toMatchObject({ received: gen.sent, lost: 0 });
  });
});

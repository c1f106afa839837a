/**
 * Interfaces come and go: an output interface deleted under a rule makes that rule wait (it blocks
 * no other change), and when the interface is created again the rule resumes by itself, with fresh
 * sockets on the new interface.
 *
 *   ┌ mcrR-if-g ┐ 10.1.0.0/24 ┌──── mcrR-if-r ────┐ 10.2.0.0/24 ┌── mcrR-if-s ──┐
 *   │ mcr-gen g0├─────────────┤ r0   mcrd      r1 ├──(deleted,──┤ s0  sink X    │
 *   └───────────┘             │                   │  re-created)│               │
 *                             │                r2 ├─────────────┤ s1  sink Y    │
 *                             └───────────────────┘ 10.3.0.0/24 └───────────────┘
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RuleView } from '../control/api.js';
import { runGenerator, startSink } from '../../lab/traffic/traffic.js';
import { recordDelivery } from '../../test/support/delivery.js';
import { type McrdHandle, startMcrd } from '../../test/support/mcrd.js';
import { Lab, canNetns, skipReason, waitFor } from '../../test/support/netns.js';

if (!canNetns) console.warn(`skipping relay interfaces e2e: ${skipReason}`);

describe.skipIf(!canNetns)('interfaces that come and go', () => {
  let lab: Lab;
  let g: string; let r: string; let s: string;
  let dir: string;
  let mcrd: McrdHandle;

  beforeAll(async () => {
    lab = await Lab.create('if');
    g = await lab.ns('g'); r = await lab.ns('r'); s = await lab.ns('s');
    await lab.veth(g, 'g0', '10.1.0.1/24', r, 'r0', '10.1.0.2/24');
    await lab.veth(r, 'r1', '10.2.0.1/24', s, 's0', '10.2.0.2/24');
    await lab.veth(r, 'r2', '10.3.0.1/24', s, 's1', '10.3.0.2/24');
    dir = await mkdtemp(join(tmpdir(), 'mcrR-if-'));
    mcrd = await startMcrd({ netns: r, dir });
  });

  afterAll(async () => {
    await mcrd?.stop();
    await lab?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const rules = async () => (JSON.parse((await mcrd.ctl(['--json', 'list'])).stdout) as { rules: RuleView[] }).rules;

  test('a deleted output interface parks its rule; re-created, the rule resumes without operator action', async () => {
    expect((await mcrd.ctl(['add', '--rule-id', 'x', '--input-interface', 'r0', '--input-group', '239.1.1.1', '--input-port', '5000', '--outputs', '239.2.2.1:6000:r1'])).code).toBe(0);
    await lab.exec(r, ['ip', 'link', 'del', 'r1']);
    await waitFor(async () => (await rules()).find((x) => x.id === 'x')?.state === 'waiting', 'rule x waiting after r1 was deleted');
    expect((await rules()).find((x) => x.id === 'x')).toMatchObject({ waitingFor: 'r1' });
    expect((await mcrd.ctl(['list'])).stdout).toMatch(/^x\s.*waiting for r1/m);

    // Other changes are not blocked by the parked rule.
    const y = await mcrd.ctl(['add', '--rule-id', 'y', '--input-interface', 'r0', '--input-group', '239.1.1.2', '--input-port', '5002', '--outputs', '239.2.2.2:6002:r2']);
    expect(y).toMatchObject({ code: 0, stderr: '' });

    await lab.veth(r, 'r1', '10.2.0.1/24', s, 's0', '10.2.0.2/24');
    await waitFor(async () => (await rules()).find((x) => x.id === 'x')?.state === 'active', 'rule x active after r1 came back');

    const sinkX = await startSink({ netns: s, listen: ['239.2.2.1:6000'], interface: 's0', idleTimeoutS: 1.5, durationS: 20 });
    const sinkY = await startSink({ netns: s, listen: ['239.2.2.2:6002'], interface: 's1', idleTimeoutS: 1.5, durationS: 20 });
    const gen = await runGenerator({ netns: g, dst: ['239.1.1.1:5000', '239.1.1.2:5002'], interface: 'g0', ratePps: 10_000, count: 20_000, payloadBytes: 1000 });
    const [lx, ly] = [(await sinkX.done).listens[0]!, (await sinkY.done).listens[0]!];
    recordDelivery('rule resumed on re-created interface, 5k pps x 2 s', lx.received, gen.sent / 2, { lost: lx.lost });
    recordDelivery('rule added while another waited for its interface, 5k pps x 2 s', ly.received, gen.sent / 2, { lost: ly.lost });
    expect(lx).toMatchObject({ received: gen.sent / 2, lost: 0, payloadErrors: 0 });
    expect(ly).toMatchObject({ received: gen.sent / 2, lost: 0, payloadErrors: 0 });
  });
});

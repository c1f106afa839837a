/**
 * Fan-out: one input stream relayed to three outputs over two egress interfaces.
 *
 *                                     ┌──────── mcrR-fan-r ────────┐ 10.2.0.0/24 ┌ mcrR-fan-a ┐
 *   ┌ mcrR-fan-g ┐ 10.1.0.0/24        │                         r1 ├─────────────┤ a0  sink A │ 239.2.2.1:6001, 239.2.2.2:6002
 *   │ mcr-gen g0 ├────────────────────┤ r0        mcrd             │             └────────────┘
 *   └────────────┘                    │                         r2 ├─────────────┐ mcrR-fan-b ┐
 *                                     └────────────────────────────┘ 10.3.0.0/24 │ b0  sink B │ 239.2.2.3:6003
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runGenerator, startSink } from '../../lab/traffic/traffic.js';
import { recordDelivery } from '../../test/support/delivery.js';
import { type McrdHandle, startMcrd } from '../../test/support/mcrd.js';
import { Lab, canNetns, skipReason } from '../../test/support/netns.js';

if (!canNetns) console.warn(`skipping relay fan-out e2e: ${skipReason}`);

describe.skipIf(!canNetns)('mcrd fan-out 1-to-3 over two egress interfaces', () => {
  let lab: Lab;
  let g: string; let r: string; let a: string; let b: string;
  let dir: string;
  let mcrd: McrdHandle;

  beforeAll(async () => {
    lab = await Lab.create('fan');
    g = await lab.ns('g'); r = await lab.ns('r'); a = await lab.ns('a'); b = await lab.ns('b');
    await lab.veth(g, 'g0', '10.1.0.1/24', r, 'r0', '10.1.0.2/24');
    await lab.veth(r, 'r1', '10.2.0.1/24', a, 'a0', '10.2.0.2/24');
    await lab.veth(r, 'r2', '10.3.0.1/24', b, 'b0', '10.3.0.2/24');
    dir = await mkdtemp(join(tmpdir(), 'mcrR-fan-'));
    // The io_uring backend here, so mcrd runs it end to end; the other suites run the default, sendmmsg.
    mcrd = await startMcrd({ netns: r, dir, args: ['--backend', 'uring'] });
  });

  afterAll(async () => {
    await mcrd?.stop();
    await lab?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('each of the three outputs receives every datagram once, byte-exact', async () => {
    const res = await mcrd.ctl(['add', '--rule-id', 'fan', '--input-interface', 'r0', '--input-group', '239.1.1.1', '--input-port', '5000',
      '--outputs', '239.2.2.1:6001:r1,239.2.2.2:6002:r1,239.2.2.3:6003:r2']);
    expect(res).toMatchObject({ code: 0, stderr: '' });
    expect((await mcrd.ctl(['version'])).stdout).toContain('backend uring');
    const sinkA = await startSink({ netns: a, listen: ['239.2.2.1:6001', '239.2.2.2:6002'], interface: 'a0', idleTimeoutS: 1.5, durationS: 20 });
    const sinkB = await startSink({ netns: b, listen: ['239.2.2.3:6003'], interface: 'b0', idleTimeoutS: 1.5, durationS: 20 });
    const gen = await runGenerator({ netns: g, dst: ['239.1.1.1:5000'], interface: 'g0', ratePps: 10_000, count: 20_000, payloadBytes: 1316 });
    const [ra, rb] = await Promise.all([sinkA.done, sinkB.done]);
    const outs = [...ra.listens, ...rb.listens];
    for (const l of outs) recordDelivery(`fan-out 1-to-3 ${l.group}:${l.port} (sendmmsg), 10k pps x 2 s`, l.received, gen.sent, { lost: l.lost, payloadErrors: l.payloadErrors });
    expect(outs).toHaveLength(3);
    for (const l of outs) expect(l).toMatchObject({ received: gen.sent, lost: 0, duplicates: 0, reordered: 0, payloadErrors: 0 });
    const st = JSON.parse((await mcrd.ctl(['--json', 'stats'])).stdout) as { rules: Array<{ packets: number; outputs: Array<{ packets: number }> }> };
    expect(st.rules[0]!.packets).toBe(gen.sent);
    expect(st.rules[0]!.outputs.map((o) => o.packets)).toEqual([gen.sent, gen.sent, gen.sent]);
  });
});

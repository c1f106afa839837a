/**
 * The reason mcr exists: a stream from an unroutable source. The relay has strict reverse-path
 * filtering (rp_filter=1) on its ingress and no route back to 192.0.2.0/24, so its kernel drops the
 * stream before any socket sees it — proven with a plain UDP receiver in the relay namespace —
 * while mcrd, taking frames at layer 2, relays every datagram.
 *
 *   ┌──── mcrR-rpf-g ────┐ 10.1.0.0/24  ┌──── mcrR-rpf-r ─────┐ 10.2.0.0/24 ┌ mcrR-rpf-s ┐
 *   │ mcr-gen from       │              │ rp_filter=1 on r0   │             │            │
 *   │ 192.0.2.77      g0 ├──────────────┤ r0  plain sink  r1  ├─────────────┤ s0  sink   │
 *   └────────────────────┘              │     mcrd            │             └────────────┘
 *                                       └─────────────────────┘
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runGenerator, startSink } from '../../lab/traffic/traffic.js';
import { recordDelivery } from '../../test/support/delivery.js';
import { type McrdHandle, startMcrd } from '../../test/support/mcrd.js';
import { Lab, canNetns, skipReason } from '../../test/support/netns.js';

if (!canNetns) console.warn(`skipping relay RPF e2e: ${skipReason}`);

describe.skipIf(!canNetns)('unroutable source with rp_filter=1 on the relay ingress', () => {
  let lab: Lab;
  let g: string; let r: string; let s: string;
  let dir: string;
  let mcrd: McrdHandle;

  beforeAll(async () => {
    lab = await Lab.create('rpf');
    ({ g, r, s } = await lab.chain());
    // The source address lives on the generator host only; the relay has no route back to it.
    await lab.exec(g, ['ip', 'addr', 'add', '192.0.2.77/32', 'dev', 'g0']);
    for (const k of ['all', 'default', 'r0']) await lab.sysctl(r, `net.ipv4.conf.${k}.rp_filter`, 1);
    dir = await mkdtemp(join(tmpdir(), 'mcrR-rpf-'));
    mcrd = await startMcrd({ netns: r, dir });
  });

  afterAll(async () => {
    await mcrd?.stop();
    await lab?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('a plain UDP receiver on the relay gets nothing; mcrd relays everything', async () => {
    expect((await lab.exec(r, ['ip', 'route', 'get', '192.0.2.77']).catch((e: Error) => e.message))).toMatch(/unreachable|Network is unreachable/);
    const res = await mcrd.ctl(['add', '--rule-id', 'rpf', '--input-interface', 'r0', '--input-group', '239.1.1.1', '--input-port', '5000', '--outputs', '239.2.2.1:6000:r1']);
    expect(res).toMatchObject({ code: 0, stderr: '' });
    const plain = await startSink({ netns: r, listen: ['239.1.1.1:5000'], interface: 'r0', durationS: 30 });
    const sink = await startSink({ netns: s, listen: ['239.2.2.1:6000'], interface: 's0', idleTimeoutS: 1.5, durationS: 20 });
    const gen = await runGenerator({ netns: g, dst: ['239.1.1.1:5000'], interface: 'g0', bind: '192.0.2.77', ratePps: 10_000, count: 20_000, payloadBytes: 1316 });
    const l = (await sink.done).listens[0]!;
    const p = (await plain.stop()).listens[0]!;
    recordDelivery('unroutable source, plain UDP socket on relay (rp_filter=1)', p.received, gen.sent);
    recordDelivery('unroutable source, relayed by mcrd, 10k pps x 2 s', l.received, gen.sent, { lost: l.lost, payloadErrors: l.payloadErrors });
    expect(gen.sent).toBe(20_000);
    expect(p.received).toBe(0);
    expect(l).toMatchObject({ received: 20_000, lost: 0, duplicates: 0, payloadErrors: 0 });
  });
});

/**
 * VLAN-tagged ingress: frames reach the relay carrying an 802.1Q tag (VLAN 100). A tc/BPF program on
 * the generator's egress pushes the tag (test/fixtures/vlan_push.c), which works on kernels without
 * the 8021q module (this CI's kernel has none). The rule names the parent interface r0: mcrd's
 * engine parses the tag itself (in-band, or out-of-band as TPACKET_V3 reports it) and matches on
 * (interface, group, port) whatever the VLAN id. A plain socket on the relay gets nothing, since
 * without a VLAN subinterface its kernel drops tagged frames — which also proves they are tagged.
 *
 *   ┌─── mcrR-vlan-g ───┐  802.1Q tag 100  ┌─ mcrR-vlan-r ─┐ 10.2.0.0/24 ┌ mcrR-vlan-s ┐
 *   │ mcr-gen  g0 (BPF  ├──────────────────┤ r0  mcrd   r1 ├─────────────┤ s0  sink    │
 *   │ vlan push on egr.)│  10.1.0.0/24     └───────────────┘             └─────────────┘
 *   └───────────────────┘
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runGenerator, startSink } from '../../lab/traffic/traffic.js';
import { recordDelivery } from '../../test/support/delivery.js';
import { type McrdHandle, startMcrd } from '../../test/support/mcrd.js';
import { Lab, canNetns, sh, skipReason } from '../../test/support/netns.js';

if (!canNetns) console.warn(`skipping relay VLAN e2e: ${skipReason}`);

const source = fileURLToPath(new URL('../../test/fixtures/vlan_push.c', import.meta.url));

describe.skipIf(!canNetns)('VLAN-tagged ingress', () => {
  let lab: Lab;
  let g: string; let r: string; let s: string;
  let dir: string;
  let mcrd: McrdHandle;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mcrR-vlan-'));
    const obj = join(dir, 'vlan_push.o');
    await sh(['clang', '-O2', '-g0', '-target', 'bpf', '-DVLAN_ID=100', '-c', source, '-o', obj]);
    lab = await Lab.create('vlan');
    ({ g, r, s } = await lab.chain());
    await lab.exec(g, ['tc', 'qdisc', 'add', 'dev', 'g0', 'clsact']);
    await lab.exec(g, ['tc', 'filter', 'add', 'dev', 'g0', 'egress', 'bpf', 'da', 'obj', obj, 'sec', 'tc']);
    mcrd = await startMcrd({ netns: r, dir });
  });

  afterAll(async () => {
    await mcrd?.stop();
    await lab?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('a stream tagged VLAN 100 is relayed byte-exact; a plain socket on the relay sees none of it', async () => {
    const res = await mcrd.ctl(['add', '--rule-id', 'vlan', '--input-interface', 'r0', '--input-group', '239.1.1.1', '--input-port', '5000', '--outputs', '239.2.2.1:6000:r1']);
    expect(res).toMatchObject({ code: 0, stderr: '' });
    const plain = await startSink({ netns: r, listen: ['239.1.1.1:5000'], interface: 'r0', durationS: 30 });
    const sink = await startSink({ netns: s, listen: ['239.2.2.1:6000'], interface: 's0', idleTimeoutS: 1.5, durationS: 20 });
    // Witness on the relay's wire that the frames carry the tag (tcpdump shows out-of-band tags too).
    const wire = lab.exec(r, ['timeout', '10', 'tcpdump', '-enni', 'r0', '-c', '3', 'vlan 100 and udp']);
    const gen = await runGenerator({ netns: g, dst: ['239.1.1.1:5000'], interface: 'g0', ratePps: 10_000, count: 20_000, payloadBytes: 1316 });
    const l = (await sink.done).listens[0]!;
    const p = (await plain.stop()).listens[0]!;
    recordDelivery('VLAN 100 tagged ingress (rule on parent r0), 10k pps x 2 s', l.received, gen.sent, { lost: l.lost, payloadErrors: l.payloadErrors, plainSocketOnRelay: p.received });
    expect(await wire).toMatch(/vlan 100, p 0, ethertype IPv4.*239\.1\.1\.1\.5000: UDP, length 1316/);
    expect(p.received).toBe(0);
    expect(l).toMatchObject({ received: gen.sent, lost: 0, duplicates: 0, payloadErrors: 0 });
  });
});

/**
 * Interop case 6 (issue 11): two routers with downstream interest on one LAN forward the same stream
 * until Assert elects one. A is the RP; B the first-hop router of S. On LAN D the last-hop router C
 * reaches the RP through A and S through B, so C joins (*,G) toward A and, after the first datagram,
 * (S,G) toward B. A, joined to S over its link with B, forwards S onto D down the shared tree while B
 * forwards it on the SPT: each sees the other's copies arrive on an outgoing interface, they exchange
 * Asserts, B wins (equal metrics; the higher address), A stops forwarding S onto D. After it settles
 * the receiver sees no duplicates and only B's copies cross D.
 *
 * All three routers are mcrd: this kernel has no CONFIG_IP_MROUTE, so FRR cannot forward data onto the
 * LAN, and without its data there is nothing for either side to assert about (docs/protocols.md).
 *
 *   g: mcr-gen 10.1.0.1 ── b0 10.1.0.2 B ba 10.20.0.2 ── ab 10.20.0.1 A (RP)
 *   LAN D (bridge): A alan 10.40.0.1, B blan 10.40.0.2, C clan 10.40.0.3;  C ch 10.50.0.1 ── h0 10.50.0.2 h: mcr-sink
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runGenerator, startSink } from '../../lab/traffic/traffic.js';
import { recordDelivery } from '../../test/support/delivery.js';
import { Lab, canNetns, skipReason, waitFor } from '../../test/support/netns.js';
import { Capture } from '../../test/support/capture.js';
import { type PimMcrd, dumpState, lan, startPimMcrd } from './pim-data-lab.js';

const G = '239.8.6.1';
const S = '10.1.0.1';
const RP = '10.20.0.1';

interface AssertRow { interface: string; source: string; group: string; state: string; winner: string | null }

describe.skipIf(!canNetns)(`Assert between two forwarders on one LAN (three mcrd)${canNetns ? '' : ` (${skipReason})`}`, () => {
  let lab: Lab;
  const r: Record<'a' | 'b' | 'c', PimMcrd | undefined> = { a: undefined, b: undefined, c: undefined };
  let capD: Capture | undefined;
  const ns = { g: '', a: '', b: '', c: '', h: '' };

  beforeAll(async () => {
    lab = await Lab.create('ast', 'pd');
    for (const n of ['g', 'a', 'b', 'c', 'h'] as const) ns[n] = await lab.ns(n);
    await lab.veth(ns.g, 'g0', `${S}/24`, ns.b, 'b0', '10.1.0.2/24');
    await lab.veth(ns.b, 'ba', '10.20.0.2/24', ns.a, 'ab', `${RP}/24`);
    await lan(lab, 'd', [[ns.a, 'alan', '10.40.0.1/24'], [ns.b, 'blan', '10.40.0.2/24'], [ns.c, 'clan', '10.40.0.3/24']]);
    await lab.veth(ns.c, 'ch', '10.50.0.1/24', ns.h, 'h0', '10.50.0.2/24');
    const routes: Array<[string, string, string]> = [
      [ns.c, '10.20.0.0/24', '10.40.0.1'], [ns.c, '10.1.0.0/24', '10.40.0.2'],
      [ns.a, '10.1.0.0/24', '10.20.0.2'], [ns.a, '10.50.0.0/24', '10.40.0.3'], [ns.b, '10.50.0.0/24', '10.40.0.3'],
    ];
    for (const [n, dst, via] of routes) await lab.exec(n, ['ip', 'route', 'add', dst, 'via', via]);
    const pim = (ifs: string[]) => ({ enabled: true, interfaces: ifs.map((name) => ({ name, hello_period: 5 })), rp_address: RP });
    const daemon = { gso: false }; // mcrd feeding mcrd over veth (see pim-spt.e2e.test.ts)
    r.a = await startPimMcrd(lab, ns.a, { daemon, pim: pim(['ab', 'alan']) }, 19491);
    r.b = await startPimMcrd(lab, ns.b, { daemon, pim: pim(['b0', 'ba', 'blan']) }, 19492);
    r.c = await startPimMcrd(lab, ns.c, { daemon, igmp: { enabled: true, querier_interfaces: ['ch'] }, pim: pim(['clan']) }, 19493);
    capD = await Capture.start(ns.c, 'clan', `udp and dst ${G}`, { verbose: true });
  }, 60_000);

  afterAll(async () => {
    await capD?.stop();
    for (const m of Object.values(r)) await m?.stop().catch(() => {});
    await lab?.destroy();
  });

  const asserts = async (m: PimMcrd) => (await m.json<{ assert: AssertRow[] }>(['pim', 'assert'])).assert.filter((x) => x.group === G && x.source === S);

  test('Assert elects B on D; A stops forwarding S there; the receiver sees no duplicates', async () => {
    const count = async (m: PimMcrd) => (await m.json<{ neighbors: unknown[] }>(['pim', 'neighbors'])).neighbors.length;
    await waitFor(async () => (await count(r.a!)) === 3 && (await count(r.b!)) === 3 && (await count(r.c!)) === 2, 'every adjacency up', 20_000, 100);

    // One receiver throughout; stream 1 converges, stream 2 runs once it has settled.
    const sink = await startSink({ netns: ns.h, listen: [`${G}:5000`], interface: 'h0', durationS: 90 });
    try {
      await waitFor(async () => (await r.a!.json<{ join: Array<{ interface: string; group: string }> }>(['pim', 'join'])).join.some((j) => j.interface === 'alan' && j.group === G), 'C\'s (*,G) Join on A', 10_000, 50);
      const gen1 = await runGenerator({ netns: ns.g, dst: [`${G}:5000`], interface: 'g0', bind: S, ratePps: 1000, count: 5000, payloadBytes: 1000, ttl: 16 });
      const onA = await asserts(r.a!);
      const onB = await asserts(r.b!);
      console.log(`[assert] mcrctl pim assert on A: ${JSON.stringify(onA)}; on B: ${JSON.stringify(onB)}`);
      if (!onA.some((x) => x.state === 'Loser')) { await dumpState(r.a!); await dumpState(r.c!); }
      expect(onB).toEqual([expect.objectContaining({ interface: 'blan', state: 'Winner' })]);
      // A lost to B. Once C's (S,G,rpt) Prune reaches A (C has switched to the SPT through B), A no longer
      // tracks the Assert (RFC 7761 §4.6.1: AssertTrackingDesired false → NoInfo): A shows Loser or, after
      // that Prune, nothing.
      if (onA.length === 0) {
        const joins = (await r.a!.json<{ join: Array<{ interface: string; source: string; rpt?: boolean; state: string }> }>(['pim', 'join'])).join;
        expect(joins).toEqual(expect.arrayContaining([expect.objectContaining({ interface: 'alan', source: S, rpt: true, state: 'Prune' })]));
      } else {
        expect(onA).toEqual([expect.objectContaining({ interface: 'alan', state: 'Loser', winner: '10.40.0.2' })]);
      }

      // Settled: only B's copies cross D, one of each datagram.
      const seen = capD!.lines.length;
      const gen2 = await runGenerator({ netns: ns.g, dst: [`${G}:5000`], interface: 'g0', bind: S, ratePps: 2000, count: 10_000, payloadBytes: 1000, ttl: 16, streamId: 2 });
      await waitFor(() => capD!.lines.length - seen >= 10_000, 'stream 2 on D', 3000, 50).catch(() => {});
      const onD = capD!.lines.length - seen;
      const l = (await sink.stop()).listens[0]!;
      const s1 = l.streams.find((x) => x.streamId === 1)!;
      const s2 = l.streams.find((x) => x.streamId === 2)!;
      recordDelivery('case 6: assert on a LAN, stream 1 (duplicates until the Assert), 1000 pps x 5 s', s1.received, gen1.sent, { lost: s1.lost, duplicates: s1.duplicates });
      recordDelivery('case 6: assert settled, stream 2, 2000 pps x 5 s', s2.received, gen2.sent, { lost: s2.lost, duplicates: s2.duplicates, datagramsOnLan: onD });
      expect(s2).toMatchObject({ received: 10_000, duplicates: 0 });
      expect(l.payloadErrors).toBe(0);
      expect(onD).toBe(10_000);
    } finally {
      await sink.stop().catch(() => {});
    }
  }, 120_000);
});

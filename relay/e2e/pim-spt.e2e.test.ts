/**
 * Interop case 5 (issue 11): a triangle where the shortest-path tree differs from the shared tree.
 * R1 is the first-hop router of S, RP the rendezvous point, R3 the last-hop router; R3 reaches S over
 * the direct link c and the RP over b. The first datagrams go S → R1 → (Register) → RP → b → R3; R3's
 * engine reports S, R3 joins (S,G) over c, sets the SPT bit once S arrives there and prunes S off the
 * shared tree (Prune(S,G,rpt) to the RP); the RP, with nobody left for S, prunes its own (S,G) toward
 * R1 and stops the Registers. After convergence S flows over c only: nothing of G on b, no
 * duplicates at the receiver.
 *
 * All three routers are mcrd: this machine's kernel has no CONFIG_IP_MROUTE, so FRR cannot forward the
 * data of either tree here (docs/protocols.md, "Interop").
 *
 *   g: mcr-gen 10.1.0.1 ── r0 R1 ra 10.12.0.1 ── a ── pa 10.12.0.2 RP pb 10.23.0.1 ── b ── tb 10.23.0.2 R3
 *                          R1 rc 10.13.0.1 ───────────── c ──────────────────────── tc 10.13.0.2 R3
 *                                                                     R3 th 10.30.0.1 ── h0 10.30.0.2 h: mcr-sink
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runGenerator, startSink } from '../../lab/traffic/traffic.js';
import { recordDelivery } from '../../test/support/delivery.js';
import { Lab, canNetns, skipReason, waitFor } from '../../test/support/netns.js';
import { Capture } from '../../test/support/capture.js';
import { type PimMcrd, dumpState, mroute, startPimMcrd } from './pim-data-lab.js';

const G = '239.8.5.1';
const S = '10.1.0.1';
const RP = '10.12.0.2';

describe.skipIf(!canNetns)(`SPT switchover in a triangle (three mcrd)${canNetns ? '' : ` (${skipReason})`}`, () => {
  let lab: Lab;
  const routers: Record<'r1' | 'rp' | 'r3', PimMcrd | undefined> = { r1: undefined, rp: undefined, r3: undefined };
  let capB: Capture | undefined;
  const ns = { g: '', r1: '', rp: '', r3: '', h: '' };

  beforeAll(async () => {
    lab = await Lab.create('spt', 'pd');
    for (const n of ['g', 'r1', 'rp', 'r3', 'h'] as const) ns[n] = await lab.ns(n);
    await lab.veth(ns.g, 'g0', `${S}/24`, ns.r1, 'r0', '10.1.0.2/24');
    await lab.veth(ns.r1, 'ra', '10.12.0.1/24', ns.rp, 'pa', `${RP}/24`);
    await lab.veth(ns.rp, 'pb', '10.23.0.1/24', ns.r3, 'tb', '10.23.0.2/24');
    await lab.veth(ns.r1, 'rc', '10.13.0.1/24', ns.r3, 'tc', '10.13.0.2/24');
    await lab.veth(ns.r3, 'th', '10.30.0.1/24', ns.h, 'h0', '10.30.0.2/24');
    const routes: Array<[string, string, string]> = [
      [ns.r1, '10.23.0.0/24', '10.12.0.2'], [ns.r1, '10.30.0.0/24', '10.13.0.2'],
      [ns.rp, '10.1.0.0/24', '10.12.0.1'], [ns.rp, '10.13.0.0/24', '10.12.0.1'], [ns.rp, '10.30.0.0/24', '10.23.0.2'],
      [ns.r3, '10.12.0.0/24', '10.23.0.1'], [ns.r3, '10.1.0.0/24', '10.13.0.1'],
    ];
    for (const [n, dst, via] of routes) await lab.exec(n, ['ip', 'route', 'add', dst, 'via', via]);
    const pim = (ifs: string[]) => ({ enabled: true, interfaces: ifs.map((name) => ({ name, hello_period: 5 })), rp_address: RP });
    // mcrd feeding mcrd over veth: no UDP GSO frames (the receiving engine's AF_PACKET ring would see
    // them unsegmented and count them as malformed; a NIC segments them on the wire).
    const daemon = { gso: false };
    routers.r1 = await startPimMcrd(lab, ns.r1, { daemon, pim: pim(['r0', 'ra', 'rc']) }, 19488);
    routers.rp = await startPimMcrd(lab, ns.rp, { daemon, pim: pim(['pa', 'pb']) }, 19489);
    routers.r3 = await startPimMcrd(lab, ns.r3, {
      igmp: { enabled: true, querier_interfaces: ['th'] },
      pim: pim(['tb', 'tc']),
    }, 19490);
    capB = await Capture.start(ns.r3, 'tb', `udp and dst ${G}`, { verbose: true });
  }, 60_000);

  afterAll(async () => {
    await capB?.stop();
    for (const m of Object.values(routers)) await m?.stop().catch(() => {});
    await lab?.destroy();
  });

  test('the first datagrams come down the shared tree, then S moves to the SPT: nothing on b, no duplicates', async () => {
    const neighborsOf = async (m: PimMcrd) => (await m.json<{ neighbors: Array<{ address: string }> }>(['pim', 'neighbors'])).neighbors.length;
    await waitFor(async () => (await neighborsOf(routers.r3!)) === 2 && (await neighborsOf(routers.r1!)) === 2 && (await neighborsOf(routers.rp!)) === 2, 'every adjacency up', 20_000, 100);

    // One receiver throughout: stream 1 starts on the shared tree and converges, stream 2 runs converged.
    const sink = await startSink({ netns: ns.h, listen: [`${G}:5000`], interface: 'h0', durationS: 90 });
    try {
      await waitFor(async () => (await mroute(routers.r3!)).some((x) => x.group === G && x.iif === 'tb'), '(*,G) on R3 toward the RP', 10_000, 50);
      const gen1 = await runGenerator({ netns: ns.g, dst: [`${G}:5000`], interface: 'g0', bind: S, ratePps: 1000, count: 5000, payloadBytes: 1000, ttl: 16 });
      const bSeen = capB!.lines.length;
      const r3 = await mroute(routers.r3!);
      const r1 = await mroute(routers.r1!);
      if (!r3.some((x) => x.source === S && x.iif === 'tc')) await dumpState(routers.r3!);
      // S on the SPT at R3 (iif c), dropped on b; R1 forwards S over c and no longer over a.
      expect(r3).toEqual(expect.arrayContaining([
        expect.objectContaining({ source: S, iif: 'tc', oifs: [expect.objectContaining({ interface: 'th' })] }),
        expect.objectContaining({ source: S, iif: 'tb', oifs: [] }),
      ]));
      expect(r1.find((x) => x.source === S)?.oifs.map((o) => o.interface)).toEqual(['rc']);
      expect(bSeen).toBeGreaterThan(0); // the first datagrams did come down the shared tree

      // Converged: every datagram over c, none on b, no duplicates.
      const onB = capB!.lines.length;
      const gen2 = await runGenerator({ netns: ns.g, dst: [`${G}:5000`], interface: 'g0', bind: S, ratePps: 2000, count: 10_000, payloadBytes: 1000, ttl: 16, streamId: 2 });
      const state = (await routers.r1!.json<{ state: Array<{ source: string; register?: string }> }>(['pim', 'state'])).state.find((x) => x.source === S);
      await new Promise((res) => setTimeout(res, 500)); // the last datagrams in flight
      const l = (await sink.stop()).listens[0]!;
      const s1 = l.streams.find((x) => x.streamId === 1)!;
      const s2 = l.streams.find((x) => x.streamId === 2)!;
      recordDelivery('case 5: triangle, stream 1 (shared tree, then SPT), 1000 pps x 5 s', s1.received, gen1.sent, { lost: s1.lost, duplicates: s1.duplicates, firstSeq: s1.firstSeq, datagramsOnSharedTreeLink: bSeen });
      recordDelivery('case 5: triangle, converged (SPT only), stream 2, 2000 pps x 5 s', s2.received, gen2.sent, { lost: s2.lost, duplicates: s2.duplicates, datagramsOnSharedTreeLink: capB!.lines.length - onB });
      expect(s1.received / gen1.sent).toBeGreaterThanOrEqual(0.98);
      expect(capB!.lines.length - onB).toBe(0);
      expect(s2).toMatchObject({ received: 10_000, duplicates: 0 });
      expect(l.payloadErrors).toBe(0);
      expect(state).toMatchObject({ register: 'Prune' });
    } finally {
      await sink.stop().catch(() => {});
    }
  }, 120_000);
});

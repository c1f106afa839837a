/**
 * A stream mcrd re-originates, joined from another PIM interface (issue 11: Join/Prune from downstream
 * routers add and expire outgoing interfaces, for the streams mcrd brings in from unroutable sources
 * too). A captures an unroutable source at layer 2 and re-originates it onto r1, where its own address
 * 10.8.0.1 is the source S the PIM domain knows; A is the RP. B, a last hop behind A's other PIM
 * interface r2, joins G for its receiver: A must send S's stream out of r2 as well, from S (not from
 * r2's address, which B's (S,G) state and an INCLUDE {S} receiver would not accept), and stop when B
 * prunes.
 *
 *   g: mcr-gen 192.0.2.77 ── r0 A: mcrd (rule r0 → r1 10.8.0.1, RP) ── l0: the LAN of r1, nobody else on it
 *      A r2 10.12.0.1 ── b0 10.12.0.2 B: mcrd ── b1 10.13.0.1 (IGMP querier) ── h0 10.13.0.2 h: mcr-sink
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runGenerator, startSink } from '../../lab/traffic/traffic.js';
import { recordDelivery } from '../../test/support/delivery.js';
import { Lab, canNetns, skipReason, waitFor } from '../../test/support/netns.js';
import { Capture } from '../../test/support/capture.js';
import { type PimMcrd, dumpState, mroute, startPimMcrd } from './pim-data-lab.js';

const G = '239.8.5.1';
const S = '10.8.0.1';
const COUNT = 10_000;

describe.skipIf(!canNetns)(`a re-originated stream joined from another PIM interface${canNetns ? '' : ` (${skipReason})`}`, () => {
  let lab: Lab;
  let a: PimMcrd | undefined;
  let b: PimMcrd | undefined;
  let onB: Capture | undefined;
  let onL: Capture | undefined;
  const ns = { g: '', a: '', l: '', b: '', h: '' };

  beforeAll(async () => {
    lab = await Lab.create('plj', 'pd');
    for (const n of ['g', 'a', 'l', 'b', 'h'] as const) ns[n] = await lab.ns(n);
    await lab.veth(ns.g, 'g0', '10.1.0.1/24', ns.a, 'r0', '10.1.0.2/24');
    await lab.exec(ns.g, ['ip', 'addr', 'add', '192.0.2.77/32', 'dev', 'g0']);
    await lab.veth(ns.a, 'r1', `${S}/24`, ns.l, 'l0', '10.8.0.2/24');
    await lab.veth(ns.a, 'r2', '10.12.0.1/24', ns.b, 'b0', '10.12.0.2/24');
    await lab.veth(ns.b, 'b1', '10.13.0.1/24', ns.h, 'h0', '10.13.0.2/24');
    // B reaches S and the RP (both A's 10.8.0.1) through A's r2.
    await lab.exec(ns.b, ['ip', 'route', 'add', '10.8.0.0/24', 'via', '10.12.0.1']);
    a = await startPimMcrd(lab, ns.a, {
      // B's engine reads A's frames off a veth: GSO frames would reach it unsplit (docs/engine.md, gso).
      daemon: { gso: false },
      pim: { enabled: true, interfaces: [{ name: 'r1', hello_period: 1 }, { name: 'r2', hello_period: 1 }], rp_address: S },
      rules: [{ id: 'cam', input: { interface: 'r0', group: G, port: 5000 }, outputs: [{ interface: 'r1', group: G, port: 5000, ttl: 8 }] }],
    }, 19486);
    b = await startPimMcrd(lab, ns.b, {
      igmp: { enabled: true, querier_interfaces: ['b1'], query_interval: 5, query_response_interval: 1, last_member_query_interval: 0.2, last_member_query_count: 2 },
      pim: { enabled: true, interfaces: [{ name: 'b0', hello_period: 1 }], rp_address: S },
    }, 19487);
    onB = await Capture.start(ns.b, 'b0', `udp and dst ${G}`);
    onL = await Capture.start(ns.l, 'l0', `udp and dst ${G}`);
    await waitFor(async () => (await a!.json<{ neighbors: Array<{ address: string }> }>(['pim', 'neighbors'])).neighbors.some((n) => n.address === '10.12.0.2'), 'B in A\'s PIM neighbors', 10_000, 100);
  }, 40_000);

  afterAll(async () => {
    for (const c of [onB, onL]) await c?.stop();
    await a?.stop().catch(() => {});
    await b?.stop().catch(() => {});
    await lab?.destroy();
  });

  const toB = async () => (await mroute(a!)).find((r) => r.ruleId === 'cam')?.oifs.filter((o) => o.interface === 'r2') ?? [];

  test('B\'s Join brings the stream out of r2, from S, byte-exact; B\'s Prune takes it away', async () => {
    const sink = await startSink({ netns: ns.h, listen: [`${G}:5000`], interface: 'h0', expectCount: COUNT, durationS: 40, idleTimeoutS: 2 });
    await waitFor(async () => (await a!.json<{ join: Array<{ interface: string; source: string; group: string }> }>(['pim', 'join'])).join.some((j) => j.interface === 'r2' && j.group === G),
      'B\'s Join in A\'s pim join', 10_000, 50);
    const gen = await runGenerator({ netns: ns.g, dst: [`${G}:5000`], interface: 'g0', bind: '192.0.2.77', ratePps: 1000, count: COUNT, payloadBytes: 1316, ttl: 8 });
    const l = (await sink.done).listens[0]!;
    const oif = await toB();
    const first = onB!.lines[0]?.text ?? '';
    const afterFirst = l.firstSeq === null ? 0 : l.received / (gen.sent - l.firstSeq);
    recordDelivery('re-originated stream joined from another PIM interface: A (RP, re-originates onto r1) -> r2 -> B -> receiver, 1000 pps x 10 s', l.received, gen.sent, {
      lost: l.lost, duplicates: l.duplicates, payloadErrors: l.payloadErrors, firstSeq: l.firstSeq, onB: onB!.lines.length,
    });
    console.log(`[mroute] A's rule cam, r2: ${JSON.stringify(oif)}; first datagram on b0: ${first}`);
    if (afterFirst < 0.99) { await dumpState(a!); await dumpState(b!); }
    expect(oif).toEqual([expect.objectContaining({ origin: 'pim' })]);
    expect(first).toMatch(new RegExp(`IP ${S.replaceAll('.', '\\.')}\\.\\d+ > ${G.replaceAll('.', '\\.')}\\.5000: UDP`));
    expect(l).toMatchObject({ duplicates: 0, payloadErrors: 0 });
    // The first datagrams wait for the route (S is learned from the first one): a few may be lost.
    expect(l.firstSeq).toBeLessThan(100);
    expect(afterFirst).toBeGreaterThanOrEqual(0.99);

    // The receiver has left: B prunes, A takes r2 off the rule and nothing more crosses to B.
    await waitFor(async () => (await toB()).length === 0, 'r2 gone from A\'s rule after B\'s Prune', 15_000, 100)
      .catch(async (e: Error) => { await dumpState(a!); throw e; });
    const [b0, l0] = [onB!.lines.length, onL!.lines.length];
    await runGenerator({ netns: ns.g, dst: [`${G}:5000`], interface: 'g0', bind: '192.0.2.77', ratePps: 1000, count: 1000, payloadBytes: 1316, ttl: 8 });
    // The static output still sends all of it onto r1; once that has crossed, so would have r2's copies.
    await waitFor(() => onL!.lines.length - l0 >= 1000, 'the burst on r1\'s LAN', 5000, 50);
    expect(onB!.lines.length - b0).toBe(0);
  }, 90_000);
});

/**
 * The Register path end to end between two mcrd (issue 11, "Register both ways"; the FRR side of case 4
 * needs a kernel that forwards multicast, which this machine's lacks): mcrd A is the DR of a stream it
 * re-originates from an unroutable source, mcrd B is the RP, and between them sits X, a plain Linux
 * router that forwards unicast only (no multicast routing), so every datagram reaches B inside a
 * Register. A's engine encapsulates at data rate; B decapsulates and forwards the inner datagram down
 * its shared tree to a kernel receiver, which checks sequence and payload bytes (and, through its
 * kernel, the inner UDP checksum A computed). When the receiver leaves, B answers the next Register
 * with Register-Stop and the Registers stop on X's wire.
 *
 *   g: mcr-gen 192.0.2.77 ── r0 A: mcrd (rule r0 → r1) r1 10.8.0.1 ── x0 X x1 ── b0 10.9.0.2 B: mcrd, RP
 *      b1 10.10.0.1 (IGMP querier) ── h0 10.10.0.2 h: mcr-sink
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runGenerator, startSink } from '../../lab/traffic/traffic.js';
import { recordDelivery } from '../../test/support/delivery.js';
import { Lab, canNetns, skipReason, waitFor } from '../../test/support/netns.js';
import { Capture } from '../../test/support/capture.js';
import { type PimMcrd, dumpState, startPimMcrd } from './pim-data-lab.js';

const G = '239.8.4.1';
const RP = '10.9.0.2';
const S = '10.8.0.1';

describe.skipIf(!canNetns)(`mcrd DR → unicast-only router → mcrd RP: the Register data path${canNetns ? '' : ` (${skipReason})`}`, () => {
  let lab: Lab;
  let a: PimMcrd | undefined;
  let b: PimMcrd | undefined;
  let cap: Capture | undefined;
  const ns = { g: '', a: '', x: '', b: '', h: '' };

  beforeAll(async () => {
    lab = await Lab.create('rrp', 'pd');
    for (const n of ['g', 'a', 'x', 'b', 'h'] as const) ns[n] = await lab.ns(n);
    await lab.veth(ns.g, 'g0', '10.1.0.1/24', ns.a, 'r0', '10.1.0.2/24');
    await lab.exec(ns.g, ['ip', 'addr', 'add', '192.0.2.77/32', 'dev', 'g0']);
    await lab.veth(ns.a, 'r1', `${S}/24`, ns.x, 'x0', '10.8.0.2/24');
    await lab.veth(ns.x, 'x1', '10.9.0.1/24', ns.b, 'b0', `${RP}/24`);
    await lab.veth(ns.b, 'b1', '10.10.0.1/24', ns.h, 'h0', '10.10.0.2/24');
    await lab.sysctl(ns.x, 'net.ipv4.ip_forward', 1);
    await lab.exec(ns.a, ['ip', 'route', 'add', '10.9.0.0/24', 'via', '10.8.0.2']);
    await lab.exec(ns.b, ['ip', 'route', 'add', '10.8.0.0/24', 'via', '10.9.0.1']);
    a = await startPimMcrd(lab, ns.a, {
      pim: { enabled: true, interfaces: [{ name: 'r1' }], rp_address: RP },
      rules: [{ id: 'cam', input: { interface: 'r0', group: G, port: 5000 }, outputs: [{ interface: 'r1', group: G, port: 5000, ttl: 8 }] }],
    }, 19484);
    b = await startPimMcrd(lab, ns.b, {
      igmp: { enabled: true, querier_interfaces: ['b1'], query_interval: 5, query_response_interval: 1, last_member_query_interval: 0.2, last_member_query_count: 2 },
      pim: { enabled: true, interfaces: [{ name: 'b0' }], rp_address: RP },
    }, 19485);
    cap = await Capture.start(ns.x, 'x0', 'ip proto 103', { verbose: true });
  }, 40_000);

  afterAll(async () => {
    await cap?.stop();
    await a?.stop().catch(() => {});
    await b?.stop().catch(() => {});
    await lab?.destroy();
  });

  test('every datagram crosses inside a Register and reaches the receiver intact; Register-Stop once it leaves', async () => {
    const sink = await startSink({ netns: ns.h, listen: [`${G}:5000`], interface: 'h0', expectCount: 20_000, durationS: 40, idleTimeoutS: 2 });
    await waitFor(async () => (await b!.json<{ groups: Array<{ group: string }> }>(['igmp', 'groups'])).groups.some((x) => x.group === G), `${G} joined on B`, 5000, 50);
    const gen = await runGenerator({ netns: ns.g, dst: [`${G}:5000`], interface: 'g0', bind: '192.0.2.77', ratePps: 2000, count: 20_000, payloadBytes: 1316, ttl: 8 });
    const l = (await sink.done).listens[0]!;
    const registers = cap!.matching(/10\.8\.0\.1 > 10\.9\.0\.2: PIMv2.*Register,/);
    const decapsulated = await b!.metric('mcr_pim_registers_total', { event: 'decapsulated' });
    recordDelivery('register path: mcrd DR -> unicast-only router -> mcrd RP -> receiver, 2000 pps x 10 s', l.received, gen.sent, {
      lost: l.lost, duplicates: l.duplicates, payloadErrors: l.payloadErrors, registersOnWire: registers.length, decapsulated,
    });
    if (l.received / gen.sent < 0.99) await dumpState(b!);
    expect(l.received / gen.sent).toBeGreaterThanOrEqual(0.99);
    expect(l).toMatchObject({ duplicates: 0, payloadErrors: 0 });
    expect(registers.length).toBeGreaterThanOrEqual(l.received);
    expect(registers[0]!.text).toMatch(/cksum 0x[0-9a-f]+ \(correct\)/);

    // The receiver has left: B (RP, nobody downstream) answers the next Register with Register-Stop.
    await waitFor(async () => !(await b!.json<{ groups: Array<{ group: string }> }>(['igmp', 'groups'])).groups.some((x) => x.group === G), `${G} left on B`, 5000, 50);
    const t0 = Date.now();
    await runGenerator({ netns: ns.g, dst: [`${G}:5000`], interface: 'g0', bind: '192.0.2.77', ratePps: 2000, count: 4000, payloadBytes: 1316, ttl: 8 });
    const stops = cap!.matching(/10\.9\.0\.2 > 10\.8\.0\.1: PIMv2.*Register Stop/, t0 - 500);
    expect(stops.length).toBeGreaterThan(0);
    const late = cap!.matching(/10\.8\.0\.1 > 10\.9\.0\.2: PIMv2.*Register,/, stops[0]!.at + 50);
    console.log(`[wire] after the Leave: Register-Stop ${(stops[0]!.at - t0).toFixed(0)} ms into the second burst, ${late.length} Registers after it`);
    expect(late).toEqual([]);
    expect((await a!.json<{ state: Array<{ source: string; register?: string }> }>(['pim', 'state'])).state.find((x) => x.source === S)).toMatchObject({ register: 'Prune' });
  }, 90_000);
});

/**
 * Interop case 3 (issue 11): mcrd as the DR of a stream from an UNROUTABLE source. mcrd captures the
 * stream at layer 2 on r0 (rp_filter=1 there: its own kernel would drop it) and re-originates it onto
 * the PIM LAN r1 with a static rule, from its own address 10.6.0.2 — a well-formed source of the PIM
 * domain. Its engine reports the stream as a local source; PIM (DR on the LAN) opens the Register
 * tunnel and the engine encapsulates every datagram into a Register to FRR's RP. FRR decodes them
 * (its upstream shows the (S,G)), answers with Register-Stop (no receivers of its own), and the
 * Registers stop on the wire (tcpdump, checksums verified by tcpdump -vv) while the data continues
 * natively to the receiver on the LAN.
 *
 * The kernel here has no CONFIG_IP_MROUTE, so FRR cannot forward data: the receiver sits on the LAN
 * rather than behind FRR, and FRR's part is RP and Register-Stop.
 *
 *   g: mcr-gen 192.0.2.77 ── r0 (10.1.0.2, rp_filter=1) r: mcrd, rule r0 → r1 ─┐
 *   f: FRR f1 10.6.0.1, RP 10.255.0.1 (lo) ────────────────────────────────────┤ LAN (bridge)
 *   h: mcr-sink h0 10.6.0.20 ──────────────────────────── mcrd r1 10.6.0.2 ─────┘
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runGenerator, startSink } from '../../lab/traffic/traffic.js';
import { recordDelivery } from '../../test/support/delivery.js';
import { scaled } from '../../test/support/time-scale.js';
import { Lab, canNetns, skipReason, waitFor } from '../../test/support/netns.js';
import { Capture } from '../../test/support/capture.js';
import { type PimMcrd, dumpState, lan, startPimMcrd } from './pim-data-lab.js';
import { type Frr, startFrr } from './pim-lab.js';

const G = '239.8.3.1';
const RP = '10.255.0.1';
const S = '10.6.0.2'; // mcrd's address on r1: the source of the relayed stream

describe.skipIf(!canNetns)(`mcrd registers an unroutable source's stream to FRR's RP${canNetns ? '' : ` (${skipReason})`}`, () => {
  let lab: Lab;
  let frr: Frr | undefined;
  let m: PimMcrd | undefined;
  let cap: Capture | undefined;
  const ns = { g: '', f: '', r: '', h: '' };

  beforeAll(async () => {
    lab = await Lab.create('reg', 'pd');
    for (const n of ['g', 'f', 'r', 'h'] as const) ns[n] = await lab.ns(n);
    await lab.veth(ns.g, 'g0', '10.1.0.1/24', ns.r, 'r0', '10.1.0.2/24');
    await lab.exec(ns.g, ['ip', 'addr', 'add', '192.0.2.77/32', 'dev', 'g0']);
    for (const k of ['all', 'default', 'r0']) await lab.sysctl(ns.r, `net.ipv4.conf.${k}.rp_filter`, 1);
    await lan(lab, 'l', [[ns.f, 'f1', '10.6.0.1/24'], [ns.r, 'r1', `${S}/24`], [ns.h, 'h0', '10.6.0.20/24']]);
    await lab.exec(ns.f, ['ip', 'addr', 'add', `${RP}/32`, 'dev', 'lo']);
    await lab.exec(ns.r, ['ip', 'route', 'add', `${RP}/32`, 'via', '10.6.0.1']);
    frr = await startFrr(lab, ns.f, `interface lo\n ip pim\n!\ninterface f1\n ip pim\n!\nip pim rp ${RP} 224.0.0.0/4\n`);
    m = await startPimMcrd(lab, ns.r, {
      pim: { enabled: true, interfaces: [{ name: 'r1', dr_priority: 10 }], rp_address: RP },
      rules: [{ id: 'cam', input: { interface: 'r0', group: G, port: 5000 }, outputs: [{ interface: 'r1', group: G, port: 5000, ttl: 8 }] }],
    }, 19483);
    cap = await Capture.start(ns.r, 'r1', 'ip proto 103 and not dst 224.0.0.13', { verbose: true });
  }, scaled(40_000));

  afterAll(async () => {
    await cap?.stop();
    await m?.stop().catch(() => {});
    await frr?.stop().catch(() => {});
    await lab?.destroy();
  });

  test('Registers at data rate until FRR\'s Register-Stop, then native only; the receiver gets ≥ 99 %', async () => {
    expect(await lab.exec(ns.r, ['ip', 'route', 'get', '192.0.2.77']).catch((e: Error) => e.message)).toMatch(/unreachable/);
    await waitFor(async () => ((await frr!.vtysh('show ip pim interface f1 json')) as Record<string, { drAddress?: string }>).f1?.drAddress === S, 'FRR electing mcrd (priority 10) DR on the LAN', 15_000, 200);

    const sink = await startSink({ netns: ns.h, listen: [`${G}:5000`], interface: 'h0', expectCount: 20_000, durationS: 40 });
    const gen = await runGenerator({ netns: ns.g, dst: [`${G}:5000`], interface: 'g0', bind: '192.0.2.77', ratePps: 2000, count: 20_000, payloadBytes: 1316, ttl: 8 });
    const l = (await sink.done).listens[0]!;

    const registers = cap!.matching(new RegExp(`${S} > ${RP.replaceAll('.', '\\.')}: PIMv2.*Register,`));
    const stops = cap!.matching(/ > 10\.6\.0\.2: PIMv2.*Register Stop/);
    const upstream = (await frr!.vtysh('show ip pim upstream json')) as Record<string, Record<string, { regState?: string; firstHopRouter?: boolean; inboundInterface?: string }>>;
    console.log(`[frr] show ip pim upstream json, ${G}: ${JSON.stringify(upstream[G])}`);
    console.log(`[wire] first Register: ${registers[0]?.text.slice(0, 200)}`);
    console.log(`[wire] first Register-Stop: ${stops[0]?.text.slice(0, 200)}`);
    if (!registers.length || !stops.length) await dumpState(m!, frr);
    expect(registers.length).toBeGreaterThan(0);
    expect(stops.length).toBeGreaterThan(0);
    // tcpdump -vv verifies the PIM checksum (over the 8-byte header for a Register).
    expect(registers[0]!.text).not.toMatch(/incorrect|bad cksum/i);
    const stopMs = stops[0]!.at - registers[0]!.at;
    // Registers on the wire stop once the Register-Stop is in (allow the ones already queued, 50 ms).
    const after = registers.filter((r) => r.at > stops[0]!.at + 50 && !/Null/i.test(r.text));
    const state = (await m!.json<{ state: Array<{ source: string; group: string; register?: string }> }>(['pim', 'state'])).state.find((x) => x.source === S && x.group === G);
    recordDelivery('case 3: unroutable source relayed by mcrd (DR, Registers to FRR RP), receiver on the LAN, 2000 pps x 10 s', l.received, gen.sent, {
      lost: l.lost, duplicates: l.duplicates, registers: registers.length, registerToStopMs: stopMs, registersAfterStop: after.length,
    });
    expect(after).toEqual([]);
    expect(state).toMatchObject({ register: 'Prune' });
    expect(Object.keys(upstream[G] ?? {})).toContain(S);
    expect(l.received / gen.sent).toBeGreaterThanOrEqual(0.99);
    expect(l).toMatchObject({ duplicates: 0, payloadErrors: 0 });
    expect(await m!.metric('mcr_pim_registers_total', { event: 'stopped' })).toBeGreaterThanOrEqual(1);
  }, scaled(60_000));
});

/**
 * Interop case 6 (issue 11) with FRR 8.4 in the data path: mcrd and FRR both forward one stream onto a
 * LAN and the PIM Assert between them elects one forwarder.
 *
 * A (FRR) is the RP (10.255.0.1 on its lo) and reaches S through mcrd B, the first-hop router of S.
 * On LAN D sit A, B and two FRR last-hop routers with a receiver each: C1 reaches S through A, C2
 * through B. Both join (*,G) toward A; at the first datagram down the shared tree each sends Join(S,G)
 * to its RPF neighbor toward S: C1 to A, C2 to B. Now A and B both forward S onto D, each sees the
 * other's copies arrive on an outgoing interface (FRR: the kernel's WRONGVIF upcall; mcrd: its source
 * watch) and they Assert. Both use the SPT metric (RPT bit clear):
 *
 *   router   RPT  preference                               metric                                    address on D
 *   A FRR     0   0 (zebra's distance for a kernel route)  10 (its route to S: `ip route … metric 10`)  10.40.0.3
 *   B mcrd    0   0 (mcrd: 0 for an `ip route` route)      30 (S's prefix route: `ip addr … metric 30`) 10.40.0.4
 *
 * Equal RPT bit and preference; A's lower metric wins although B has the higher address, which would
 * decide a tie: both sides must carry and compare the metric, not just the address (B's Asserts on the
 * wire are checked too). B becomes Assert loser and stops forwarding S onto D; C2 follows the winner.
 * After it settles the receivers see no duplicates and only A's copies cross D (counted by source MAC
 * on C1's port).
 *
 * Why FRR and not mcrd is the winner here: with the metrics the other way round (mcrd winning), both
 * sides agreed on the election — FRR showed A as LOSER to B with B's metric decoded right — but FRR
 * 8.4 went on forwarding S onto D as loser (3000 of 3000 datagrams of stream 2 crossed D from A as
 * well as from B): A's outgoing interface there is inherited from (*,G), and FRR's loser handling
 * removes only what (S,G) Joins added (FRR issue 21980). That is FRR's bug, and with it no receiver
 * could be free of duplicates; with mcrd as loser the election and the data path both hold.
 *
 *   g: mcr-gen 10.1.0.1 ── b0 10.1.0.2 B (mcrd) ba 10.20.0.2 ── ab 10.20.0.1 A (FRR, RP 10.255.0.1 on lo)
 *   LAN D (bridge): C1 c1lan .1, C2 c2lan .2, A alan .3, B blan .4 (10.40.0.0/24)
 *   C1 c1h 10.51.0.1 ── h1 10.51.0.2 mcr-sink;  C2 c2h 10.52.0.1 ── h2 10.52.0.2 mcr-sink
 *
 * @needs-kernel-mroute: FRR forwards (and hears IGMP) only through the kernel's multicast routing; on
 * a host without it the Assert test is skipped with the reason printed (the adjacency test still
 * runs) and `npm test` runs this file again in the test VM (test/vm/), where all of it is required.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { kernelMroutingMissing } from '../../lab/runners/mroute.js';
import { runGenerator, startSink, type SinkHandle } from '../../lab/traffic/traffic.js';
import { Capture } from '../../test/support/capture.js';
import { recordDelivery } from '../../test/support/delivery.js';
import { Lab, canNetns, skipReason, waitFor } from '../../test/support/netns.js';
import { scaled } from '../../test/support/time-scale.js';
import { type PimMcrd, dumpState, lan, startPimMcrd } from './pim-data-lab.js';
import { type Frr, startFrr } from './pim-lab.js';

const G = '239.8.6.6';
const S = '10.1.0.1';
const RP = '10.255.0.1';
const A_D = '10.40.0.3';
const B_D = '10.40.0.4';
const STREAM2 = { count: 3000, ratePps: 500 };

const mrouteMissing = kernelMroutingMissing();
if (canNetns && mrouteMissing) console.warn(`pim-frr-assert e2e: the Assert test is skipped here: ${mrouteMissing}`);

const frrConf = (pim: string[], igmp: string[]) => [
  ...pim.flatMap((i) => [`interface ${i}`, ' ip pim', ...(igmp.includes(i) ? [' ip igmp'] : []), '!']),
  `ip pim rp ${RP} 224.0.0.0/4`, '',
].join('\n');

interface AssertRow { interface: string; source: string; group: string; state: string; winner: string | null }

describe.skipIf(!canNetns)(`Assert between mcrd and FRR on one LAN${canNetns ? '' : ` (${skipReason})`}`, () => {
  let lab: Lab;
  let b: PimMcrd | undefined;
  const frr: Record<'a' | 'c1' | 'c2', Frr | undefined> = { a: undefined, c1: undefined, c2: undefined };
  const caps: Capture[] = [];
  const sinks: SinkHandle[] = [];
  const ns = { g: '', a: '', b: '', c1: '', c2: '', h1: '', h2: '' };

  beforeAll(async () => {
    lab = await Lab.create('c6a', 'pd');
    for (const n of ['g', 'a', 'b', 'c1', 'c2', 'h1', 'h2'] as const) ns[n] = await lab.ns(n);
    await lab.veth(ns.g, 'g0', `${S}/24`, ns.b, 'b0', null);
    await lab.exec(ns.b, ['ip', 'addr', 'add', '10.1.0.2/24', 'dev', 'b0', 'metric', '30']);
    await lab.veth(ns.b, 'ba', '10.20.0.2/24', ns.a, 'ab', '10.20.0.1/24');
    await lab.exec(ns.a, ['ip', 'addr', 'add', `${RP}/32`, 'dev', 'lo']);
    await lan(lab, 'd', [[ns.c1, 'c1lan', '10.40.0.1/24'], [ns.c2, 'c2lan', '10.40.0.2/24'], [ns.a, 'alan', `${A_D}/24`], [ns.b, 'blan', `${B_D}/24`]]);
    await lab.veth(ns.c1, 'c1h', '10.51.0.1/24', ns.h1, 'h1', '10.51.0.2/24');
    await lab.veth(ns.c2, 'c2h', '10.52.0.1/24', ns.h2, 'h2', '10.52.0.2/24');
    const routes: Array<[string, string[]]> = [
      [ns.a, ['10.1.0.0/24', 'via', '10.20.0.2', 'metric', '10']],
      [ns.b, [`${RP}/32`, 'via', '10.20.0.1']],
      [ns.c1, ['10.1.0.0/24', 'via', A_D]], [ns.c1, [`${RP}/32`, 'via', A_D]],
      [ns.c2, ['10.1.0.0/24', 'via', B_D]], [ns.c2, [`${RP}/32`, 'via', A_D]],
    ];
    for (const [n, r] of routes) await lab.exec(n, ['ip', 'route', 'add', ...r]);
    // mcrd first: it is by far the slowest to start in the test VM, and FRR sends its Joins only to neighbors.
    b = await startPimMcrd(lab, ns.b, { pim: { enabled: true, interfaces: ['b0', 'ba', 'blan'].map((name) => ({ name, hello_period: 5 })), rp_address: RP } }, 19610);
    frr.a = await startFrr(lab, ns.a, frrConf(['lo', 'ab', 'alan'], []));
    frr.c1 = await startFrr(lab, ns.c1, frrConf(['c1lan', 'c1h'], ['c1h']));
    frr.c2 = await startFrr(lab, ns.c2, frrConf(['c2lan', 'c2h'], ['c2h']));
  }, scaled(60_000));

  afterAll(async () => {
    for (const s of sinks) await s.stop().catch(() => {});
    for (const c of caps) await c.stop();
    await b?.stop().catch(() => {});
    for (const f of Object.values(frr)) await f?.stop({ wait: true }).catch(() => {});
    await lab?.destroy();
  });

  const frrNeighbors = async (f: Frr, ifname: string) => Object.keys(((await f.vtysh('show ip pim neighbor json')) as Record<string, Record<string, unknown>>)[ifname] ?? {}).sort();
  const mcrdNeighbors = async (ifname: string) => (await b!.json<{ neighbors: Array<{ interface: string; address: string }> }>(['pim', 'neighbors'])).neighbors.filter((n) => n.interface === ifname).map((n) => n.address).sort();

  async function adjacent(): Promise<void> {
    await waitFor(async () => (await mcrdNeighbors('blan')).length === 3 && (await mcrdNeighbors('ba')).length === 1 && (await frrNeighbors(frr.a!, 'alan')).length === 3, 'every adjacency on D and A–B up', 30_000, 200);
  }

  test('mcrd and FRR are PIM neighbors on D and on the A–B link; A is the RP in every view; the routes to S carry metric 10 (A, zebra distance 0) and 30 (B)', async () => {
    await adjacent();
    expect(await mcrdNeighbors('blan')).toEqual(['10.40.0.1', '10.40.0.2', A_D]);
    expect(await mcrdNeighbors('ba')).toEqual(['10.20.0.1']);
    const views: Array<[Frr, string, string[]]> = [
      [frr.a!, 'alan', ['10.40.0.1', '10.40.0.2', B_D]], [frr.a!, 'ab', ['10.20.0.2']],
      [frr.c1!, 'c1lan', ['10.40.0.2', A_D, B_D]], [frr.c2!, 'c2lan', ['10.40.0.1', A_D, B_D]],
    ];
    for (const [f, ifname, others] of views) {
      await waitFor(async () => (await frrNeighbors(f, ifname)).length === others.length, `FRR's neighbors on ${ifname}`, 30_000, 200);
      expect(await frrNeighbors(f, ifname)).toEqual(others);
    }
    const rp = await b!.json<{ rp: { ranges: Array<{ range: string; rp: string }> } }>(['pim', 'rp']);
    expect(rp.rp.ranges).toEqual([expect.objectContaining({ range: '224.0.0.0/4', rp: RP })]);
    type RpInfo = Record<string, Array<{ rpAddress: string; iAmRP: boolean; group: string }>>;
    for (const [f, me] of [[frr.a!, true], [frr.c1!, false], [frr.c2!, false]] as const) {
      expect(((await f.vtysh('show ip pim rp-info json')) as RpInfo)[RP]).toEqual([expect.objectContaining({ group: '224.0.0.0/4', iAmRP: me })]);
    }
    // The premises of the metrics asserted: zebra's route to S on A, a kernel route (distance 0) with
    // metric 10; on B the kernel's route to S (what mcrd's RPF lookup answers), S's prefix with metric 30.
    type Routes = Record<string, Array<{ protocol: string; distance: number; metric: number }>>;
    expect(((await frr.a!.vtysh(`show ip route ${S} json`)) as Routes)['10.1.0.0/24']).toEqual([expect.objectContaining({ protocol: 'kernel', distance: 0, metric: 10 })]);
    const onB = JSON.parse(await lab.exec(ns.b, ['ip', '-j', 'route', 'show', 'match', S])) as Array<{ dst: string; dev: string; metric?: number }>;
    expect(onB).toEqual([expect.objectContaining({ dst: '10.1.0.0/24', dev: 'b0', metric: 30 })]);
  }, scaled(60_000));

  test.skipIf(mrouteMissing !== undefined)(`Assert on D: FRR A wins on the metric, mcrd B stops forwarding S there; no duplicates after it settles${mrouteMissing ? ` (skipped: ${mrouteMissing})` : ''}`, async () => {
    await adjacent();
    const mac = async (n: string, ifname: string) => (JSON.parse(await lab.exec(n, ['ip', '-j', 'link', 'show', 'dev', ifname])) as Array<{ address: string }>)[0]!.address;
    const capture = async (filter: string, verbose = false) => { const c = await Capture.start(ns.c1, 'c1lan', filter, { verbose }); caps.push(c); return c; };
    const [capA, capB] = [await capture(`udp and dst host ${G} and ether src ${await mac(ns.a, 'alan')}`), await capture(`udp and dst host ${G} and ether src ${await mac(ns.b, 'blan')}`)];
    const capPim = await capture('ip proto 103', true);

    for (const [n, ifname] of [[ns.h1, 'h1'], [ns.h2, 'h2']] as const) sinks.push(await startSink({ netns: n, listen: [`${G}:5000`], interface: ifname, durationS: Math.ceil(scaled(120_000) / 1000) }));
    const starJoined = async (f: Frr) => Object.values(((await f.vtysh('show ip pim upstream json')) as Record<string, Record<string, Record<string, unknown>>>)[G]?.['*'] ?? {}).includes('Joined');
    await waitFor(async () => (await starJoined(frr.c1!)) && (await starJoined(frr.c2!)), 'C1 and C2 joined (*,G) toward A', 20_000, 100);

    // Stream 1 converges: Register to A, A joins S, shared tree onto D, C1 and C2 switch to the SPT, both forward, Assert.
    const stop1 = new AbortController();
    const gen1 = runGenerator({ netns: ns.g, dst: [`${G}:5000`], interface: 'g0', bind: S, ratePps: 200, durationS: Math.ceil(scaled(60_000) / 1000), payloadBytes: 1000, ttl: 16, signal: stop1.signal })
      .catch((e: Error & { isCanceled?: boolean }) => { if (!e.isCanceled && !stop1.signal.aborted) throw e; });
    const mcrdAsserts = async () => (await b!.json<{ assert: AssertRow[] }>(['pim', 'assert'])).assert.filter((x) => x.group === G && x.source === S);
    const frrAsserts = async (f: Frr) => (await f.table('show ip pim assert')).filter((r) => r['Group'] === G && r['Source'] === S);
    const t0 = Date.now();
    const settled = async () => (await mcrdAsserts()).some((x) => x.interface === 'blan' && x.state === 'Loser' && x.winner === A_D) &&
      (await frrAsserts(frr.a!)).some((r) => r['Interface'] === 'alan' && r['State'] === 'WINNER');
    let settleMs: number;
    try {
      await waitFor(settled, 'mcrd B Assert loser to A on blan and FRR A Assert winner on alan', 40_000, 100).catch(async (e: Error) => {
        console.log(`[assert] not settled: mcrd ${JSON.stringify(await mcrdAsserts())}; FRR A ${JSON.stringify(await frrAsserts(frr.a!))}; copies on D from A ${capA.lines.length}, from B ${capB.lines.length}`);
        await dumpState(b!, frr.a);
        for (const [name, f] of Object.entries(frr)) {
          for (const c of ['show ip pim upstream json', 'show ip mroute json']) console.log(`[state] FRR ${name} ${c}: ${JSON.stringify(await f!.vtysh(c))}`);
          console.log(`[state] FRR ${name} show ip pim assert-internal: ${JSON.stringify(await f!.table('show ip pim assert-internal'))}`);
        }
        throw e;
      });
      settleMs = Date.now() - t0;
      // A moment of stream 1 after settling (the loser's copies, if any, would show), then stop it.
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      stop1.abort();
      await gen1;
    }

    const assertsOnWire = (src: string) => capPim.matching(new RegExp(`\\b${src.replaceAll('.', '\\.')} > 224\\.0\\.0\\.13: .*Assert`));
    const views = {
      mcrdB: await mcrdAsserts(),
      frrA: await frrAsserts(frr.a!),
      frrAMetric: (await frr.a!.table('show ip pim assert-metric')).filter((r) => r['Group'] === G && r['Source'] === S),
      frrC1: await frrAsserts(frr.c1!),
      frrC2: await frrAsserts(frr.c2!),
      frrC2WinnerMetric: (await frr.c2!.table('show ip pim assert-winner-metric')).filter((r) => r['Group'] === G && r['Source'] === S),
      assertsFromA: assertsOnWire(A_D).map((l) => l.text),
      assertsFromB: assertsOnWire(B_D).map((l) => l.text),
    };
    // The timeline on D as C1 saw it, from the start of stream 1.
    const at = (l: Array<{ at: number }>) => (l[0] ? `+${Math.round(l[0].at - t0)} ms` : 'never');
    console.log(`[assert] stream 1 started; first copy on D from A ${at(capA.lines)}, from B ${at(capB.lines)}; first Assert from A ${at(assertsOnWire(A_D))}, from B ${at(assertsOnWire(B_D))}; ` +
      `both views settled by +${settleMs} ms (polled); copies on D so far: from A ${capA.lines.length}, from B ${capB.lines.length}\n${JSON.stringify(views, null, 1)}`);
    expect(views.mcrdB).toEqual([expect.objectContaining({ interface: 'blan', state: 'Loser', winner: A_D })]);
    expect(views.frrA).toEqual([expect.objectContaining({ Interface: 'alan', State: 'WINNER', Winner: A_D })]);
    expect(views.frrAMetric).toEqual([expect.objectContaining({ Interface: 'alan', RPT: 'no', Pref: '0', Metric: '10' })]);
    // mcrd's Asserts as sent: SPT (no RPT bit), preference 0, metric 30 (tcpdump decodes the fields).
    expect(views.assertsFromB.length).toBeGreaterThan(0);
    for (const l of views.assertsFromB) expect(l).toMatch(/pref=0 metric=30\b/);
    for (const l of views.assertsFromB) expect(l).not.toMatch(/RPT/);

    // Settled: stream 2, every datagram once at each receiver, and only A's copies on D.
    const [a0, b0] = [capA.lines.length, capB.lines.length];
    const gen2 = await runGenerator({ netns: ns.g, dst: [`${G}:5000`], interface: 'g0', bind: S, ...STREAM2, payloadBytes: 1000, ttl: 16, streamId: 2 });
    await waitFor(() => capA.lines.length - a0 >= STREAM2.count, 'stream 2 on D', 5000, 50).catch(() => {});
    const onDFromA = capA.lines.length - a0;
    const onDFromB = capB.lines.length - b0;
    const reports = [];
    for (const s of sinks.splice(0)) reports.push((await s.stop()).listens[0]!);
    for (const [i, l] of reports.entries()) {
      const s1 = l.streams.find((x) => x.streamId === 1);
      const s2 = l.streams.find((x) => x.streamId === 2);
      // Stream 1 was stopped once the Assert had settled: "sent" here is what the sink saw of it, received + lost.
      recordDelivery(`case 6 (FRR): h${i + 1} stream 1 (duplicates until the Assert), 200 pps`, s1?.received ?? 0, (s1?.received ?? 0) + (s1?.lost ?? 0), { lost: s1?.lost, duplicates: s1?.duplicates, firstSeq: s1?.firstSeq, settleMs });
      recordDelivery(`case 6 (FRR): h${i + 1} stream 2 after the Assert, ${STREAM2.ratePps} pps`, s2?.received ?? 0, gen2.sent, { lost: s2?.lost, duplicates: s2?.duplicates, onDFromA, onDFromB });
      expect(s2).toMatchObject({ received: STREAM2.count, lost: 0, duplicates: 0 });
      expect(l.payloadErrors).toBe(0);
    }
    expect(gen2.sent).toBe(STREAM2.count);
    expect({ onDFromA, onDFromB }).toEqual({ onDFromA: STREAM2.count, onDFromB: 0 });
  }, scaled(150_000));
});

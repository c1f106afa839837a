/**
 * Interop case 2 (issue 11): mcrd as the last-hop router, FRR 8.4 as the RP. A kernel receiver joins
 * behind mcrd → mcrd sends Join(*,G) toward the RP (FRR shows it on f1 in `show ip pim join json`) →
 * the stream reaches the receiver through mcrd's (*,G) route (iif = RPF interface toward the RP) →
 * the receiver leaves → mcrd prunes and FRR's join state for f1 is gone.
 *
 * The kernel of this machine is built without CONFIG_IP_MROUTE (MRT_INIT fails with ENOPROTOOPT), so
 * no FRR can forward multicast data here: FRR plays the control-plane part (RP, Join/Prune state) and
 * the source sits on the LAN it shares with mcrd, instead of behind FRR as first-hop router.
 *
 *   g: mcr-gen 10.6.0.10 ─┐
 *   f: FRR f1 10.6.0.1 ───┤ LAN (bridge, namespace l)      RP 10.255.0.1 on FRR's lo
 *   r: mcrd r0 10.6.0.2 ──┘  r: r1 10.7.0.1 (IGMP querier) ── s0 10.7.0.2 s: mcr-sink (kernel joins)
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runGenerator, startSink } from '../../lab/traffic/traffic.js';
import { recordDelivery } from '../../test/support/delivery.js';
import { scaled } from '../../test/support/time-scale.js';
import { Lab, canNetns, skipReason, waitFor } from '../../test/support/netns.js';
import { type PimMcrd, dumpState, lan, mroute, startPimMcrd } from './pim-data-lab.js';
import { type Frr, startFrr } from './pim-lab.js';

const G = '239.8.2.1';
const S = '10.6.0.10';
const RP = '10.255.0.1';

/** FRR's `show ip pim join json`: interface → group → source ("*" for (*,G)) → state (plus interface fields). */
type FrrJoins = Record<string, Record<string, Record<string, { channelJoinName?: string; expire?: string }>>>;

describe.skipIf(!canNetns)(`mcrd as last-hop router, FRR as RP${canNetns ? '' : ` (${skipReason})`}`, () => {
  let lab: Lab;
  let frr: Frr | undefined;
  let m: PimMcrd | undefined;
  const ns = { g: '', f: '', r: '', s: '' };

  beforeAll(async () => {
    lab = await Lab.create('last', 'pd');
    for (const n of ['g', 'f', 'r', 's'] as const) ns[n] = await lab.ns(n);
    await lan(lab, 'l', [[ns.g, 'g0', `${S}/24`], [ns.f, 'f1', '10.6.0.1/24'], [ns.r, 'r0', '10.6.0.2/24']]);
    await lab.veth(ns.r, 'r1', '10.7.0.1/24', ns.s, 's0', '10.7.0.2/24');
    await lab.exec(ns.f, ['ip', 'addr', 'add', `${RP}/32`, 'dev', 'lo']);
    await lab.exec(ns.r, ['ip', 'route', 'add', `${RP}/32`, 'via', '10.6.0.1']);
    await lab.exec(ns.f, ['ip', 'route', 'add', '10.7.0.0/24', 'via', '10.6.0.2']);
    frr = await startFrr(lab, ns.f, `interface lo\n ip pim\n!\ninterface f1\n ip pim\n!\nip pim rp ${RP} 224.0.0.0/4\n`);
    m = await startPimMcrd(lab, ns.r, {
      igmp: { enabled: true, querier_interfaces: ['r1'], query_interval: 5, query_response_interval: 1, last_member_query_interval: 0.2, last_member_query_count: 2 },
      pim: { enabled: true, interfaces: [{ name: 'r0' }], rp_address: RP },
    }, 19482);
  }, scaled(40_000));

  afterAll(async () => {
    await m?.stop().catch(() => {});
    await frr?.stop().catch(() => {});
    await lab?.destroy();
  });

  const starJoin = async () => ((await frr!.vtysh('show ip pim join json')) as FrrJoins).f1?.[G]?.['*'];

  test('join → FRR shows the (*,G) Join on f1 → the stream reaches the receiver → leave → FRR forgets the join', async () => {
    await waitFor(async () => ((await frr!.vtysh('show ip pim neighbor json')) as Record<string, Record<string, unknown>>).f1?.['10.6.0.2'], 'mcrd in FRR neighbors', 15_000, 200);
    await waitFor(async () => (await m!.json<{ neighbors: Array<{ address: string }> }>(['pim', 'neighbors'])).neighbors.some((n) => n.address === '10.6.0.1'), 'FRR in mcrd neighbors', 15_000, 100);

    const sink = await startSink({ netns: ns.s, listen: [`${G}:5000`], interface: 's0', expectCount: 10_000, durationS: 40 });
    const joinedAt = Date.now();
    await waitFor(async () => (await starJoin())?.channelJoinName === 'JOIN', 'FRR showing mcrd\'s (*,G) Join on f1', 10_000, 20);
    const joinMs = Date.now() - joinedAt;
    console.log(`[frr] show ip pim join json, f1 ${G} *: ${JSON.stringify(await starJoin())}`);
    await waitFor(async () => (await mroute(m!)).some((x) => x.group === G && x.source === null && x.iif === 'r0'), '(*,G) route r0 -> r1 in mcrd', 5000, 20);
    // Read while the receiver is joined: once the sink has its datagrams it exits, and the route goes
    // one last-member query time (0.4 s) later.
    const routes = (await mroute(m!)).filter((x) => x.group === G);

    const gen = await runGenerator({ netns: ns.g, dst: [`${G}:5000`], interface: 'g0', bind: S, ratePps: 1000, count: 10_000, payloadBytes: 1316, ttl: 8 });
    const l = (await sink.done).listens[0]!;
    recordDelivery('case 2: mcrd last hop, FRR RP (control plane), 1000 pps x 10 s', l.received, gen.sent, {
      lost: l.lost, duplicates: l.duplicates, firstSeq: l.firstSeq, joinToFrrJoinMs: joinMs,
    });
    if (l.received / gen.sent < 0.99) await dumpState(m!, frr);
    expect(gen.sent).toBe(10_000);
    expect(l.received / gen.sent).toBeGreaterThanOrEqual(0.99);
    expect(l).toMatchObject({ duplicates: 0, payloadErrors: 0 });
    expect(routes).toEqual(expect.arrayContaining([expect.objectContaining({ origin: 'pim', iif: 'r0', source: null, oifs: [expect.objectContaining({ interface: 'r1' })] })]));

    // The sink has exited: its kernel left the group; mcrd prunes (*,G) and FRR's join state on f1 goes.
    const leftAt = Date.now();
    await waitFor(async () => (await starJoin())?.channelJoinName !== 'JOIN', 'FRR join state for f1 gone after the Leave', 15_000, 50);
    console.log(`[leave] FRR join state on f1: ${JSON.stringify(await starJoin()) ?? 'none'}, ${Date.now() - leftAt} ms after the receiver left`);
  }, scaled(90_000));
});

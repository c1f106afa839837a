/**
 * Interop case 7 (issue 11): RP discovery by BSR. The RP-set comes from Bootstrap messages that FRR
 * 8.4 pimd accepts and floods on to mcrd; mcrd learns it (`mcrctl pim rp --json`, source bsr), elects
 * the RP for a local receiver's group as FRR does (`show ip pim rp-info json`), and joins (*,G) toward
 * it: FRR, the elected RP, shows mcrd's Join (`show ip pim join json`, `show ip pim upstream json`).
 * A static RP in mcrd's config wins over the BSR's for the groups it covers.
 *
 * FRR 8.4 has no candidate-BSR or candidate-RP role (they came with FRR 10), so the BSR is emulated
 * by host b, as FRR's own BSM topotests do: it sends PIM Hellos and the Bootstrap messages a BSR at
 * 10.7.1.1 would, listing FRR's loopback 10.7.9.1 (priority 10) and 10.7.9.2 (priority 200) as
 * candidate RPs for 239.0.0.0/8. FRR checks them (RPF toward the BSR, BSR preference) and forwards
 * them; mcrd accepts them only from FRR, its RPF neighbor toward the BSR.
 *
 *   b: BSR (b0 10.7.1.1) ── (f0 10.7.1.2) f: FRR, lo 10.7.9.1 (f1 10.7.2.1) ── (r0 10.7.2.2) r: mcrd (r1 10.7.3.1) ── (h0 10.7.3.2) h: receiver
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type SinkHandle, startSink } from '../../lab/traffic/traffic.js';
import { type McrdHandle, startMcrd } from '../../test/support/mcrd.js';
import { scaled } from '../../test/support/time-scale.js';
import { Lab, canNetns, skipReason, waitFor } from '../../test/support/netns.js';
import { ctlJson } from './igmp-lab.js';
import { type Frr, pimHex, startFrr } from './pim-lab.js';

if (!canNetns) console.warn(`skipping PIM BSR e2e: ${skipReason}`);

const INJECT = fileURLToPath(new URL('./pim-inject.py', import.meta.url));
const BSR = '10.7.1.1';
const FRR_RP = '10.7.9.1';
const OTHER_RP = '10.7.9.2';
const STATIC_RP = '10.7.9.3';
const G_BSR = '239.1.2.3';
const G_STATIC = '239.3.3.3';
const FRR_CONF = ['interface lo', ' ip pim', '!', 'interface f0', ' ip pim', ' ip pim hello 1 4', '!', 'interface f1', ' ip pim', ' ip pim hello 1 4', '!', ''].join('\n');
const MCRD_CONF = {
  pim: { enabled: true, interfaces: [{ name: 'r0', hello_period: 1 }], static_rp: [{ group: '239.3.0.0/16', rp: STATIC_RP }] },
  igmp: { enabled: true, querier_interfaces: ['r1'], query_interval: 10, query_response_interval: 1 },
};
const BSR_HELLO = pimHex({ type: 'hello', holdtime: 5, drPriority: 1, genId: 0x5eed, addresses: [] });
const bsm = (rps239: Array<{ address: string; holdtime: number; priority: number }>) => pimHex({
  type: 'bootstrap', noForward: false, fragmentTag: 1, hashMaskLen: 30, bsrPriority: 64, bsrAddress: BSR,
  groups: [
    { group: { addr: '239.0.0.0', maskLen: 8 }, rpCount: rps239.length, fragmentRpCount: rps239.length, rps: rps239 },
    { group: { addr: '239.3.0.0', maskLen: 16 }, rpCount: 1, fragmentRpCount: 1, rps: [{ address: FRR_RP, holdtime: 150, priority: 10 }] },
  ],
});
const BSM = bsm([{ address: FRR_RP, holdtime: 150, priority: 10 }, { address: OTHER_RP, holdtime: 150, priority: 200 }]);

interface RpView { bsr: { address: string; priority: number } | null; ranges: Array<{ range: string; rp: string; source: string; priority?: number }> }
interface StateRow { source: string; group: string; rp?: string | null; state: string; rpfInterface: string | null; rpfNeighbor: string | null }
type FrrRpInfo = Record<string, Array<{ group: string; rpAddress?: string; source?: string; iAmRP?: boolean }>>;
type FrrJoin = Record<string, Record<string, Record<string, { source?: string; group?: string; upstream?: string; channelJoinName?: string }>>>;
type FrrUpstream = Record<string, Record<string, { joinState?: string; rpfAddress?: string }>>;

describe.skipIf(!canNetns)('PIM BSR: mcrd learns the RP set through FRR and joins toward the elected RP', () => {
  let lab: Lab;
  let b: string; let f: string; let r: string; let h: string;
  let dir: string;
  let frr: Frr | undefined;
  let mcrd: McrdHandle | undefined;
  let sink: SinkHandle | undefined;
  let bsr: NodeJS.Timeout | undefined;
  /** What the BSR sends each second. */
  let current = BSM;

  beforeAll(async () => {
    lab = await Lab.create('bsr', 'prot');
    await mkdir('/tmp/prot', { recursive: true });
    dir = await mkdtemp('/tmp/prot/bsr-');
    b = await lab.ns('b'); f = await lab.ns('f'); r = await lab.ns('r'); h = await lab.ns('h');
    await lab.veth(b, 'b0', `${BSR}/24`, f, 'f0', '10.7.1.2/24');
    await lab.veth(f, 'f1', '10.7.2.1/24', r, 'r0', '10.7.2.2/24');
    await lab.veth(r, 'r1', '10.7.3.1/24', h, 'h0', '10.7.3.2/24');
    await lab.exec(f, ['ip', 'addr', 'add', `${FRR_RP}/32`, 'dev', 'lo']);
    await lab.exec(r, ['ip', 'route', 'add', '10.7.0.0/16', 'via', '10.7.2.1']);
    await lab.exec(b, ['ip', 'route', 'add', '10.7.0.0/16', 'via', '10.7.1.2']);
    frr = await startFrr(lab, f, FRR_CONF);
    await writeFile(join(dir, 'mcrd.json5'), JSON.stringify(MCRD_CONF));
    mcrd = await startMcrd({ netns: r, dir, args: ['--config', join(dir, 'mcrd.json5')] });
  }, scaled(40_000));

  afterAll(async () => {
    if (bsr) clearInterval(bsr);
    await sink?.stop().catch(() => {});
    await mcrd?.stop().catch(() => {});
    await frr?.stop({ wait: true }).catch(() => {});
    await lab?.destroy().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  });

  const rpView = async () => (await ctlJson<{ rp: RpView }>(mcrd!, ['pim', 'rp'])).rp;
  const state = async () => (await ctlJson<{ state: StateRow[] }>(mcrd!, ['pim', 'state'])).state;
  /** FRR's downstream (*,G) join state on f1, mcrd's LAN. */
  const frrJoin = async (group: string) => ((await frr!.vtysh('show ip pim join json')) as FrrJoin).f1?.[group]?.['*'];
  /** FRR's group → RP mappings for `range` (its JSON is keyed by RP address). */
  const frrRp = async (range: string) => Object.values((await frr!.vtysh('show ip pim rp-info json')) as FrrRpInfo).flat().filter((x) => x.group === range);

  test('the BSR\'s RP set reaches mcrd through FRR; both elect FRR (priority 10) for 239.0.0.0/8', async () => {
    await waitFor(async () => ((await frr!.vtysh('show ip pim neighbor json')) as Record<string, Record<string, unknown>>).f1?.['10.7.2.2'], 'mcrd a neighbor of FRR', 15_000, 200);
    // The BSR: a Hello and a Bootstrap every second (a real BSR sends one every 60 s; faster keeps the test short).
    const send = () => lab.exec(b, ['python3', INJECT, BSR, '224.0.0.13', BSR_HELLO, current]).catch(() => {});
    await send();
    bsr = setInterval(() => void send(), 1000);
    const t0 = Date.now();
    await waitFor(async () => (await frrRp('239.0.0.0/8')).some((x) => x.rpAddress === FRR_RP && x.source === 'BSR'), 'FRR electing 10.7.9.1 for 239.0.0.0/8 from the BSR', 15_000, 200)
      .catch(async (e: Error) => { throw new Error(`${e.message}\n${JSON.stringify(await frr!.vtysh('show ip pim bsr json'))}\n${JSON.stringify(await frr!.vtysh('show ip pim rp-info json'))}`); });
    const frrMs = Date.now() - t0;
    const view = await waitFor(async () => { const v = await rpView(); return v.bsr?.address === BSR && v.ranges.some((x) => x.source === 'bsr') ? v : undefined; }, 'mcrd learning the RP set from BSR 10.7.1.1', 10_000, 100);
    const mcrdMs = Date.now() - t0;
    expect(view.bsr).toMatchObject({ address: BSR, priority: 64 });
    expect(view.ranges).toEqual(expect.arrayContaining([
      expect.objectContaining({ range: '239.0.0.0/8', rp: FRR_RP, source: 'bsr', priority: 10 }),
      expect.objectContaining({ range: '239.0.0.0/8', rp: OTHER_RP, source: 'bsr', priority: 200 }),
      expect.objectContaining({ range: '239.3.0.0/16', rp: STATIC_RP, source: 'static' }),
    ]));
    console.log(`[pim-bsr] RP set from BSR ${BSR}: in FRR's rp-info ${frrMs} ms, in mcrctl pim rp ${mcrdMs} ms after the first Bootstrap`);
    console.log(`$ mcrctl pim rp\n${(await mcrd!.ctl(['pim', 'rp'])).stdout}`);
  }, scaled(40_000));

  test('a receiver joins 239.1.2.3: mcrd joins (*,G) toward the BSR-elected RP, and FRR (the RP) shows the Join', async () => {
    sink = await startSink({ netns: h, listen: [`${G_BSR}:5000`, `${G_STATIC}:5000`], interface: 'h0', durationS: 60 });
    const t0 = Date.now();
    const star = await waitFor(async () => (await state()).find((s) => s.source === '*' && s.group === G_BSR && s.state === 'Joined'), `mcrd (*,${G_BSR}) Joined`, 10_000, 100)
      .catch(async (e: Error) => { throw new Error(`${e.message}\nstate ${JSON.stringify(await state())}\ngroups ${(await mcrd!.ctl(['igmp', 'groups'])).stdout}\nmroute ${(await mcrd!.ctl(['mroute'])).stdout}\n${mcrd!.log().split('\n').filter((l) => /pim|igmp/i.test(l)).slice(-30).join('\n')}`); });
    expect(star).toMatchObject({ rp: FRR_RP, rpfInterface: 'r0', rpfNeighbor: '10.7.2.1' });
    const join = await waitFor(() => frrJoin(G_BSR), `FRR's join state for (*,${G_BSR}) on f1`, 10_000, 200);
    const joinMs = Date.now() - t0;
    const up = ((await frr!.vtysh('show ip pim upstream json')) as FrrUpstream)[G_BSR]?.['*'];
    console.log(`[pim-bsr] (*,${G_BSR}) in FRR's show ip pim join ${joinMs} ms after the receiver joined: ${JSON.stringify(join)}; upstream joinState ${up?.joinState} rpfAddress ${up?.rpfAddress}`);
    expect(up).toMatchObject({ joinState: 'Joined' });
  }, scaled(30_000));

  test('static wins over BSR: 239.3.3.3 (BSR: FRR) goes to the static RP 10.7.9.3', async () => {
    const star = await waitFor(async () => (await state()).find((s) => s.source === '*' && s.group === G_STATIC && s.state === 'Joined'), `mcrd (*,${G_STATIC}) Joined`, 10_000, 100);
    expect(star).toMatchObject({ rp: STATIC_RP, rpfInterface: 'r0', rpfNeighbor: '10.7.2.1' });
    // FRR follows the BSR (10.7.9.1, itself) for 239.3.0.0/16, so it refuses mcrd's (*,G) Join naming
    // 10.7.9.3 (RFC 7761 §4.5.2: a Join whose RP is not ours for G is ignored), while it holds the other.
    expect((await frrRp('239.3.0.0/16')).some((x) => x.rpAddress === FRR_RP)).toBe(true);
    await new Promise((res) => setTimeout(res, 1500));
    expect(await frrJoin(G_STATIC)).toBeUndefined();
    expect(await frrJoin(G_BSR)).toBeDefined();
  }, scaled(20_000));

  test('the BSR withdraws FRR from 239.0.0.0/8: FRR and mcrd both move to 10.7.9.2 (the RP-set of each Bootstrap replaces the last)', async () => {
    current = bsm([{ address: OTHER_RP, holdtime: 150, priority: 200 }]);
    const t0 = Date.now();
    await waitFor(async () => (await frrRp('239.0.0.0/8')).some((x) => x.rpAddress === OTHER_RP), 'FRR electing 10.7.9.2 for 239.0.0.0/8', 10_000, 200);
    const frrMs = Date.now() - t0;
    const star = await waitFor(async () => (await state()).find((x) => x.source === '*' && x.group === G_BSR && x.rp === OTHER_RP), `mcrd (*,${G_BSR}) toward 10.7.9.2`, 10_000, 100)
      .catch(async (e: Error) => { throw new Error(`${e.message}\nmcrctl pim rp:\n${(await mcrd!.ctl(['pim', 'rp'])).stdout}`); });
    console.log(`[pim-bsr] RP withdrawn by the BSR: FRR moved in ${frrMs} ms, mcrd in ${Date.now() - t0} ms`);
    expect(star.rp).toBe(OTHER_RP);
  }, scaled(30_000));
});

import { describe, expect, it } from 'vitest';
import type { EncodedSource, JoinPruneMsg } from './codec.js';
import { JP_MAX_BYTES } from './jp-sender.js';
import { harness, iface } from './test-harness.js';
import { encodePim } from './codec.js';

const RP = '10.9.0.1';
const S = '10.3.3.3';
const G = '239.1.1.1';
const ifs = [iface('up0', '10.0.0.1', 1), iface('down0', '10.1.0.1', 2), iface('up1', '10.3.0.1', 3)];
const rpf = {
  [RP]: { interface: 'up0', neighbor: '10.0.0.2' },
  [S]: { interface: 'up1', neighbor: '10.3.0.2' },
};
const cfg = { interfaces: [{ name: 'up0' }, { name: 'down0' }, { name: 'up1' }], rp_address: RP };

const star = (rp = RP): EncodedSource => ({ addr: rp, maskLen: 32, s: true, w: true, r: true });
const sg = (s = S): EncodedSource => ({ addr: s, maskLen: 32, s: true, w: false, r: false });
const sgRpt = (s = S): EncodedSource => ({ addr: s, maskLen: 32, s: true, w: false, r: true });
const jp = (upstream: string, groups: Array<{ g?: string; joins?: EncodedSource[]; prunes?: EncodedSource[] }>, holdtime = 210): JoinPruneMsg => ({
  type: 'join-prune', upstream, holdtime, groups: groups.map((x) => ({ group: { addr: x.g ?? G, maskLen: 32 }, joins: x.joins ?? [], prunes: x.prunes ?? [] })),
});

/** A router with neighbors up0 10.0.0.2 (toward the RP) and up1 10.3.0.2 (toward S). */
async function router(config: object = cfg) {
  const h = harness(config, { interfaces: ifs, rpf });
  // Holdtime 0xffff (never expires) keeps them up through long fake-clock runs.
  h.hello('up0', '10.0.0.2', { holdtime: 0xffff });
  h.hello('up1', '10.3.0.2', { holdtime: 0xffff });
  await h.settle();
  h.take('hello');
  return h;
}
type H = Awaited<ReturnType<typeof router>>;

/** Entries of the Join/Prune messages sent, as "ifname upstream group J|P addr(flags)". */
function entries(h: H): string[] {
  return h.take('join-prune').flatMap((s) => s.msg.groups.flatMap((g) => [
    ...g.joins.map((e) => `${s.ifname} ${s.msg.upstream} ${g.group.addr} J ${e.addr}${e.w ? 'W' : ''}${e.r ? 'R' : ''}`),
    ...g.prunes.map((e) => `${s.ifname} ${s.msg.upstream} ${g.group.addr} P ${e.addr}${e.w ? 'W' : ''}${e.r ? 'R' : ''}`),
  ]));
}

describe('upstream (*,G) from local membership (§4.5.5)', () => {
  it('joins toward the RP on the first member, refreshes every 60 s and prunes on the last leave', async () => {
    const h = await router();
    h.join('down0', G);
    await h.settle();
    const [j] = h.sent.filter((s) => s.msg.type === 'join-prune');
    expect(j).toMatchObject({ ifname: 'up0', dst: '224.0.0.13', ttl: 1 });
    expect(j!.msg).toEqual(jp('10.0.0.2', [{ joins: [star()] }]));
    expect(entries(h)).toEqual(['up0 10.0.0.2 239.1.1.1 J 10.9.0.1WR']);
    expect(h.pim.routes()).toEqual([{ origin: 'pim', group: G, iif: 'up0', oifs: [{ interface: 'down0', reason: 'igmp' }] }]);
    expect(h.pim.view('state')).toEqual([expect.objectContaining({ source: '*', group: G, rp: RP, state: 'Joined', rpfInterface: 'up0', rpfNeighbor: '10.0.0.2', joinTimerAtMs: h.clock.now() + 60_000, oil: ['down0'] })]);
    await h.settle(59_999);
    expect(entries(h)).toEqual([]);
    await h.settle(1);
    expect(entries(h)).toEqual(['up0 10.0.0.2 239.1.1.1 J 10.9.0.1WR']);
    h.leave('down0', G);
    await h.settle();
    expect(entries(h)).toEqual(['up0 10.0.0.2 239.1.1.1 P 10.9.0.1WR']);
    expect(h.pim.routes()).toEqual([]);
    await h.settle(120_000);
    expect(entries(h)).toEqual([]);
    expect(h.pim.view('state')).toEqual([]);
  });

  it('waits for the RPF neighbor to be a PIM neighbor, and re-sends within t_override when it restarts', async () => {
    const h = harness(cfg, { interfaces: ifs, rpf });
    h.join('down0', G);
    await h.settle();
    expect(entries(h)).toEqual([]);
    h.hello('up0', '10.0.0.2', { genId: 1 });
    await h.settle();
    expect(entries(h)).toEqual(['up0 10.0.0.2 239.1.1.1 J 10.9.0.1WR']);
    await h.settle(10_000);
    h.hello('up0', '10.0.0.2', { genId: 2 });
    await h.settle(2500);
    expect(entries(h)).toEqual(['up0 10.0.0.2 239.1.1.1 J 10.9.0.1WR']);
  });

  it('sends the Hello a restarted neighbor triggered before the Join it re-sends, so a router that drops Joins from strangers takes it', async () => {
    for (let run = 0; run < 20; run++) {
      const h = await router();
      h.join('down0', G);
      await h.settle(10_000);
      h.sent.length = 0;
      h.hello('up0', '10.0.0.2', { holdtime: 0xffff, genId: 7 });
      await h.settle(5000);
      const onUp0 = h.sent.filter((s) => s.ifname === 'up0').map((s) => s.msg.type);
      // t_override (≤ 2.5 s) is shorter than the triggered-Hello delay (≤ 5 s): without the rule the Join
      // would come first in most runs.
      expect(onUp0.indexOf('hello'), onUp0.join(',')).toBeGreaterThanOrEqual(0);
      expect(onUp0.indexOf('hello'), onUp0.join(',')).toBeLessThan(onUp0.indexOf('join-prune'));
    }
  });

  it('moves the Join when the route toward the RP changes (rpfChanged)', async () => {
    const h = await router();
    h.join('down0', G);
    await h.settle();
    entries(h);
    h.rpf.set(RP, { interface: 'up1', neighbor: '10.3.0.2' });
    h.pim.rpfChanged();
    await h.settle();
    expect(entries(h).sort()).toEqual(['up0 10.0.0.2 239.1.1.1 P 10.9.0.1WR', 'up1 10.3.0.2 239.1.1.1 J 10.9.0.1WR']);
    expect(h.pim.routes()).toEqual([{ origin: 'pim', group: G, iif: 'up1', oifs: [{ interface: 'down0', reason: 'igmp' }] }]);
  });

  it('does not join when it is the RP itself, nor for SSM groups', async () => {
    const h = await router({ ...cfg, router_id: RP });
    h.join('down0', G);
    h.join('down0', '232.1.1.1');
    await h.settle();
    expect(entries(h)).toEqual([]);
  });

  it('suppresses its Join when another router joins the same upstream, and overrides its Prune', async () => {
    const h = await router();
    h.hello('up0', '10.0.0.3', { holdtime: 0xffff });
    h.join('down0', G);
    await h.settle();
    entries(h);
    await h.settle(30_000);
    // Another router's Join to the same RPF': our timer moves to rand(1.1, 1.4) × 60 s.
    h.rx('up0', '10.0.0.3', jp('10.0.0.2', [{ joins: [star()] }]));
    await h.settle(60_000 * 1.1 - 1);
    expect(entries(h)).toEqual([]);
    await h.settle(60_000 * 0.3 + 2);
    expect(entries(h)).toEqual(['up0 10.0.0.2 239.1.1.1 J 10.9.0.1WR']);
    // Its Prune: we override with a Join within t_override (≤ 2.5 s).
    h.rx('up0', '10.0.0.3', jp('10.0.0.2', [{ prunes: [star()] }]));
    await h.settle(2500);
    expect(entries(h)).toEqual(['up0 10.0.0.2 239.1.1.1 J 10.9.0.1WR']);
  });

  it('splits a large Join/Prune across packets no bigger than the MTU', async () => {
    const h = await router();
    const groups = Array.from({ length: 200 }, (_, i) => `239.2.${i >> 8}.${i & 255}`);
    for (const g of groups) h.join('down0', g);
    await h.settle();
    const msgs = h.take('join-prune');
    expect(msgs.length).toBe(3);
    for (const m of msgs) expect(encodePim(m.msg).length).toBeLessThanOrEqual(JP_MAX_BYTES);
    expect(msgs.flatMap((m) => m.msg.groups.map((g) => g.group.addr)).sort()).toEqual([...groups].sort());
  });
});

describe('downstream Join/Prune (§4.5.2–§4.5.4)', () => {
  it('adds an oif on Join(*,G) from a downstream router and expires it after the holdtime', async () => {
    const h = await router();
    h.hello('down0', '10.1.0.2');
    h.rx('down0', '10.1.0.2', jp('10.1.0.1', [{ joins: [star()] }], 100));
    await h.settle();
    expect(entries(h)).toEqual(['up0 10.0.0.2 239.1.1.1 J 10.9.0.1WR']);
    expect(h.pim.routes()).toEqual([{ origin: 'pim', group: G, iif: 'up0', oifs: [{ interface: 'down0', reason: 'pim join', expiresAtMs: h.clock.now() + 100_000 }] }]);
    expect(h.pim.view('join')).toEqual([expect.objectContaining({ interface: 'down0', source: '*', group: G, state: 'Join', expiresAtMs: h.clock.now() + 100_000 })]);
    await h.settle(100_000);
    expect(h.pim.routes()).toEqual([]);
    expect(entries(h)).toContain('up0 10.0.0.2 239.1.1.1 P 10.9.0.1WR');
  });

  it('ignores Joins addressed to another upstream router and Joins from non-neighbors', async () => {
    const h = await router();
    h.hello('down0', '10.1.0.2');
    h.rx('down0', '10.1.0.2', jp('10.1.0.9', [{ joins: [star()] }]));
    h.rx('down0', '10.1.0.7', jp('10.1.0.1', [{ joins: [star()] }]));
    h.rx('down0', '10.1.0.2', jp('10.1.0.1', [{ joins: [star()] }]), '10.1.0.1');
    await h.settle();
    expect(h.pim.routes()).toEqual([]);
    expect(h.metric('mcr_pim_dropped_total', { reason: 'notNeighbor' })).toBe(1);
    expect(h.metric('mcr_pim_dropped_total', { reason: 'badDestination' })).toBe(1);
  });

  it('prunes at once with one neighbor on the LAN', async () => {
    const h = await router();
    h.hello('down0', '10.1.0.2');
    h.rx('down0', '10.1.0.2', jp('10.1.0.1', [{ joins: [star()] }]));
    await h.settle();
    h.rx('down0', '10.1.0.2', jp('10.1.0.1', [{ prunes: [star()] }]));
    await h.settle();
    expect(h.pim.routes()).toEqual([]);
  });

  it('holds a Prune for J/P_Override_Interval on a multi-access LAN: a Join overrides it, else it ends with a PruneEcho', async () => {
    const h = await router();
    h.hello('down0', '10.1.0.2');
    h.hello('down0', '10.1.0.3', { lanPruneDelay: { tBit: false, propagationDelayMs: 700, overrideIntervalMs: 2500 } });
    h.rx('down0', '10.1.0.2', jp('10.1.0.1', [{ joins: [star()] }]));
    await h.settle();
    entries(h);
    h.rx('down0', '10.1.0.2', jp('10.1.0.1', [{ prunes: [star()] }]));
    expect(h.pim.view('join')).toEqual([expect.objectContaining({ state: 'PrunePending', prunePendingAtMs: h.clock.now() + 3200 })]);
    await h.settle(1000);
    h.rx('down0', '10.1.0.3', jp('10.1.0.1', [{ joins: [star()] }]));
    await h.settle(5000);
    expect(h.pim.view('join')).toEqual([expect.objectContaining({ state: 'Join' })]);
    h.rx('down0', '10.1.0.2', jp('10.1.0.1', [{ prunes: [star()] }]));
    await h.settle(3199);
    expect(h.pim.routes()).toHaveLength(1);
    await h.settle(1);
    expect(h.pim.routes()).toEqual([]);
    expect(entries(h).sort()).toEqual(['down0 10.1.0.1 239.1.1.1 P 10.9.0.1WR', 'up0 10.0.0.2 239.1.1.1 P 10.9.0.1WR']);
  });

  it('keeps a Prune(S,G,rpt) only while restated with the Join(*,G) of the same message', async () => {
    const h = await router();
    h.hello('down0', '10.1.0.2');
    h.rx('down0', '10.1.0.2', jp('10.1.0.1', [{ joins: [star()], prunes: [sgRpt()] }]));
    await h.settle();
    expect(h.pim.view('join')).toEqual(expect.arrayContaining([expect.objectContaining({ source: S, rpt: true, state: 'Prune' })]));
    // Nothing left downstream for S on the shared tree: we prune S off our own (*,G) upstream.
    expect(entries(h)).toEqual(['up0 10.0.0.2 239.1.1.1 J 10.9.0.1WR', 'up0 10.0.0.2 239.1.1.1 P 10.3.3.3R']);
    expect(h.pim.routes()).toEqual(expect.arrayContaining([{ origin: 'pim', group: G, source: S, iif: 'up0', oifs: [], exact: true }]));
    // The periodic Join(*,G) carries the Prune(S,G,rpt).
    await h.settle(60_000);
    expect(entries(h)).toEqual(['up0 10.0.0.2 239.1.1.1 J 10.9.0.1WR', 'up0 10.0.0.2 239.1.1.1 P 10.3.3.3R']);
    // A Join(*,G) alone cancels the (S,G,rpt) prune.
    h.rx('down0', '10.1.0.2', jp('10.1.0.1', [{ joins: [star()] }]));
    await h.settle();
    expect(h.pim.view('join')).toEqual([expect.objectContaining({ source: '*', state: 'Join' })]);
    expect(entries(h)).toEqual(['up0 10.0.0.2 239.1.1.1 J 10.3.3.3R']);
  });

  it('joins (S,G) toward the source on a downstream Join(S,G)', async () => {
    const h = await router();
    h.hello('down0', '10.1.0.2');
    h.rx('down0', '10.1.0.2', jp('10.1.0.1', [{ joins: [sg()] }]));
    await h.settle();
    expect(entries(h)).toEqual(['up1 10.3.0.2 239.1.1.1 J 10.3.3.3']);
    expect(h.pim.routes()).toEqual([{ origin: 'pim', group: G, source: S, iif: 'up1', oifs: [expect.objectContaining({ interface: 'down0', reason: 'pim join' })], exact: true }]);
    h.rx('down0', '10.1.0.2', jp('10.1.0.1', [{ prunes: [sg()] }]));
    await h.settle();
    expect(entries(h)).toEqual(['up1 10.3.0.2 239.1.1.1 P 10.3.3.3']);
  });
});

describe('SPT switchover and SSM', () => {
  /** A last hop whose receiver on down0 got S's first datagram down the shared tree (up0): Join(S,G) sent toward S (up1). */
  async function switchingToSpt() {
    const h = await router();
    h.join('down0', G);
    await h.settle();
    entries(h);
    h.pim.dataArrived('up0', S, G);
    await h.settle();
    expect(entries(h)).toEqual(['up1 10.3.0.2 239.1.1.1 J 10.3.3.3']);
    return h;
  }

  it('sets the SPT bit only on data a route took: a datagram dropped before the (S,G) route was installed leaves S on the shared tree', async () => {
    const h = await switchingToSpt();
    // The engine saw S on up1 before the (S,G) route reached it: nothing forwarded, nothing pruned.
    h.pim.dataArrived('up1', S, G, { unrouted: true });
    await h.settle();
    expect(entries(h)).toEqual([]);
    expect(h.pim.view('state')).toEqual(expect.arrayContaining([expect.objectContaining({ source: S, group: G, state: 'Joined', sptBit: false })]));
    // Its report once the route takes it.
    h.pim.dataArrived('up1', S, G);
    await h.settle();
    expect(entries(h)).toEqual(['up0 10.0.0.2 239.1.1.1 P 10.3.3.3R']);
    expect(h.pim.view('state')).toEqual(expect.arrayContaining([expect.objectContaining({ source: S, group: G, sptBit: true })]));
  });

  it('joins (S,G) on the first packet and prunes S off the shared tree once data arrives on the SPT', async () => {
    const h = await switchingToSpt();
    h.pim.dataArrived('up1', S, G);
    await h.settle();
    expect(entries(h)).toEqual(['up0 10.0.0.2 239.1.1.1 P 10.3.3.3R']);
    expect(h.pim.routes()).toEqual(expect.arrayContaining([
      { origin: 'pim', group: G, source: S, iif: 'up1', oifs: [{ interface: 'down0', reason: 'igmp' }], exact: true },
      // §4.2: with the SPT bit set, S's copies still coming down the shared tree (up0) are dropped.
      { origin: 'pim', group: G, source: S, iif: 'up0', oifs: [], exact: true },
    ]));
    expect(h.pim.view('state')).toEqual(expect.arrayContaining([
      expect.objectContaining({ source: S, group: G, state: 'Joined', sptBit: true, rpfInterface: 'up1', keepaliveAtMs: h.clock.now() + 210_000 }),
      expect.objectContaining({ source: S, group: G, rpt: true, state: 'Pruned' }),
    ]));
    // Without further data the keepalive ends the SPT join and S is back on the shared tree.
    await h.settle(210_000);
    expect(entries(h)).toEqual(expect.arrayContaining(['up1 10.3.0.2 239.1.1.1 P 10.3.3.3', 'up0 10.0.0.2 239.1.1.1 J 10.3.3.3R']));
  });

  it('stays on the shared tree with spt_switchover: never', async () => {
    const h = await router({ ...cfg, spt_switchover: 'never' });
    h.join('down0', G);
    await h.settle();
    entries(h);
    h.pim.dataArrived('up0', S, G);
    await h.settle();
    expect(entries(h)).toEqual([]);
  });

  it('ignores a downstream Join(*,G) for an SSM group but honours its Join(S,G)', async () => {
    const h = await router();
    h.hello('down0', '10.1.0.2', { holdtime: 0xffff });
    h.rx('down0', '10.1.0.2', jp('10.1.0.1', [{ g: '232.1.1.1', joins: [star(), sg()] }]));
    await h.settle();
    expect(entries(h)).toEqual(['up1 10.3.0.2 232.1.1.1 J 10.3.3.3']);
  });

  it('joins (S,G) for an IGMPv3 INCLUDE member of an SSM group', async () => {
    const h = await router();
    h.join('down0', '232.1.1.1', 'include', [S]);
    await h.settle();
    expect(entries(h)).toEqual(['up1 10.3.0.2 232.1.1.1 J 10.3.3.3']);
  });
});

import { describe, expect, it } from 'vitest';
import { assertBetter, INFINITE_METRIC } from './assert.js';
import type { EncodedSource, JoinPruneMsg } from './codec.js';
import { harness, iface } from './test-harness.js';

const RP = '10.9.0.1';
const S = '10.3.3.3';
const G = '239.1.1.1';
const ifs = [iface('up0', '10.0.0.1', 1), iface('down0', '10.1.0.1', 2), iface('up1', '10.3.0.1', 3)];
const cfg = { interfaces: [{ name: 'up0' }, { name: 'down0' }, { name: 'up1' }], rp_address: RP };
const rpf = {
  [RP]: { interface: 'up0', neighbor: '10.0.0.2', metricPreference: 110, metric: 20 },
  [S]: { interface: 'up1', neighbor: '10.3.0.2', metricPreference: 110, metric: 10 },
};
const sgJoin = (upstream: string): JoinPruneMsg => ({ type: 'join-prune', upstream, holdtime: 210, groups: [{ group: { addr: G, maskLen: 32 }, joins: [{ addr: S, maskLen: 32, s: true, w: false, r: false } as EncodedSource], prunes: [] }] });
const assertMsg = (preference: number, metric: number, rpt = false) => ({ type: 'assert' as const, group: { addr: G, maskLen: 32 }, source: S, rpt, metricPreference: preference, metric });

/** A router forwarding (S,G) onto down0, where 10.1.0.3 is another candidate forwarder. */
async function forwarder() {
  const h = harness(cfg, { interfaces: ifs, rpf });
  for (const [i, n] of [['up0', '10.0.0.2'], ['up1', '10.3.0.2'], ['up1', '10.3.0.9'], ['down0', '10.1.0.2'], ['down0', '10.1.0.3']] as const) h.hello(i, n, { holdtime: 0xffff });
  await h.settle();
  h.rx('down0', '10.1.0.2', sgJoin('10.1.0.1'));
  await h.settle();
  h.pim.dataArrived('up1', S, G);
  await h.settle();
  h.sent.length = 0;
  return h;
}
const oifs = (h: Awaited<ReturnType<typeof forwarder>>) => h.pim.routes().find((r) => r.source === S)?.oifs.map((o) => o.interface) ?? [];

describe('Assert metrics (§4.6.3)', () => {
  it('orders SPT before RPT, then preference, metric and address', () => {
    const a = { rpt: false, preference: 110, metric: 10, address: '10.0.0.1' };
    expect(assertBetter(a, { ...a, rpt: true, preference: 1 })).toBe(true);
    expect(assertBetter(a, { ...a, preference: 120 })).toBe(true);
    expect(assertBetter(a, { ...a, metric: 9 })).toBe(false);
    expect(assertBetter(a, { ...a, address: '10.0.0.0' })).toBe(true);
    expect(assertBetter(a, { ...INFINITE_METRIC, address: '10.9.9.9' })).toBe(true);
  });
});

describe('(S,G) Assert (§4.6.1)', () => {
  it('at the first hop, data from the connected source sets the SPT bit, so its Assert carries the SPT metric', async () => {
    const h = harness(cfg, { interfaces: ifs, rpf: { ...rpf, [S]: { interface: 'up1', neighbor: S, metricPreference: 0, metric: 0 } } });
    h.hello('down0', '10.1.0.2', { holdtime: 0xffff });
    h.hello('down0', '10.1.0.3', { holdtime: 0xffff });
    await h.settle();
    h.rx('down0', '10.1.0.2', sgJoin('10.1.0.1'));
    h.pim.dataArrived('up1', S, G);
    await h.settle();
    expect(h.pim.view('state')).toEqual(expect.arrayContaining([expect.objectContaining({ source: S, group: G, sptBit: true })]));
    h.sent.length = 0;
    h.pim.dataArrived('down0', S, G);
    await h.settle();
    expect(h.take('assert').map((x) => x.msg)).toEqual([assertMsg(0, 0, false)]);
  });

  it('asserts when an interface joins the outgoing list where another router\'s copies were already seen (reported only every 20 s)', async () => {
    // The first hop of S (its state lives on with the keepalive), with 10.1.0.3 forwarding S onto down0 too.
    const firstHop = async () => {
      const h = harness(cfg, { interfaces: ifs, rpf: { ...rpf, [S]: { interface: 'up1', neighbor: S, metricPreference: 0, metric: 0 } } });
      for (const [i, n] of [['up0', '10.0.0.2'], ['down0', '10.1.0.2'], ['down0', '10.1.0.3']] as const) h.hello(i, n, { holdtime: 0xffff });
      await h.settle();
      h.pim.dataArrived('up1', S, G);
      h.pim.dataArrived('down0', S, G, { unrouted: true });
      await h.settle();
      return h;
    };
    const h = await firstHop();
    expect(h.take('assert')).toEqual([]);
    // A Join puts down0 in our list: the copies seen there call for an Assert, without a new report.
    h.rx('down0', '10.1.0.2', sgJoin('10.1.0.1'));
    await h.settle();
    expect(h.take('assert').map((x) => [x.ifname, x.msg])).toEqual([['down0', assertMsg(0, 0, false)]]);
    // Seen longer ago than the engine's reports come (20 s), they do not.
    const late = await firstHop();
    await late.settle(26_000);
    late.pim.dataArrived('up1', S, G);
    late.rx('down0', '10.1.0.2', sgJoin('10.1.0.1'));
    await late.settle();
    expect(late.take('assert')).toEqual([]);
  });

  it('asserts when data shows up on an outgoing interface, and loses to a better metric', async () => {
    const h = await forwarder();
    expect(oifs(h)).toEqual(['down0']);
    h.pim.dataArrived('down0', S, G);
    await h.settle();
    expect(h.take('assert').map((s) => [s.ifname, s.dst, s.msg])).toEqual([['down0', '224.0.0.13', assertMsg(110, 10)]]);
    h.rx('down0', '10.1.0.3', assertMsg(100, 50));
    await h.settle();
    expect(oifs(h)).toEqual([]);
    expect(h.pim.view('assert')).toEqual([expect.objectContaining({ interface: 'down0', source: S, state: 'Loser', winner: '10.1.0.3' })]);
    // The winner goes quiet: after Assert_Time we forward again.
    await h.settle(180_000);
    expect(oifs(h)).toEqual(['down0']);
  });

  it('answers a worse Assert with its own and stays the forwarder, re-asserting before Assert_Time', async () => {
    const h = await forwarder();
    h.rx('down0', '10.1.0.3', assertMsg(120, 1));
    await h.settle();
    expect(h.take('assert').map((s) => s.msg)).toEqual([assertMsg(110, 10)]);
    expect(oifs(h)).toEqual(['down0']);
    await h.settle(177_000);
    expect(h.take('assert').map((s) => s.msg)).toEqual([assertMsg(110, 10)]);
  });

  // AssertCancel is the infinite metric with the RPT bit; FRR 8.4 sends it without the bit.
  it.each([true, false])('takes over when the winner sends AssertCancel (RPT bit %s)', async (rpt) => {
    const h = await forwarder();
    h.rx('down0', '10.1.0.3', assertMsg(100, 1));
    await h.settle();
    expect(oifs(h)).toEqual([]);
    h.rx('down0', '10.1.0.3', assertMsg(INFINITE_METRIC.preference, INFINITE_METRIC.metric, rpt));
    await h.settle();
    expect(oifs(h)).toEqual(['down0']);
  });

  it('as loser, a Join(S,G) naming it as upstream on that interface ends the Assert (A5): it forwards again', async () => {
    const h = await forwarder();
    h.rx('down0', '10.1.0.3', assertMsg(100, 1));
    await h.settle();
    expect(oifs(h)).toEqual([]);
    h.rx('down0', '10.1.0.2', sgJoin('10.1.0.1'));
    await h.settle();
    expect(h.pim.view('assert')).toEqual([]); // NoInfo: no Assert state to show
    expect(oifs(h)).toEqual(['down0']);
  });

  it('sends its (S,G) Join to the assert winner on the RPF interface (RPF′)', async () => {
    const h = await forwarder();
    h.rx('up1', '10.3.0.9', assertMsg(100, 1));
    await h.settle();
    const jp = h.take('join-prune').flatMap((s) => s.msg.groups.map((g) => `${s.msg.upstream} ${g.joins.length ? 'J' : 'P'} ${g.group.addr}`));
    expect(jp.sort()).toEqual(['10.3.0.2 P 239.1.1.1', '10.3.0.9 J 239.1.1.1']);
    expect(h.pim.view('state')).toEqual(expect.arrayContaining([expect.objectContaining({ source: S, rpfNeighbor: '10.3.0.9' })]));
  });

  it('downstream, an inferior Assert from another router does not replace the winner (its Join stays with the winner)', async () => {
    const h = await forwarder();
    h.rx('up1', '10.3.0.9', assertMsg(100, 1));
    await h.settle();
    h.rx('up1', '10.3.0.2', assertMsg(110, 50)); // the loser's own Assert, heard after the winner's
    await h.settle();
    expect(h.pim.view('assert')).toEqual([expect.objectContaining({ interface: 'up1', source: S, state: 'Loser', winner: '10.3.0.9' })]);
    expect(h.pim.view('state')).toEqual(expect.arrayContaining([expect.objectContaining({ source: S, rpfNeighbor: '10.3.0.9' })]));
  });

  it('accepts Asserts only from neighbors to 224.0.0.13', async () => {
    const h = await forwarder();
    h.rx('down0', '10.1.0.77', assertMsg(1, 1));
    h.rx('down0', '10.1.0.3', assertMsg(1, 1), '10.1.0.1');
    await h.settle();
    expect(oifs(h)).toEqual(['down0']);
    expect(h.metric('mcr_pim_dropped_total', { reason: 'notNeighbor' })).toBe(1);
    expect(h.metric('mcr_pim_dropped_total', { reason: 'badDestination' })).toBe(1);
  });
});

/**
 * MCR's protocol-learned-forwarding case (issue 10) with MCR's own config shape: IGMP querier on the
 * downstream interface, PIM on the upstream with mcrd itself as the static RP, no static rules. A
 * kernel receiver joins; the source on the upstream LAN is directly connected, so mcrd (RP and DR)
 * learns (S,G) from the first datagram (the engine's source watch) and forwards it down the shared
 * tree. MCR's own test accepts 80 % delivered; this one asks ≥ 99.9 %: the datagrams before the
 * (S,G) route is installed are lost (about 15 ms of the stream here; the kernel would queue them).
 *
 *   g: mcr-gen 10.1.0.1 ── r0 (PIM, RP 10.1.0.2) r: mcrd, IGMP querier on r1 ── s0 s: mcr-sink (kernel joins)
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runGenerator, startSink } from '../../lab/traffic/traffic.js';
import { recordDelivery } from '../../test/support/delivery.js';
import { Lab, canNetns, skipReason, waitFor } from '../../test/support/netns.js';
import { type PimMcrd, mroute, startPimMcrd } from './pim-data-lab.js';

const G = '239.7.1.1';
const FLOOD = fileURLToPath(new URL('./source-flood.py', import.meta.url));
const S = '10.1.0.1';

describe.skipIf(!canNetns)(`MCR protocol-learned forwarding (IGMP querier + PIM, mcrd as RP)${canNetns ? '' : ` (${skipReason})`}`, () => {
  let lab: Lab;
  let m: PimMcrd | undefined;
  let ns: { g: string; r: string; s: string };

  beforeAll(async () => {
    lab = await Lab.create('mcr', 'pd');
    ns = await lab.chain();
    m = await startPimMcrd(lab, ns.r, {
      igmp: { enabled: true, querier_interfaces: ['r1'] },
      pim: { enabled: true, interfaces: [{ name: 'r0' }], rp_address: '10.1.0.2' },
    }, 19481);
  }, 30_000);

  afterAll(async () => {
    await m?.stop().catch(() => {});
    await lab?.destroy();
  });

  test('a kernel receiver gets ≥ 99.9 % of a 1000 pps stream learned from its first datagram', async () => {
    const sink = await startSink({ netns: ns.s, listen: [`${G}:5000`], interface: 's0', expectCount: 30_000, durationS: 50, idleTimeoutS: 2 });
    await waitFor(async () => (await m!.json<{ groups: Array<{ group: string }> }>(['igmp', 'groups'])).groups.some((x) => x.group === G), `${G} in mcrctl igmp groups`, 5000, 50);
    // Nothing is installed for the group until a source shows up: the source watch finds it.
    expect((await mroute(m!)).filter((x) => x.group === G)).toEqual([]);
    const gen = await runGenerator({ netns: ns.g, dst: [`${G}:5000`], interface: 'g0', bind: S, ratePps: 1000, count: 30_000, payloadBytes: 1316, ttl: 8 });
    const l = (await sink.done).listens[0]!;
    const routes = (await mroute(m!)).filter((x) => x.group === G);
    recordDelivery('MCR protocol-learned forwarding: IGMP querier r1 + PIM r0, mcrd RP, directly connected source, 1000 pps x 30 s', l.received, gen.sent, {
      lost: l.lost, duplicates: l.duplicates, firstSeq: l.firstSeq,
    });
    expect(gen.sent).toBe(30_000);
    expect(l.received / gen.sent).toBeGreaterThanOrEqual(0.999);
    expect(l).toMatchObject({ duplicates: 0, payloadErrors: 0 });
    expect(routes).toEqual([expect.objectContaining({ origin: 'pim', iif: 'r0', source: S, oifs: [expect.objectContaining({ interface: 'r1', reason: 'igmp' })] })]);
    const state = await m!.json<{ state: Array<{ source: string; group: string; keepaliveInMs?: number | null; register?: string }> }>(['pim', 'state']);
    // mcrd is the RP: it never registers to itself; the KeepAlive runs on the data.
    expect(state.state.find((x) => x.source === S && x.group === G)).toMatchObject({ register: 'NoInfo' });
    expect(await m!.metric('mcr_source_watch_total', { event: 'reported' })).toBeGreaterThanOrEqual(1);
  }, 70_000);

  test('a flood of 50000 new sources is counted and capped; the daemon answers and a real stream is untouched', async () => {
    const G2 = '239.7.2.1';
    const sink = await startSink({ netns: ns.s, listen: [`${G2}:5000`], interface: 's0', expectCount: 8000, durationS: 40, idleTimeoutS: 3 });
    await waitFor(async () => (await m!.json<{ groups: Array<{ group: string }> }>(['igmp', 'groups'])).groups.some((x) => x.group === G2), `${G2} in mcrctl igmp groups`, 5000, 50);
    const before = { reported: await m!.metric('mcr_source_watch_total', { event: 'reported' }) };
    const gen = runGenerator({ netns: ns.g, dst: [`${G2}:5000`], interface: 'g0', bind: S, ratePps: 1000, count: 8000, payloadBytes: 1316, ttl: 8 });
    await new Promise((r) => setTimeout(r, 1000));
    // 50000 flows of 239.7.9.9 from 10.77.0.0 up, while the stream runs; the control socket keeps answering.
    const flood = lab.exec(ns.g, ['python3', FLOOD, 'g0', '239.7.9.9', '5000', '10.77.0.0', '50000']);
    const pings: number[] = [];
    let flooding = true;
    void flood.finally(() => { flooding = false; });
    const client = await m!.mcrd.client();
    try {
      while (flooding) {
        const t = Date.now();
        await client.request('ping');
        pings.push(Date.now() - t);
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      client.close();
    }
    const sent = JSON.parse(await flood) as { sent: number; seconds: number };
    const l = (await sink.done).listens[0]!;
    const g = await gen;
    const ev = async (event: string) => m!.metric('mcr_source_watch_total', { event });
    const counted = { reported: (await ev('reported')) - before.reported, tableFull: await ev('tableFull'), rateLimited: await ev('rateLimited'), queueFull: await ev('queueFull') };
    recordDelivery('source flood: 50000 new (S,G) flows beside a 1000 pps stream', l.received, g.sent, { lost: l.lost, firstSeq: l.firstSeq, flood: sent, watch: counted, pings: pings.length, slowestPingMs: Math.max(...pings) });
    expect(counted.tableFull + counted.rateLimited).toBeGreaterThan(0);
    // Reports are capped by the engine's token bucket (burst 256 + 400/s) whatever the flood does.
    expect(counted.reported).toBeLessThan(256 + 400 * (sent.seconds + 12));
    expect(l.received / g.sent).toBeGreaterThanOrEqual(0.99);
    expect(Math.max(...pings)).toBeLessThan(1000); // ~1 ms of supervisor time per report at most 400/s (a loaded 2-CPU host)
    expect((await mroute(m!)).filter((x) => x.group === '239.7.9.9')).toEqual([]);
  }, 60_000);
});

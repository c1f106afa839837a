/**
 * Malformed and hostile IGMP on a querier interface while a real IGMP-learned stream flows: bad IGMP
 * and IP checksums, truncation, a unicast General Query, a report to the wrong destination, absurd
 * record counts, TTL > 1, and a flood of reports for 5000 groups. Each is counted by reason (metrics
 * and the `igmp interfaces` view) and changes no membership; the group table stops at max_groups;
 * mcrd's memory stays bounded; it answers ping; the stream loses nothing.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runGenerator, startSink } from '../../lab/traffic/traffic.js';
import { recordDelivery } from '../../test/support/delivery.js';
import { canNetns, skipReason, waitFor } from '../../test/support/netns.js';
import { type IgmpRelay, ctlJson, igmpMessage, injectIgmp, query, startIgmpRelay, v2Report, v3Report } from './igmp-lab.js';

if (!canNetns) console.warn(`skipping IGMP hostile e2e: ${skipReason}`);

const MAX_GROUPS = 1000;
const METRICS_PORT = 19467;

async function rssKb(pid: number): Promise<number> {
  const m = /VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]);
}

/** `name{...labels...} value` samples of one family from a Prometheus text. */
function samples(text: string, name: string): Array<{ labels: string; value: number }> {
  return text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .map((l) => ({ labels: l.slice(name.length, l.lastIndexOf(' ')), value: Number(l.slice(l.lastIndexOf(' ') + 1)) }));
}

const sampleOf = (text: string, name: string, ...labels: string[]) =>
  samples(text, name).filter((s) => labels.every((l) => s.labels.includes(l))).reduce((n, s) => n + s.value, 0);

describe.skipIf(!canNetns)('hostile IGMP on a querier interface', () => {
  let relay: IgmpRelay;
  let r1Mac: string;

  beforeAll(async () => {
    relay = await startIgmpRelay('host', {
      igmp: { enabled: true, querier_interfaces: ['r1'], upstream_interfaces: ['r0'], max_groups: MAX_GROUPS, query_interval: 30, query_response_interval: 1 },
    }, { metricsPort: METRICS_PORT });
    r1Mac = /link\/ether ([0-9a-f:]+)/.exec(await relay.lab.exec(relay.r, ['ip', 'link', 'show', 'r1']))![1]!;
  }, 30_000);

  afterAll(async () => { await relay?.destroy(); });

  test('every bad message is counted by reason and dropped; a 5000-group flood is capped; the daemon and a real stream are unharmed', async () => {
    const { lab, s } = relay;
    const real = '239.1.5.1';
    const sink = await startSink({ netns: s, listen: [`${real}:5000`], interface: 's0', expectCount: 40_000, durationS: 40 });
    await relay.waitGroup(real, true, 3000);
    await waitFor(async () => (await relay.mroute()).some((m) => m.group === real && m.iif === 'r0'), 'route for the real stream', 1000, 10);
    const rssBefore = await rssKb(relay.mcrd.pid);
    const gen = runGenerator({ netns: relay.g, dst: [`${real}:5000`], interface: 'g0', ratePps: 10_000, count: 40_000, payloadBytes: 1316, ttl: 8 });

    const bad = (dst: string, igmp: string, extra: Record<string, unknown> = {}) => ({ dst, igmp, repeat: 20, ...extra });
    const sent = await injectIgmp(lab, s, 's0', '10.2.0.9', [
      bad('239.7.0.1', v2Report('239.7.0.1', { badChecksum: true })),                 // badChecksum
      bad('239.7.0.2', v2Report('239.7.0.2'), { truncate: 24 + 5 }),                   // IP says 32 bytes, frame has 29: truncated at the IP layer
      bad('239.7.0.3', igmpMessage([0x16, 0, 0, 0, 239, 7])),                          // IGMP message of 6 bytes: truncated
      bad('10.2.0.1', query(), { dstMac: r1Mac }),                                      // unicast General Query: generalQueryDst
      bad('239.7.0.5', v2Report('239.7.0.4')),                                         // report for .4 sent to .5: reportDst
      bad('224.0.0.22', v3Report(['239.7.0.6'], { claimRecords: 65535 })),            // absurdRecordCount
      bad('239.7.0.7', v2Report('239.7.0.7'), { ttl: 64 }),                            // badTtl
      bad('239.7.0.8', v2Report('239.7.0.8'), { badIpChecksum: true }),                // badIpChecksum (IP layer)
    ]);
    expect(sent).toBe(160);
    // The flood: 5000 distinct groups, 100 records per v3 report, sent 4 times over.
    const flood = Array.from({ length: 50 }, (_, i) => ({
      dst: '224.0.0.22', repeat: 4,
      igmp: v3Report(Array.from({ length: 100 }, (_, j) => `239.8.${Math.floor((i * 100 + j) / 250)}.${((i * 100 + j) % 250) + 1}`)),
    }));
    expect(await injectIgmp(lab, s, 's0', '10.2.0.9', flood)).toBe(200);

    // Still answering, quickly, while the stream flows.
    const t0 = Date.now();
    expect((await relay.mcrd.ctl(['ping'])).code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(2000);

    const l = (await sink.done).listens[0]!;
    const g = await gen;
    recordDelivery('igmp-learned stream during hostile IGMP + 5000-group flood, 10k pps x 4 s', l.received, g.sent, { lost: l.lost });
    expect(l).toMatchObject({ received: 40_000, lost: 0, duplicates: 0, payloadErrors: 0 });

    const groups = await relay.groups();
    expect(groups.some((x) => x.group.startsWith('239.7.'))).toBe(false);
    const flooded = groups.filter((x) => x.group.startsWith('239.8.')).length;
    expect(flooded).toBeGreaterThan(0);
    expect(groups.length).toBeLessThanOrEqual(MAX_GROUPS);

    const m = await relay.metrics();
    for (const reason of ['badChecksum', 'truncated', 'generalQueryDst', 'reportDst', 'absurdRecordCount', 'badTtl', 'groupLimit']) {
      expect(sampleOf(m, 'mcr_igmp_drops_total', `reason="${reason}"`), reason).toBeGreaterThanOrEqual(20);
    }
    expect(sampleOf(m, 'mcr_proto_rx_dropped_total', 'reason="badIpChecksum"')).toBe(20);
    expect(sampleOf(m, 'mcr_proto_rx_dropped_total', 'reason="truncated"') + sampleOf(m, 'mcr_proto_rx_dropped_total', 'reason="badIpTotalLength"')).toBe(20);
    const ifs = await ctlJson<{ interfaces: Array<{ interface: string; counters: { drops: Record<string, number> } }> }>(relay.mcrd, ['igmp', 'interfaces']);
    expect(ifs.interfaces.find((i) => i.interface === 'r1')!.counters.drops).toMatchObject({ badChecksum: 20, reportDst: 20, generalQueryDst: 20 });

    const rssAfter = await rssKb(relay.mcrd.pid);
    console.log(`[memory] mcrd supervisor RSS ${rssBefore} kB before, ${rssAfter} kB after the flood`);
    expect(rssAfter - rssBefore).toBeLessThan(64 * 1024);
  }, 60_000);
});

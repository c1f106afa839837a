/**
 * IGMP membership drives forwarding, with the Linux kernel as the receiving host: no static rule, only
 * `igmp:` in the config. The source is unroutable from the relay (192.0.2.77, rp_filter=1 on r0), so the
 * relay's kernel would drop the stream; mcrd captures it at layer 2 on its upstream interface.
 *
 *   g: mcr-gen from 192.0.2.77 ── r0 (rp_filter=1) r: mcrd, IGMP querier on r1 ── s0 s: mcr-sink (kernel joins)
 *
 * Per IGMP version of the receiver (v3 default, force_igmp_version 2 and 1): the group shows in
 * `mcrctl igmp groups` within 1 s; a 10k pps stream arrives with zero loss; Leave → group-specific
 * queries on the wire → forwarding stops within the last-member query time (v1 has no Leave: it
 * expires). A receiver that vanishes without Leave expires after the group membership interval.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runGenerator, startSink } from '../../lab/traffic/traffic.js';
import { recordDelivery } from '../../test/support/delivery.js';
import { canNetns, skipReason, waitFor } from '../../test/support/netns.js';
import { type IgmpRelay, injectIgmp, startIgmpRelay, v2Report } from './igmp-lab.js';
import { Capture } from '../../test/support/capture.js';

if (!canNetns) console.warn(`skipping IGMP membership e2e: ${skipReason}`);

// Short timers so the test is fast: GMI = 2 × 2 + 1 = 5 s, LMQT = 2 × 0.2 = 0.4 s.
const IGMP = {
  enabled: true, querier_interfaces: ['r1'], upstream_interfaces: ['r0'],
  query_interval: 2, query_response_interval: 1, robustness: 2, last_member_query_interval: 0.2, last_member_query_count: 2,
};
const GMI_MS = 5000;
const LMQT_MS = 400;
/** Scheduling on a shared 2-CPU host plus the 20 ms poll of mcrctl. */
const SLACK_MS = 600;

describe.skipIf(!canNetns)('IGMP membership with kernel receivers drives forwarding', () => {
  let relay: IgmpRelay;
  let cap: Capture;

  beforeAll(async () => {
    relay = await startIgmpRelay('memb', { igmp: IGMP }, {
      before: async (lab, { g, r }) => {
        await lab.exec(g, ['ip', 'addr', 'add', '192.0.2.77/32', 'dev', 'g0']);
        for (const k of ['all', 'default', 'r0']) await lab.sysctl(r, `net.ipv4.conf.${k}.rp_filter`, 1);
      },
    });
    cap = await Capture.start(relay.s, 's0', 'igmp');
  }, 30_000);

  afterAll(async () => {
    await cap?.stop();
    await relay?.destroy();
  });

  async function joinAndStream(version: 1 | 2 | 3, group: string) {
    await relay.lab.sysctl(relay.s, 'net.ipv4.conf.s0.force_igmp_version', version === 3 ? 0 : version);
    const sink = await startSink({ netns: relay.s, listen: [`${group}:5000`], interface: 's0', expectCount: 20_000, durationS: 30 });
    const joinMs = await relay.waitGroup(group, true, 3000);
    const row = (await relay.groups()).find((x) => x.group === group)!;
    // Forwarding is installed before the stream starts: the route must be in the MRIB.
    await waitFor(async () => (await relay.mroute()).some((m) => m.group === group && m.iif === 'r0' && m.oifs.some((o) => o.interface === 'r1')), `route for ${group} from r0 to r1`, 1000, 10);
    const gen = await runGenerator({ netns: relay.g, dst: [`${group}:5000`], interface: 'g0', bind: '192.0.2.77', ratePps: 10_000, count: 20_000, payloadBytes: 1316, ttl: 8 });
    const l = (await sink.done).listens[0]!;
    const leftAt = Date.now();
    recordDelivery(`igmp v${version} receiver, learned (*,G) from an unroutable source, 10k pps x 2 s`, l.received, gen.sent, { lost: l.lost, joinMs });
    return { joinMs, row, gen, l, leftAt };
  }

  test.each([3, 2] as const)('IGMPv%i receiver: joined within 1 s, zero loss at 10k pps, Leave → group-specific queries → stop within LMQT', async (version) => {
    const group = `239.1.${version}.1`;
    const { joinMs, row, gen, l, leftAt } = await joinAndStream(version, group);
    expect(joinMs).toBeLessThan(1000);
    expect(row).toMatchObject({ interface: 'r1', group, mode: 'exclude', lastReporter: '10.2.0.2' });
    expect(row.compat).toContain(String(version));
    expect(gen.sent).toBe(20_000);
    expect(l).toMatchObject({ received: 20_000, lost: 0, duplicates: 0, payloadErrors: 0 });
    // The sink exited: its kernel left the group.
    const goneMs = await relay.waitGroup(group, false, LMQT_MS + 3000);
    console.log(`[leave] igmp v${version}: group gone from mcrctl igmp groups ${goneMs} ms after the receiver left (LMQT ${LMQT_MS} ms)`);
    expect(goneMs).toBeLessThan(LMQT_MS + SLACK_MS);
    expect((await relay.mroute()).some((m) => m.group === group)).toBe(false);
    await waitFor(() => cap.matching(new RegExp(`10\\.2\\.0\\.1 > ${group.replaceAll('.', '\\.')}: igmp query`), leftAt - 200).length >= 2, 'two group-specific queries on s0', 2000);
  });

  test('unroutable source: the relay\'s own kernel (rp_filter=1) delivers nothing, mcrd relays all to the joined receiver', async () => {
    const group = '239.1.4.1';
    expect(await relay.lab.exec(relay.r, ['ip', 'route', 'get', '192.0.2.77']).catch((e: Error) => e.message)).toMatch(/unreachable/);
    await relay.lab.sysctl(relay.s, 'net.ipv4.conf.s0.force_igmp_version', 0);
    const plain = await startSink({ netns: relay.r, listen: [`${group}:5000`], interface: 'r0', durationS: 30 });
    const sink = await startSink({ netns: relay.s, listen: [`${group}:5000`], interface: 's0', expectCount: 10_000, durationS: 30 });
    await relay.waitGroup(group, true, 3000);
    await waitFor(async () => (await relay.mroute()).some((m) => m.group === group && m.iif === 'r0'), `route for ${group}`, 1000, 10);
    const gen = await runGenerator({ netns: relay.g, dst: [`${group}:5000`], interface: 'g0', bind: '192.0.2.77', ratePps: 10_000, count: 10_000, payloadBytes: 1316, ttl: 8 });
    const l = (await sink.done).listens[0]!;
    const p = (await plain.stop()).listens[0]!;
    recordDelivery('igmp-learned, unroutable source, plain UDP socket on the relay (rp_filter=1)', p.received, gen.sent);
    recordDelivery('igmp-learned, unroutable source, relayed by mcrd, 10k pps x 1 s', l.received, gen.sent, { lost: l.lost });
    expect(p.received).toBe(0);
    expect(l).toMatchObject({ received: 10_000, lost: 0, payloadErrors: 0 });
  });

  test('IGMPv1 receiver (no Leave): joined, zero loss, then expires after the membership interval', async () => {
    const group = '239.1.1.1';
    const { joinMs, row, l, leftAt } = await joinAndStream(1, group);
    expect(joinMs).toBeLessThan(1000);
    expect(row.compat).toContain('1');
    expect(l).toMatchObject({ received: 20_000, lost: 0 });
    await relay.waitGroup(group, false, GMI_MS + 3000);
    // Not on a Leave (v1 has none): the group stays until its timer runs out, GMI after the last
    // report, which was at most one query interval + response time before the sink left. leftAt is
    // taken when the sink's exit was seen, a little after its last report could have been: 300 ms slack.
    const sinceLeft = Date.now() - leftAt;
    expect(sinceLeft).toBeGreaterThan(GMI_MS - 3000 - 300);
    expect(sinceLeft).toBeLessThan(GMI_MS + SLACK_MS);
  });

  test('a receiver that vanishes without Leave expires after the group membership interval', async () => {
    // A host on s0's LAN (10.2.0.9) that reports once and is never heard again: no Leave, no answers.
    const group = '239.1.9.1';
    const t0 = Date.now();
    expect(await injectIgmp(relay.lab, relay.s, 's0', '10.2.0.9', [{ dst: group, igmp: v2Report(group) }])).toBe(1);
    await relay.waitGroup(group, true, 1000);
    expect((await relay.groups()).find((x) => x.group === group)).toMatchObject({ lastReporter: '10.2.0.9' });
    await relay.waitGroup(group, false, GMI_MS + 3000);
    const age = Date.now() - t0;
    expect(age).toBeGreaterThan(GMI_MS - 100);
    expect(age).toBeLessThan(GMI_MS + SLACK_MS);
  });
});

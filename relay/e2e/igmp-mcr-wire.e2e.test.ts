/**
 * MCR's IGMP and mroute wire requests ("GetIgmpGroups", {"EnableIgmpQuerier":{…}}, "GetMroute"),
 * written the way MCR's client does (one request, half-close, read to EOF) to a real mcrd whose
 * membership comes from a kernel receiver: the replies carry MCR's shapes and mcrd's real state.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startSink } from '../../lab/traffic/traffic.js';
import { askMcr } from '../../test/support/mcr-wire.js';
import { canNetns, skipReason } from '../../test/support/netns.js';
import { type IgmpRelay, startIgmpRelay } from './igmp-lab.js';

if (!canNetns) console.warn(`skipping IGMP MCR-wire e2e: ${skipReason}`);

describe.skipIf(!canNetns)('MCR wire requests of the IGMP plane', () => {
  let relay: IgmpRelay;
  beforeAll(async () => {
    relay = await startIgmpRelay('wire', { igmp: { enabled: true, querier_interfaces: ['r1'], upstream_interfaces: ['r0'] } });
  }, 30_000);
  afterAll(async () => { await relay?.destroy(); });

  test('GetIgmpGroups and GetMroute show the kernel receiver\'s group; Disable/EnableIgmpQuerier switch the querier', async () => {
    const sink = await startSink({ netns: relay.s, listen: ['239.1.1.1:5000'], interface: 's0', durationS: 30 });
    try {
      await relay.waitGroup('239.1.1.1', true, 3000);
      const groups = await askMcr(relay.mcrd.socket, 'GetIgmpGroups');
      expect(groups).toEqual({
        IgmpGroups: [{ interface: 'r1', group: '239.1.1.1', expires_in_secs: expect.any(Number), last_reporter: '10.2.0.2', is_querier: true }],
      });
      expect((groups.IgmpGroups as Array<{ expires_in_secs: number }>)[0]!.expires_in_secs).toBeGreaterThan(0);
      expect(await askMcr(relay.mcrd.socket, 'GetMroute')).toEqual({
        Mroute: [{ source: null, group: '239.1.1.1', input_interface: 'r0', output_interfaces: ['r1'], entry_type: 'Igmp', age_secs: expect.any(Number) }],
      });
      expect(await askMcr(relay.mcrd.socket, { DisableIgmpQuerier: { interface: 'r1' } })).toEqual({ Success: 'IGMP querier disabled on r1' });
      expect(await askMcr(relay.mcrd.socket, 'GetIgmpGroups')).toMatchObject({ IgmpGroups: [{ group: '239.1.1.1', is_querier: false }] });
      expect(await askMcr(relay.mcrd.socket, { EnableIgmpQuerier: { interface: 'r1' } })).toEqual({ Success: 'IGMP querier enabled on r1' });
      expect((await askMcr(relay.mcrd.socket, { EnableIgmpQuerier: { interface: 'r0' } })).Error).toContain('r0');
      expect((await askMcr(relay.mcrd.socket, { EnableIgmpQuerier: {} })).Error).toBe('EnableIgmpQuerier interface: expected an interface name');
      expect((await askMcr(relay.mcrd.socket, 'GetPimNeighbors')).Error).toMatch(/^GetPimNeighbors: PIM is not running; enable it with a pim: /);
      expect((await askMcr(relay.mcrd.socket, 'GetMsdpPeers')).Error).toMatch(/^GetMsdpPeers: not supported by mcrd: mcrd has no MSDP/);
    } finally {
      await sink.stop();
    }
  });
});

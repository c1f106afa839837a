/**
 * What `mcrctl igmp groups`, `mcrctl igmp interfaces` and `mcrctl mroute` print in a real run (kernel
 * receiver, IGMP-learned route next to a members-only static rule): the tables are asserted on and
 * printed, so the run's output can be quoted in docs and notes.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startSink } from '../../lab/traffic/traffic.js';
import { canNetns, skipReason, waitFor } from '../../test/support/netns.js';
import { type IgmpRelay, startIgmpRelay } from './igmp-lab.js';

if (!canNetns) console.warn(`skipping IGMP show e2e: ${skipReason}`);

describe.skipIf(!canNetns)('mcrctl igmp groups / mroute tables from a real run', () => {
  let relay: IgmpRelay;
  beforeAll(async () => {
    relay = await startIgmpRelay('show', {
      igmp: { enabled: true, querier_interfaces: ['r1'], upstream_interfaces: ['r0'] },
      rules: [{ name: 'cam1', input: { interface: 'r0', group: '239.1.1.1', port: 5000 }, outputs: [{ interface: 'r1', group: '239.10.10.10', port: 6000, when: 'members' }] }],
    });
  }, 30_000);
  afterAll(async () => { await relay?.destroy(); });

  test('tables name the learned group, its oif reason and timer, and the members-only output state', async () => {
    const sink = await startSink({ netns: relay.s, listen: ['239.1.1.1:5000', '239.10.10.10:6000'], interface: 's0', durationS: 30 });
    try {
      await relay.waitGroup('239.10.10.10', true, 3000);
      await relay.waitGroup('239.1.1.1', true, 3000);
      await waitFor(async () => (await relay.mroute()).some((m) => m.ruleId === 'cam1' && m.oifs.some((o) => o.reason === 'static, members present')), 'members-only output of cam1 on', 2000);
      const groups = (await relay.mcrd.ctl(['igmp', 'groups'])).stdout;
      const ifs = (await relay.mcrd.ctl(['igmp', 'interfaces'])).stdout;
      const mroute = (await relay.mcrd.ctl(['mroute'])).stdout;
      console.log(`$ mcrctl igmp groups\n${groups}\n$ mcrctl igmp interfaces\n${ifs}\n$ mcrctl mroute\n${mroute}`);
      expect(groups).toMatch(/r1\s+239\.1\.1\.1\s+exclude/);
      expect(ifs).toMatch(/r1\s+up\s+10\.2\.0\.1\s+this router/);
      expect(mroute).toMatch(/\*\s+239\.1\.1\.1\s+\*\s+r0\s+igmp\s+r1/);
      expect(mroute).toContain('static, members present');
    } finally {
      await sink.stop();
    }
  });

  test('disable-querier / enable-querier switch the querier at run time; an unknown interface is refused by name', async () => {
    expect(await relay.mcrd.ctl(['igmp', 'disable-querier', '--interface', 'r1'])).toMatchObject({ code: 0, stdout: 'igmp querier disabled on r1\n' });
    expect((await relay.mcrd.ctl(['igmp', 'interfaces'])).stdout).toMatch(/r1\s+up\s+10\.2\.0\.1\s+disabled/);
    expect((await relay.mcrd.ctl(['igmp', 'enable-querier', '--interface', 'r1'])).code).toBe(0);
    await waitFor(async () => /this router/.test((await relay.mcrd.ctl(['igmp', 'interfaces'])).stdout), 'r1 querier again', 2000);
    const bad = await relay.mcrd.ctl(['igmp', 'enable-querier', '--interface', 'r0']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('r0');
    expect((await relay.mcrd.ctl(['igmp', 'enable-querier'])).code).toBe(64);
  });
});

import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { loadScenarioText } from '../scenario/load.js';
import { resolveScenario } from '../scenario/resolve.js';
import { frrSyntaxProblems } from './frr-daemons.js';
import { igmpMembers } from './frr.js';
import { frrRouterPimd, mcrdRouterConfig } from './router-config.js';

/** FRR's syntax check needs vtysh (the frr package; CI installs it). */
const vtysh = existsSync('/usr/bin/vtysh');
if (!vtysh) process.stderr.write('router-config tests: FRR syntax checks skipped: no /usr/bin/vtysh (apt-get install frr)\n');

const shipped = (name: string) => {
  const text = readFileSync(new URL(`../../scenarios/${name}.yaml`, import.meta.url), 'utf8');
  return resolveScenario(loadScenarioText(text, `${name}.yaml`).scenario);
};

describe('router role → mcrd and FRR configs', () => {
  test('an IGMP router: same querier interfaces and timers; FRR is its own RP at its source interface', () => {
    const s = shipped('igmp-membership');
    expect(mcrdRouterConfig(s)).toEqual({
      igmp: {
        enabled: true, querier_interfaces: ['lan1', 'lan2'], upstream_interfaces: ['in0'], version: 3,
        query_interval: 125, query_response_interval: 10, robustness: 2, last_member_query_interval: 0.5, last_member_query_count: 2,
      },
    });
    expect(frrRouterPimd(s)).toBe([
      'hostname router', '!',
      'interface in0', ' ip pim', '!',
      ...['lan1', 'lan2'].flatMap((i) => [`interface ${i}`, ' ip pim', ' ip igmp', ' ip igmp version 3', ' ip igmp query-interval 125',
        ' ip igmp query-max-response-time 100', ' ip igmp last-member-query-interval 5', ' ip igmp last-member-query-count 2', '!']),
      'ip pim rp 10.1.0.2 224.0.0.0/4', '',
    ].join('\n'));
  });

  test('a PIM last hop: PIM on upstream and receiver interfaces for both, the same RP and hello period', () => {
    const s = shipped('pim-lasthop');
    const pim = mcrdRouterConfig(s)['pim'] as { interfaces: Array<{ name: string; hello_period: number }>; static_rp: unknown; spt_switchover: string };
    expect(pim.interfaces.map((i) => [i.name, i.hello_period])).toEqual([['upfh', 5], ['uprp', 5], ['lan0', 5]]);
    expect(pim).toMatchObject({ static_rp: [{ group: '224.0.0.0/4', rp: '10.0.23.2' }], spt_switchover: 'immediate' });
    const frr = frrRouterPimd(s);
    expect(frr).toContain('interface upfh\n ip pim\n ip pim hello 5\n!');
    expect(frr).toContain('interface lan0\n ip pim\n ip igmp\n');
    expect(frr).toMatch(/ip pim rp 10\.0\.23\.2 224\.0\.0\.0\/4\n$/);
    expect(frr).not.toContain('spt-switchover');
  });

  test('a DR re-originating an unroutable stream: mcrd gets a static rule onto the PIM interface, FRR cannot', () => {
    const s = shipped('pim-unroutable-register');
    const cfg = mcrdRouterConfig(s);
    expect(cfg['rules']).toEqual([{
      name: 'originate-s1', input: { interface: 'in0', group: '239.1.1.1', port: 5000 },
      outputs: [{ interface: 'up0', group: '239.1.1.1', port: 5000, ttl: 16 }],
    }]);
    expect((cfg['pim'] as { interfaces: Array<{ name: string; dr_priority?: number }> }).interfaces).toEqual([
      { name: 'up0', hello_period: 30, dr_priority: 100 }, { name: 'in0', hello_period: 30, dr_priority: 100 },
    ]);
    expect(frrRouterPimd(s)).toContain('interface up0\n ip pim\n ip pim hello 30\n ip pim drpriority 100\n!');
  });

  test('never switching to the SPT is FRR\'s infinity-and-beyond', () => {
    const s = shipped('pim-lasthop');
    s.router!.pim!.sptSwitchover = 'never';
    expect(frrRouterPimd(s)).toContain('ip pim spt-switchover infinity-and-beyond\n');
    expect(mcrdRouterConfig(s)['pim']).toMatchObject({ spt_switchover: 'never' });
  });

  test.skipIf(!vtysh).each(['igmp-membership', 'pim-lasthop', 'pim-unroutable-register'])('FRR accepts the pimd.conf generated for %s (vtysh --dryrun)', (name) => {
    expect(frrSyntaxProblems(frrRouterPimd(shipped(name)))).toEqual([]);
  });

  test.skipIf(!vtysh)('the FRR syntax check reports FRR\'s own line and message', () => {
    expect(frrSyntaxProblems('interface eth0\n ip pim\n ip pim helo 5\n')).toEqual([expect.stringMatching(/^line 3: % Unknown command/)]);
  });
});

describe('FRR members (show ip igmp groups json, FRR 8.4)', () => {
  test('"interface group" per group of each interface; the totals beside them are not interfaces', () => {
    const shown = {
      totalGroups: 3, watermarkLimit: 0,
      lan1: { name: 'lan1', state: 'up', address: '10.2.0.1', index: 3, flagMulticast: true, groups: [{ source: '10.2.0.1', group: '239.1.1.1', mode: 'EXCLUDE', sourcesCount: 1, version: 3 }] },
      lan2: { name: 'lan2', state: 'up', groups: [{ group: '239.1.1.1' }, { group: '239.1.1.2' }] },
      in0: { name: 'in0', state: 'up' },
    };
    expect(igmpMembers(shown)).toEqual(['lan1 239.1.1.1', 'lan2 239.1.1.1', 'lan2 239.1.1.2']);
    expect(igmpMembers({})).toEqual([]);
    expect(igmpMembers(null)).toEqual([]);
  });
});

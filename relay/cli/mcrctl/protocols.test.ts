import { describe, expect, test } from 'vitest';
import { renderGroups, renderInterfaces } from './igmp.js';
import { renderPim } from './pim.js';
import { renderMroute } from './mroute.js';
import { renderEvent } from './subscribe.js';

test('igmp groups: one row per interface and group, sources with their timers', () => {
  const text = renderGroups([
    { interface: 'eth1', group: '239.1.1.1', mode: 'exclude', compat: 'v2', lastReporter: '10.0.0.9', uptimeMs: 2500, groupTimerMs: 250_000, sources: [] },
    { interface: 'eth1', group: '232.1.1.1', mode: 'include', compat: 'v3', lastReporter: '10.0.0.8', uptimeMs: 900, groupTimerMs: null, sources: [{ source: '10.9.0.1', timerMs: 3000, forwarding: true }] },
  ]);
  expect(text.split('\n')[0]).toMatch(/^INTERFACE\s+GROUP\s+MODE\s+VERSION\s+SOURCES\s+LAST REPORTER\s+UPTIME\s+EXPIRES$/);
  expect(text).toMatch(/eth1\s+239\.1\.1\.1\s+exclude\s+v2\s+-\s+10\.0\.0\.9\s+2\.5 s\s+4 min/);
  expect(text).toMatch(/232\.1\.1\.1\s+include\s+v3\s+10\.9\.0\.1\(3\.0 s\)/);
  expect(renderGroups([])).toBe('no IGMP groups');
});

test('igmp interfaces: querier role and timers', () => {
  expect(renderInterfaces([{ interface: 'eth1', up: true, querier: false, querierEnabled: true, address: '10.0.0.2', querierAddress: '10.0.0.1', otherQuerierPresentMs: 200_000, nextGeneralQueryMs: null, version: 3, groups: 4 }]))
    .toMatch(/eth1\s+up\s+10\.0\.0\.2\s+other\s+10\.0\.0\.1\s+3 min\s+-\s+v3\s+4/);
});

test('mroute: (S,G), any port as *, each oif with reason and time left, withheld members-only outputs in parentheses', () => {
  const text = renderMroute([
    { origin: 'igmp', iif: 'eth0', group: '239.1.1.1', source: null, port: 0, ruleId: 'igmp:eth0:239.1.1.1', suppressed: [],
      oifs: [{ interface: 'eth1', origin: 'igmp', reason: 'igmp v3 exclude', group: '239.1.1.1', port: 0, expiresInMs: 4200 }] },
    { origin: 'static', iif: 'eth0', group: '239.2.2.2', source: '10.9.0.1', port: 5000, ruleId: 'cam', oifs: [],
      suppressed: [{ interface: 'eth2', origin: 'static', reason: 'static, no members', group: '239.5.5.5', port: 6000 }] },
  ]);
  expect(text).toMatch(/^\*\s+239\.1\.1\.1\s+\*\s+eth0\s+igmp\s+eth1\s+igmp v3 exclude\s+4\.2 s$/m);
  expect(text).toMatch(/^10\.9\.0\.1\s+239\.2\.2\.2\s+5000\s+eth0\s+static\s+\(eth2 → 239\.5\.5\.5:6000\)\s+static, no members\s+-$/m);
  expect(renderMroute([])).toBe('no routes');
});

test('subscribe prints one line per event: time, type, then the fields', () => {
  expect(renderEvent({ type: 'igmp-join', at: '2026-12-03T09:00:00.000Z', interface: 'eth1', group: '239.1.1.1' }))
    .toBe('2026-12-03T09:00:00.000Z igmp-join interface=eth1 group=239.1.1.1');
});

describe('mcrctl pim tables', () => {
  test('neighbors, rp and state render as tables with relative times', () => {
    const n = renderPim('neighbors', [{ interface: 'eth0', address: '10.0.0.2', uptimeMs: 5000, expiresInMs: 100_000, drPriority: 1, genId: 42, dr: true }]);
    expect(n).toMatch(/^INTERFACE\s+NEIGHBOR/);
    expect(n).toMatch(/eth0\s+10\.0\.0\.2\s+5\.0 s\s+100\.0 s\s+1\s+42\s+yes/);
    expect(renderPim('rp', { bsr: null, ranges: [{ range: '224.0.0.0/4', rp: '10.0.0.9', source: 'static' }] })).toMatch(/224\.0\.0\.0\/4\s+10\.0\.0\.9\s+static[\s\S]*BSR: none/);
    expect(renderPim('state', [{ source: '*', group: '239.1.1.1', state: 'Joined', rpfInterface: 'eth0', rpfNeighbor: '10.0.0.2', joinTimerInMs: 30_000, register: undefined, oil: ['eth1'] }]))
      .toMatch(/\*\s+239\.1\.1\.1\s+Joined\s+eth0\s+10\.0\.0\.2\s+30\.0 s\s+-\s+eth1/);
    expect(renderPim('join', [])).toBe('no PIM downstream joins');
  });
});

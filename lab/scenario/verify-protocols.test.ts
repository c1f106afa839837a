import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { loadScenarioText } from './load.js';
import { resolveScenario } from './resolve.js';
import { verifyScenario } from './verify.js';

/** An IGMP router between a source and two receivers, with room to change it. */
const router = (o: { relays?: string; router?: string; tests?: string; outputs?: string; hosts?: string; extra?: string } = {}) => `name: t
hosts: { src: {}, r: {}, rx1: {}, rx2: {}${o.hosts ?? ''} }
links:
  - a: { host: src, interface: eth0, address: 10.1.0.1/24 }
    b: { host: r, interface: in0, address: 10.1.0.2/24 }
  - a: { host: r, interface: lan1, address: 10.2.0.1/24 }
    b: { host: rx1, interface: eth0, address: 10.2.0.2/24 }
  - a: { host: r, interface: lan2, address: 10.3.0.1/24 }
    b: { host: rx2, interface: eth0, address: 10.3.0.2/24 }
relay:
  host: r
  router: ${o.router ?? '{ sources: [in0], igmp: { interfaces: [lan1, lan2] } }'}
streams:
  - name: s1
    source: { host: src, interface: eth0 }
    group: 239.1.1.1
    port: 5000
    input: in0
    outputs: ${o.outputs ?? `
      - { name: rx1, interface: lan1, group: 239.1.1.1, port: 5000, sink: { host: rx1, interface: eth0 } }
      - { name: rx2, interface: lan2, group: 239.1.1.1, port: 5000, sink: { host: rx2, interface: eth0 } }`}
relays: ${o.relays ?? '[mcrd, frr]'}
tests: ${o.tests ?? '[{ name: jl, kind: membership }]'}
${o.extra ?? ''}
`;

function problems(src: string) {
  const loaded = loadScenarioText(src, 'p.yaml');
  return verifyScenario(resolveScenario(loaded.scenario), loaded.locate).map((p) => `${p.line ?? '-'} ${p.path}: ${p.message}`);
}

describe('verify: router role, FRR hosts and membership tests', () => {
  test('a consistent IGMP router scenario has no problems', () => {
    expect(problems(router())).toEqual([]);
  });

  test('router interfaces must exist on the relay host', () => {
    expect(problems(router({ router: '{ sources: [in9], igmp: { interfaces: [lan1, lanx] } }' }))).toEqual([
      '12 relay.router.igmp.interfaces[1]: relay host "r" has no interface "lanx" (it has: in0, lan1, lan2)',
      '12 relay.router.sources[0]: relay host "r" has no interface "in9" (it has: in0, lan1, lan2)',
    ]);
  });

  test('an IGMP-only router needs its source interfaces; frr needs a router role at all', () => {
    expect(problems(router({ router: '{ igmp: { interfaces: [lan1, lan2] } }' }))).toContain('12 relay.router.sources: an IGMP-only router needs the interfaces its sources arrive on (sources: [in0])');
    const none = router({ tests: '[{ name: f, kind: fixed-rate, ratePps: 10 }]' }).replace(/  router: .*\n/, '');
    expect(problems(none)).toEqual(['21 relays: relay frr needs relay.router (the role FRR plays: igmp and/or pim); FRR has no static rules']);
  });

  test('a router does not rename groups', () => {
    const out = `
      - { name: rx1, interface: lan1, group: 239.9.9.9, port: 5000, sink: { host: rx1, interface: eth0 } }`;
    expect(problems(router({ outputs: out }))).toEqual(['20 streams[0].outputs[0]: with relay.router, outputs receive the stream unchanged: use group 239.1.1.1 and port 5000']);
  });

  test('originate names a stream and a PIM interface', () => {
    const r = '{ sources: [in0], pim: { interfaces: [lan1], rp: 10.2.0.9 }, originate: [{ stream: s9, interface: lan2 }] }';
    expect(problems(router({ router: r, relays: '[mcrd]', tests: '[{ name: f, kind: fixed-rate, ratePps: 10 }]' }))).toEqual([
      '12 relay.router.originate[0].stream: unknown stream "s9" (known: s1)',
      '12 relay.router.originate[0].interface: lan2 is not a PIM interface of the router (pim.interfaces)',
    ]);
  });

  test('membership tests: only routers, known receivers, one member per LAN and group, no thresholds', () => {
    expect(problems(router({ relays: '[mcrd, socat]' }))).toContain('22 relays: membership test "jl" needs routers that follow IGMP (mcrd, frr); socat forwards regardless of receivers');
    expect(problems(router({ tests: '[{ name: jl, kind: membership, receivers: [rx1, rx7] }]' }))).toEqual([
      '23 tests[0].receivers[1]: unknown output "rx7" (known: rx1, rx2)',
    ]);
    const shared = `
      - { name: rx1, interface: lan1, group: 239.1.1.1, port: 5000, sink: { host: rx1, interface: eth0 } }
      - { name: rx2, interface: lan1, group: 239.1.1.1, port: 5000, sink: { host: rx2, interface: eth0 } }`;
    expect(problems(router({ outputs: shared }))).toContain('23 tests[0].receivers: receivers "rx1" and "rx2" share lan1 and group 239.1.1.1: each keeps the other\'s stream flowing, so leave delays are meaningless');
    expect(problems(router({ extra: 'thresholds: [{ test: jl, metric: lossRatio, max: 0 }]' }))).toContain('24 thresholds[0].test: thresholds do not apply to membership test "jl" (its delays are reported, not judged)');
  });

  test('a quiet time of few frame intervals is a warning; convergence interfaces must exist', () => {
    const loaded = loadScenarioText(router({ tests: '[{ name: jl, kind: membership, ratePps: 10, quietS: 0.2, convergence: { spt: lan1, rpt: up9 } }]' }), 'p.yaml');
    const found = verifyScenario(resolveScenario(loaded.scenario), loaded.locate);
    expect(found.map((p) => [p.severity, p.path])).toEqual([['warning', 'tests[0].quietS'], ['error', 'tests[0].convergence.rpt']]);
  });

  test('FRR host configuration: interfaces it names must exist there, located on their line; not on the relay host', () => {
    const hosts = `, fr: { frr: { pimd: "interface eth0\\n ip pim\\ninterface eth7\\n ip pim\\n" } }`;
    const extra = `  - a: { host: fr, interface: eth0, address: 10.9.0.1/24 }\n    b: { host: src, interface: eth1, address: 10.9.0.2/24 }`;
    const text = router({ hosts }).replace('relay:\n', `${extra}\nrelay:\n`);
    expect(problems(text).filter((p) => p.includes('hosts.fr'))[0]).toMatch(/^\d+ hosts\.fr\.frr\.pimd: line 3: host "fr" has no interface "eth7" \(it has: eth0\)$/);
    const onRelay = router().replace('r: {}', 'r: { frr: { staticd: "ip route 10.0.0.0/8 10.1.0.1" } }');
    expect(problems(onRelay)).toContain('2 hosts.r.frr: the relay host runs the router under test; put FRR routers on other hosts (relay frr is FRR in the relay role)');
  });

  test.each(readdirSync(new URL('../../scenarios/', import.meta.url)).filter((f) => /^(igmp|pim)-.*\.yaml$/.test(f)))(
    'shipped %s verifies clean and draws its topology', (file) => {
      const text = readFileSync(new URL(`../../scenarios/${file}`, import.meta.url), 'utf8');
      expect(problems(text)).toEqual([]);
      expect(text).toMatch(/^# +\+-+\+/m);
    },
  );
});

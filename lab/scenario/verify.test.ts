import { describe, expect, test } from 'vitest';
import { loadScenarioText } from './load.js';
import { resolveScenario } from './resolve.js';
import { verifyScenario } from './verify.js';

const text = `name: t
hosts: { gen: {}, relay: {}, sink: {} }
bridges: [br0]
links:
  - a: { host: gen, interface: eth0, address: 10.0.0.1/24 }
    b: { host: relay, interface: in0, address: 10.0.0.2/24 }
  - a: { host: relay, interface: out0, address: 10.0.1.1/24 }
    b: { bridge: br0 }
  - a: { host: sink, interface: eth0, address: 10.0.1.2/24 }
    b: { bridge: br0 }
relay: { host: relay }
streams:
  - name: s1
    source: { host: gen, interface: eth0 }
    group: 239.1.1.1
    port: 5001
    input: in0
    outputs: [{ name: o1, interface: out0, group: 239.9.9.9, port: 5099, sink: { host: sink, interface: eth0 } }]
tests:
  - { name: f, kind: fixed-rate, ratePps: 1000 }
  - { name: tp, kind: throughput, minPps: 1000, maxPps: 65000 }
  - { name: lat, kind: latency, loadFraction: 0.5 }
thresholds:
  - { relay: mcrd, test: f, metric: lossRatio, max: 0 }
`;

function problems(src: string) {
  const loaded = loadScenarioText(src, 'v.yaml');
  return verifyScenario(resolveScenario(loaded.scenario), loaded.locate);
}

describe('verifyScenario', () => {
  test('a consistent scenario has no problems', () => {
    expect(problems(text)).toEqual([]);
  });

  test.each([
    ['unknown host in a link', ['a: { host: sink, interface: eth0', 'a: { host: snk, interface: eth0'], 'links[2].a.host', /unknown host "snk" \(known: gen, relay, sink\)/],
    ['unknown bridge', ['b: { bridge: br0 }\nrelay', 'b: { bridge: br1 }\nrelay'], 'links[2].b.bridge', /unknown bridge "br1"/],
    ['duplicate interface on a host', ['host: relay, interface: out0', 'host: relay, interface: in0'], 'links[1].a.interface', /interface "in0" already exists on host "relay"/],
    ['duplicate address', ['10.0.1.2/24', '10.0.0.1/24'], 'links[2].a.address', /address 10.0.0.1 is already used by gen:eth0/],
    ['relay host unknown', ['relay: { host: relay }', 'relay: { host: rly }'], 'relay.host', /unknown host "rly"/],
    ['stream input not on the relay', ['input: in0', 'input: in9'], 'streams[0].input', /host "relay" has no interface "in9" \(it has: in0, out0\)/],
    ['sink interface missing', ['sink: { host: sink, interface: eth0 }', 'sink: { host: sink, interface: eth1 }'], 'streams[0].outputs[0].sink.interface', /no interface "eth1"/],
    ['sink on the relay host', ['sink: { host: sink, interface: eth0 }', 'sink: { host: relay, interface: in0 }'], 'streams[0].outputs[0].sink.host', /must not run on the relay host/],
    ['throughput bounds reversed', ['minPps: 1000, maxPps: 65000', 'minPps: 70000, maxPps: 65000'], 'tests[1].maxPps', /must be above minPps/],
    ['threshold on an unknown test', ['test: f, metric', 'test: g, metric'], 'thresholds[0].test', /unknown test "g"/],
    ['threshold metric of another kind', ['metric: lossRatio', 'metric: throughputPps'], 'thresholds[0].metric', /does not apply to fixed-rate test "f"/],
    ['latency without a throughput test', ['  - { name: tp, kind: throughput, minPps: 1000, maxPps: 65000 }\n', ''], 'tests[1].loadFraction', /needs a throughput test/],
    ['bridge port name over IFNAMSIZ', [/br0/g, 'bridgewithlongnm'], 'links[1].b.bridge', /bridge port name "bridgewithlongnm-1" is longer than 15/],
  ] as const)('%s is reported at its path with line and column', (_title, [from, to], path, message) => {
    const found = problems(text.replace(from, to as string));
    const p = found.find((x) => x.path === path);
    expect(p, JSON.stringify(found)).toBeDefined();
    expect(p!.message).toMatch(message);
    expect(p!.line).toBeGreaterThan(0);
    expect(p!.column).toBeGreaterThan(0);
    expect(p!.severity).toBe('error');
  });

  test('an unused bridge is a warning, not an error', () => {
    const found = problems(text.replace('bridges: [br0]', 'bridges: [br0, br9]'));
    expect(found).toEqual([expect.objectContaining({ path: 'bridges[1]', severity: 'warning', line: 3 })]);
  });

  test('two outputs delivering the same group and port to one host are ambiguous', () => {
    const found = problems(text.replace('outputs: [{ name: o1, interface: out0, group: 239.9.9.9, port: 5099, sink: { host: sink, interface: eth0 } }]',
      'outputs: [{ name: o1, interface: out0, group: 239.9.9.9, port: 5099, sink: { host: sink, interface: eth0 } }, { name: o2, interface: out0, group: 239.9.9.9, port: 5099, sink: { host: sink, interface: eth0 } }]'));
    expect(found.map((p) => p.message)).toContainEqual(expect.stringMatching(/"o1" and "o2" both deliver 239.9.9.9:5099/));
  });
});

describe('verifyScenario sysctls', () => {
  test('mc_forwarding is rejected with the reason: the kernel owns it', () => {
    const found = problems(text.replace('relay: {}, sink: {} }', 'relay: { sysctls: { mc_forwarding: 1 } }, sink: {} }'));
    expect(found).toEqual([expect.objectContaining({ path: 'hosts.relay.sysctls.mc_forwarding', line: 2, message: expect.stringMatching(/^mc_forwarding is read-only/) })]);
  });
});

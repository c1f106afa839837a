import { describe, expect, test } from 'vitest';
import { loadScenarioText } from './load.js';
import { intToIp, ipToInt, resolveScenario } from './resolve.js';

const base = (extra = '', link2 = '') => `name: t
hosts: { gen: {}, relay: {}, sink: {} }
bridges: [br0]
${extra}
links:
  - a: { host: gen, interface: eth0, address: 10.0.0.1/24 }
    b: { host: relay, interface: in0, address: 10.0.0.2/24 }
  - a: { host: relay, interface: out0, address: 10.0.1.1/24 }
    b: { bridge: br0 }
${link2}
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
    fanout: { count: 3, interface: out0, firstGroup: 239.10.0.254, port: 6000, sink: { host: sink, interface: eth0 } }
tests:
  - { name: f, kind: fixed-rate, ratePps: 1000, durationS: 10 }
  - { name: tp, kind: throughput, minPps: 1000, maxPps: 65000 }
`;

describe('resolveScenario', () => {
  test('link settings come from the built-in default when nothing is set', () => {
    const s = resolveScenario(loadScenarioText(base()).scenario);
    expect(s.links.map((l) => l.mtu)).toEqual([1500, 1500, 1500]);
    expect(s.links.every((l) => l.netem === undefined)).toBe(true);
  });

  test('defaults.link applies to every link and a link\'s own keys override it, netem key by key', () => {
    const text = base('defaults: { link: { mtu: 9000, netem: { delay: 1ms, loss: 0.1% } } }')
      .replace('b: { host: relay, interface: in0, address: 10.0.0.2/24 }', 'b: { host: relay, interface: in0, address: 10.0.0.2/24 }\n    mtu: 1400\n    netem: { loss: 1% }');
    const s = resolveScenario(loadScenarioText(text).scenario);
    expect(s.links[0]).toMatchObject({ mtu: 1400, netem: { delay: '1ms', loss: '1%' } });
    expect(s.links[1]).toMatchObject({ mtu: 9000, netem: { delay: '1ms', loss: '0.1%' } });
  });

  test('bridge ends get a port name from the bridge and the link index', () => {
    const s = resolveScenario(loadScenarioText(base()).scenario);
    expect(s.links[1]!.b).toEqual({ bridge: 'br0', interface: 'br0-1' });
    expect(s.links[2]!.b).toEqual({ bridge: 'br0', interface: 'br0-2' });
  });

  test('fanout expands into named outputs with consecutive groups after the listed ones', () => {
    const s = resolveScenario(loadScenarioText(base()).scenario);
    const outs = s.streams[0]!.outputs;
    expect(outs.map((o) => `${o.name}=${o.group}:${o.port}`)).toEqual(['o1=239.9.9.9:5099', 'out-1=239.10.0.254:6000', 'out-2=239.10.0.255:6000', 'out-3=239.10.1.0:6000']);
    expect(s.streams[0]!.explicitOutputs).toBe(1);
    expect(outs.every((o) => o.ttl === 8)).toBe(true);
  });

  test('quick mode caps durations, repetitions and search steps', () => {
    const full = resolveScenario(loadScenarioText(base()).scenario);
    const quick = resolveScenario(loadScenarioText(base()).scenario, { quick: true });
    expect(full.tests[0]).toMatchObject({ durationS: 10, repetitions: 3 });
    expect(full.tests[1]).toMatchObject({ durationS: 5, maxSteps: 12, resolutionPps: 1000 });
    expect(quick.tests[0]).toMatchObject({ durationS: 1, repetitions: 1 });
    expect(quick.tests[1]).toMatchObject({ durationS: 1, repetitions: 1, maxSteps: 5 });
  });

  test('an explicit repetition count wins over the scenario and quick mode', () => {
    const s = resolveScenario(loadScenarioText(base()).scenario, { quick: true, repetitions: 4 });
    expect(s.tests.map((t) => t.repetitions)).toEqual([4, 4]);
  });

  test('ipToInt and intToIp are inverse across octet boundaries', () => {
    expect(intToIp(ipToInt('239.10.0.255') + 1)).toBe('239.10.1.0');
  });
});

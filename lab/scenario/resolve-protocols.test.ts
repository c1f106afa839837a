import { describe, expect, test } from 'vitest';
import { loadScenarioText } from './load.js';
import { resolveScenario } from './resolve.js';
import { minimalScenario } from './testing.js';

const withFrr = minimalScenario('', 'relay: { host: relay }')
  .replace('hosts: { gen: {}, relay: {}, sink: {} }', 'hosts: { gen: { frr: { staticd: "ip route 10.9.0.0/16 10.0.0.2" } }, relay: {}, sink: { frr: { pimd: "ip pim rp 10.0.0.2 224.0.0.0/4", staticd: "ip route 10.9.0.0/16 10.0.0.2" }, sysctls: { forwarding: 0 } } }')
  .replace('tests:\n  - { name: f, kind: fixed-rate, ratePps: 1000 }', 'tests:\n  - { name: jl, kind: membership, holdS: 0.25, quietS: 0.05 }\n  - { name: jm, kind: membership, cycles: 12, repetitions: 5, convergence: { spt: in0, rpt: in0 } }');
const resolved = (opts = {}) => resolveScenario(loadScenarioText(withFrr, 'r.yaml').scenario, opts);

describe('resolve: membership tests and FRR hosts', () => {
  test('membership times in ms with their defaults; repetitions from the scenario, test, --quick, --repetitions', () => {
    const [jl, jm] = resolved().tests;
    expect(jl).toEqual({ kind: 'membership', name: 'jl', repetitions: 3, ratePps: 1000, cycles: 10, holdMs: 250, gapMs: 500, timeoutMs: 10000, quietMs: 50 });
    expect(jm).toMatchObject({ repetitions: 5, cycles: 12, convergence: { spt: 'in0', rpt: 'in0' } });
    expect(resolved({ quick: true }).tests.map((t) => t.repetitions)).toEqual([1, 1]);
    expect(resolved({ quick: true, repetitions: 4 }).tests.map((t) => t.repetitions)).toEqual([4, 4]);
  });

  test('an FRR host forwards unless its sysctls say otherwise, and keeps its configuration text', () => {
    const hosts = resolved().hosts;
    expect(hosts.find((h) => h.name === 'gen')).toMatchObject({ sysctls: { forwarding: 1 }, frr: { staticd: 'ip route 10.9.0.0/16 10.0.0.2' } });
    expect(hosts.find((h) => h.name === 'sink')?.sysctls).toEqual({ forwarding: 0 });
    expect(hosts.find((h) => h.name === 'relay')).toEqual({ name: 'relay', sysctls: {}, routes: [] });
  });
});

/**
 * Test helpers shared by the scenario tests: the smallest valid scenario (one link, one stream, one
 * test) with room for extra top-level keys, and the problems a rejected text produces. Not used at run time.
 */
import { ScenarioError } from './errors.js';
import { loadScenarioText } from './load.js';
import { resolveScenario } from './resolve.js';

export const minimalScenario = (extra = '', relay = 'relay: { host: relay }') => `name: t
hosts: { gen: {}, relay: {}, sink: {} }
links:
  - a: { host: gen, interface: eth0, address: 10.0.0.1/24 }
    b: { host: relay, interface: in0, address: 10.0.0.2/24 }
${relay}
streams:
  - name: s1
    source: { host: gen, interface: eth0 }
    group: 239.1.1.1
    port: 5001
    input: in0
    outputs: [{ name: o1, interface: in0, group: 239.9.9.9, port: 5099, sink: { host: sink, interface: eth0 } }]
tests:
  - { name: f, kind: fixed-rate, ratePps: 1000 }
${extra}
`;

/** The problems of a text the loader must reject (throws if it is accepted). */
export function problemsOf(text: string) {
  try {
    loadScenarioText(text, 'x.yaml');
  } catch (err) {
    if (err instanceof ScenarioError) return err.problems;
    throw err;
  }
  throw new Error('expected the scenario to be rejected');
}

export const resolvedScenario = (text: string) => resolveScenario(loadScenarioText(text).scenario);

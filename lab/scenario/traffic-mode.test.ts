/** The scenario's generator send mode (`traffic.tx`, `traffic.threads`): defaults, errors naming the field, what reaches mcr-gen. */
import { describe, expect, test } from 'vitest';
import { sendMode } from '../run/trial.js';
import { ScenarioError } from './errors.js';
import { loadScenarioText } from './load.js';
import { resolveScenario } from './resolve.js';

const minimal = (traffic: string) => `name: t
hosts: { gen: {}, relay: {}, sink: {} }
links:
  - a: { host: gen, interface: eth0, address: 10.0.0.1/24 }
    b: { host: relay, interface: in0, address: 10.0.0.2/24 }
relay: { host: relay }
streams:
  - name: s1
    source: { host: gen, interface: eth0 }
    group: 239.1.1.1
    port: 5001
    input: in0
    outputs: [{ name: o1, interface: in0, group: 239.9.9.9, port: 5099, sink: { host: sink, interface: eth0 } }]
tests:
  - { name: f, kind: fixed-rate, ratePps: 1000 }
${traffic}
`;

function problemsOf(text: string) {
  try {
    loadScenarioText(text, 'x.yaml');
  } catch (err) {
    if (err instanceof ScenarioError) return err.problems;
    throw err;
  }
  throw new Error('expected the scenario to be rejected');
}

const resolved = (text: string) => resolveScenario(loadScenarioText(text).scenario);

describe('traffic.tx / traffic.threads', () => {
  test('absent: udp with one thread, and nothing extra is passed to mcr-gen', () => {
    const s = resolved(minimal(''));
    expect(s.generator).toEqual({ tx: 'udp', threads: 1 });
    expect(sendMode(s, 1)).toEqual({});
    expect(resolved(minimal('traffic: { durationS: 2 }')).generator).toEqual({ tx: 'udp', threads: 1 });
  });

  test('tx packet and threads are resolved and passed through', () => {
    const s = resolved(minimal('traffic: { tx: packet, threads: 2 }'));
    expect(s.generator).toEqual({ tx: 'packet', threads: 2 });
    expect(sendMode(s, 50)).toEqual({ tx: 'packet', threads: 2 });
  });

  test('threads are capped at the generator\'s destinations (a stream never spans threads)', () => {
    const s = resolved(minimal('traffic: { threads: 4 }'));
    expect(sendMode(s, 1)).toEqual({});
    expect(sendMode(s, 3)).toEqual({ threads: 3 });
    expect(sendMode(s, 50)).toEqual({ threads: 4 });
  });

  test.each([
    ['traffic: { tx: raw }', 'traffic.tx', /"udp".*"packet"/],
    ['traffic: { tx: 1 }', 'traffic.tx', /"udp".*"packet"/],
    ['traffic: { threads: 0 }', 'traffic.threads', /at least 1/],
    ['traffic: { threads: 65 }', 'traffic.threads', /at most 64/],
    ['traffic: { threads: 1.5 }', 'traffic.threads', /expected int, got 1\.5/],
    ['traffic: { threads: two }', 'traffic.threads', /expected number, got "two"/],
  ])('%s is rejected at %s', (extra, path, message) => {
    const problems = problemsOf(minimal(extra));
    const p = problems.find((x) => x.path === path);
    expect(p, JSON.stringify(problems)).toBeDefined();
    expect(p!.message).toMatch(message);
  });

  test('a misspelt key is rejected with a suggestion', () => {
    const problems = problemsOf(minimal('traffic: { thread: 2 }'));
    expect(JSON.stringify(problems)).toMatch(/threads/);
  });
});

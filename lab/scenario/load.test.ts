import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { ScenarioError } from './errors.js';
import { loadScenarioText } from './load.js';
import { problemsOf } from './testing.js';

const minimal = `name: t
hosts:
  gen: {}
  relay: {}
  sink: {}
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
`;

describe('scenario loader', () => {
  test('a minimal scenario loads with defaults applied', () => {
    const { scenario } = loadScenarioText(minimal);
    expect(scenario.traffic).toEqual({ payloadBytes: 1316, ttl: 8, durationS: 5, settleS: 1 });
    expect(scenario.relays).toEqual(['mcrd', 'socat', 'kernel', 'direct']);
    expect(scenario.repetitions).toBe(3);
  });

  test('an unknown key fails at its line and column with a did-you-mean', () => {
    const text = minimal.replace('  - a: { host: gen, interface: eth0', '  - a: { hots: gen, interface: eth0');
    const problems = problemsOf(text);
    expect(problems).toEqual([expect.objectContaining({
      path: 'links[0].a.hots', line: 7, column: 10, message: 'unknown key (did you mean "host"?)',
    })]);
  });

  test('an unknown key in a discriminated test entry suggests from that test kind', () => {
    const problems = problemsOf(minimal.replace('ratePps: 1000', 'ratepps: 1000'));
    expect(problems).toContainEqual(expect.objectContaining({ path: 'tests[0].ratepps', line: 18, message: 'unknown key (did you mean "ratePps"?)' }));
  });

  test('a wrong value names the field, the expectation and what it got', () => {
    const problems = problemsOf(minimal.replace('port: 5001', 'port: "50a"'));
    expect(problems).toEqual([expect.objectContaining({ path: 'streams[0].port', line: 14, column: 11, message: 'expected number, got "50a" (string)' })]);
  });

  test('a non-multicast group is rejected with the range', () => {
    const problems = problemsOf(minimal.replace('group: 239.1.1.1', 'group: 10.1.1.1'));
    expect(problems[0]).toMatchObject({ path: 'streams[0].group', line: 13 });
    expect(problems[0]!.message).toMatch(/multicast group/);
  });

  test('a missing required key points at the object that lacks it', () => {
    const problems = problemsOf(minimal.replace('relay: { host: relay }', 'relay: {}'));
    expect(problems).toEqual([expect.objectContaining({ path: 'relay.host', line: 9, column: 8, message: 'required string is missing' })]);
  });

  test('an unknown test kind lists the kinds', () => {
    const problems = problemsOf(minimal.replace('kind: fixed-rate', 'kind: fixed'));
    expect(problems[0]).toMatchObject({ path: 'tests[0].kind', line: 18 });
    expect(problems[0]!.message).toContain("'fixed-rate' | 'throughput' | 'latency'");
  });

  test('YAML syntax errors carry their position', () => {
    const problems = problemsOf('name: t\nhosts: [\n');
    expect(problems[0]!.line).toBeGreaterThan(0);
    expect(problems[0]!.message).toMatch(/^YAML: /);
  });

  test('duplicate keys are a YAML error, not a silent override', () => {
    const problems = problemsOf(minimal.replace('name: t\n', 'name: t\nname: u\n'));
    expect(problems[0]).toMatchObject({ line: 2 });
  });

  test('the message of the thrown error is file:line:col path: message', () => {
    expect(() => loadScenarioText(minimal.replace('hosts:', 'hostz:'), 'chain.yaml')).toThrow(/chain\.yaml:2:1 hostz: unknown key \(did you mean "hosts"\?\)/);
  });

  test.each(readdirSync(new URL('../../scenarios/', import.meta.url)).filter((f) => f.endsWith('.yaml')))(
    'shipped scenario %s loads and opens with the schema modeline',
    (file) => {
      const text = readFileSync(new URL(`../../scenarios/${file}`, import.meta.url), 'utf8');
      expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=./scenario.schema.json');
      expect(() => loadScenarioText(text, file)).not.toThrow();
    },
  );
});

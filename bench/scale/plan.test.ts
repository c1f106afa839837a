import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { prepareScenario } from '../../lab/cli/common.js';
import type { ResolvedScenario } from '../../lab/scenario/resolve.js';
import { fanoutRule, median, nthGroup, quantile, scalePlan, streamRules, STREAM_COUNTS, type Template } from './plan.js';

const root = join(import.meta.dirname, '..', '..');
const t: Template = { input: 'in0', inGroup: '239.1.0.1', inPort: 5001, output: 'out0', outGroup: '239.9.0.1', outPort: 5099 };

describe('scale plan', () => {
  test('stream counts 1 to 1000 at one total rate, both fan-outs at 100k datagrams out, 10k rules', () => {
    for (const quick of [true, false]) {
      const p = scalePlan(quick);
      const streams = p.cases.filter((c) => c.kind === 'streams');
      expect(streams.map((c) => [c.streams, c.gso])).toEqual([...STREAM_COUNTS.map((n) => [n, true]), ...STREAM_COUNTS.map((n) => [n, false])]);
      expect(new Set(streams.map((c) => c.totalPps)).size).toBe(1);
      expect(p.cases.filter((c) => c.kind === 'fanout').map((c) => [c.outputs, c.outputs * c.inputPps])).toEqual([[50, 100_000], [200, 100_000]]);
      expect(p.cases.find((c) => c.kind === 'rules')).toMatchObject({ installed: 10_000 });
    }
    expect(scalePlan(true).repetitions).toBeLessThan(scalePlan(false).repetitions);
  });

  test('nthGroup counts up through the lower three octets and refuses to leave the /8', () => {
    expect(nthGroup('239.1.0.1', 0)).toBe('239.1.0.1');
    expect(nthGroup('239.1.0.1', 255)).toBe('239.1.1.0');
    expect(nthGroup('239.1.0.1', 999)).toBe('239.1.3.232');
    expect(() => nthGroup('239.255.255.255', 1)).toThrow('leaves 239.0.0.0/8');
  });

  test('N streams are N rules with distinct input and output groups; a fan-out is one rule', () => {
    const rules = streamRules(t, 1000);
    expect(new Set(rules.map((r) => r.input.group)).size).toBe(1000);
    expect(new Set(rules.map((r) => r.outputs[0]!.group)).size).toBe(1000);
    expect(rules[0]).toEqual({ name: 'scale-0', input: { interface: 'in0', group: '239.1.0.1', port: 5001 }, outputs: [{ interface: 'out0', group: '239.9.0.1', port: 5099 }] });
    const f = fanoutRule(t, 200);
    expect(f.outputs).toHaveLength(200);
    expect(new Set(f.outputs.map((o) => o.group)).size).toBe(200);
  });

  test('median and nearest-rank quantiles', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(quantile(xs, 0.5)).toBe(50);
    expect(quantile(xs, 0.99)).toBe(99);
    expect(quantile([7], 0.99)).toBe(7);
  });

  test('scenarios/bench/scale.yaml is the chain topology with the template stream', async () => {
    const topology = (s: ResolvedScenario) => ({ hosts: s.hosts, links: s.links, bridges: s.bridges, relayHost: s.relayHost });
    const scale = (await prepareScenario(join(root, 'scenarios/bench/scale.yaml'))).scenario;
    const chain = (await prepareScenario(join(root, 'scenarios/chain.yaml'))).scenario;
    expect(topology(scale)).toEqual(topology(chain));
    expect(scale.streams).toHaveLength(1);
    expect(scale.streams[0]).toMatchObject({ group: t.inGroup, port: t.inPort, input: t.input, outputs: [{ group: t.outGroup, port: t.outPort, interface: t.output }] });
  });
});

import { describe, expect, test } from 'vitest';
import type { EngineRule } from '../engine/types.js';
import { COMPARED, tableDelta } from './table-delta.js';

const rule = (id: string, slot: number, port = 5000): EngineRule => ({
  id, slot,
  input: { interface: 'eth0', group: '239.1.1.1', port },
  outputs: [{ slot, interface: 'eth1', group: '239.2.2.2', port: 6000, ttl: 16 }],
});

describe('tableDelta', () => {
  test('equal tables need no change, even as fresh objects', () => {
    const a = [rule('a', 0), rule('b', 1)];
    expect(tableDelta(a, a.map((r) => structuredClone(r)))).toEqual({ remove: [], add: [] });
  });

  test('a rule added to a big table is the whole change', () => {
    const big = Array.from({ length: 10_000 }, (_, i) => rule(`r${i}`, i));
    const d = tableDelta(big, [...big.map((r) => structuredClone(r)), rule('new', 10_000)]);
    expect(d).toEqual({ remove: [], add: [rule('new', 10_000)] });
  });

  test('removed ids are taken out, changed rules are put in to replace theirs', () => {
    const d = tableDelta([rule('a', 0), rule('b', 1), rule('c', 2)], [rule('a', 0), rule('c', 2, 5001)]);
    expect(d).toEqual({ remove: ['b'], add: [rule('c', 2, 5001)] });
  });

  test('a rule that moved to another counter slot counts as changed', () => {
    expect(tableDelta([rule('a', 0)], [rule('a', 7)])).toEqual({ remove: [], add: [rule('a', 7)] });
  });

  test.each([
    ['input source', (r: EngineRule) => { r.input.source = '10.0.0.1'; }],
    ['output ttl', (r: EngineRule) => { r.outputs[0]!.ttl = 3; }],
    ['output tos', (r: EngineRule) => { r.outputs[0]!.tos = 184; }],
    ['output keepSource', (r: EngineRule) => { r.outputs[0]!.keepSource = true; }],
    ['an output more', (r: EngineRule) => { r.outputs.push({ ...r.outputs[0]!, slot: 9 }); }],
  ])('a changed %s counts as changed', (_, change) => {
    const next = rule('a', 0);
    change(next);
    expect(tableDelta([rule('a', 0)], [next])).toEqual({ remove: [], add: [next] });
  });

  test('from nothing everything is added; to nothing everything is removed', () => {
    expect(tableDelta([], [rule('a', 0)])).toEqual({ remove: [], add: [rule('a', 0)] });
    expect(tableDelta([rule('a', 0)], [])).toEqual({ remove: ['a'], add: [] });
  });
});

test('every field of an engine input and output is compared', () => {
  // COMPARED lists what sameInput/sameOutput compare; its Record types force it to name every field.
  const input: Record<string, unknown> = { interface: 'eth0', group: '239.1.1.1', port: 1, source: '10.0.0.1' };
  const output: Record<string, unknown> = { slot: 0, interface: 'eth1', group: '239.2.2.2', port: 2, ttl: 3, tos: 4, keepSource: true, source: '10.0.0.8',
    reportLocal: true, register: { source: '10.0.0.9', group: '239.3.3.3', port: 5, ttl: 6, tos: 0 } };
  expect(Object.keys(COMPARED.input).sort()).toEqual(Object.keys(input).sort());
  expect(Object.keys(COMPARED.output).sort()).toEqual(Object.keys(output).sort());
  const base = { id: 'a', slot: 0, input, outputs: [output] } as unknown as EngineRule;
  for (const [where, fields] of [['input', input], ['output', output]] as const) {
    for (const k of Object.keys(fields)) {
      const next = structuredClone(base) as unknown as { input: Record<string, unknown>; outputs: Record<string, unknown>[] };
      if (where === 'input') next.input[k] = 'changed'; else next.outputs[0]![k] = 'changed';
      expect(tableDelta([base], [next as unknown as EngineRule]).add, `${where}.${k}`).toHaveLength(1);
    }
  }
});

test('a Register output differs by its inner header, and {} (as received) from a re-originating one', () => {
  const rule = (register: object): EngineRule => ({ id: 'r', slot: 0, input: { interface: 'eth0', group: '239.1.1.1', port: 1 },
    outputs: [{ slot: 0, interface: 'eth1', group: '10.0.0.1', port: 0, ttl: 64, register }] } as unknown as EngineRule);
  const inner = { source: '10.0.0.9', group: '239.3.3.3', port: 5, ttl: 6 };
  expect(tableDelta([rule({})], [rule({})]).add).toHaveLength(0);
  expect(tableDelta([rule(inner)], [rule({ ...inner })]).add).toHaveLength(0);
  expect(tableDelta([rule({})], [rule(inner)]).add).toHaveLength(1);
  expect(tableDelta([rule(inner)], [rule({ ...inner, ttl: 7 })]).add).toHaveLength(1);
});

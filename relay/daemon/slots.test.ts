import { expect, test } from 'vitest';
import { SlotMap } from './slots.js';

test('existing keys keep their slots, new keys take fresh ones round robin', () => {
  const m = new SlotMap(4, 'rule');
  m.commit(m.plan(['a', 'b']));
  m.commit(m.plan(['b', 'c']));
  expect([m.get('a'), m.get('b'), m.get('c')]).toEqual([undefined, 1, 2]);
  m.commit(m.plan(['b', 'c', 'd', 'e']));
  expect([m.get('d'), m.get('e')]).toEqual([3, 0]);
});

test('running out of slots is an error naming the limit, and nothing is committed', () => {
  const m = new SlotMap(2, 'output');
  m.commit(m.plan(['a']));
  expect(() => m.plan(['a', 'b', 'c'])).toThrow('too many outputs: the engine has 2 output slots');
  expect(m.get('b')).toBeUndefined();
});

test('planAdd and commitChange hand out the slots plan and commit would, one change at a time', () => {
  const whole = new SlotMap(6, 'rule');
  const step = new SlotMap(6, 'rule');
  const tables = [['a', 'b'], ['a', 'b', 'c'], ['b', 'c'], ['b', 'c', 'd', 'e'], ['c', 'd', 'e', 'f', 'g'], ['c', 'e', 'f', 'g', 'h']];
  let prev: string[] = [];
  for (const t of tables) {
    whole.commit(whole.plan(t));
    const added = step.planAdd(t.filter((k) => !prev.includes(k)));
    step.commitChange(added, prev.filter((k) => !t.includes(k)));
    expect(t.map((k) => step.get(k)), t.join(',')).toEqual(t.map((k) => whole.get(k)));
    prev = t;
  }
  expect(['a', 'd'].map((k) => step.get(k))).toEqual([undefined, undefined]);
});

test('planAdd refuses past the capacity and commits nothing', () => {
  const m = new SlotMap(2, 'output');
  m.commitChange(m.planAdd(['a']), []);
  expect(() => m.planAdd(['b', 'c'])).toThrow('too many outputs: the engine has 2 output slots');
  expect(m.get('b')).toBeUndefined();
  expect(m.planAdd(['a', 'b']).get('a')).toBe(0);
});

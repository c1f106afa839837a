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

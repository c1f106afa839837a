import { describe, expect, test } from 'vitest';
import { DEFAULT_LAB_PREFIX, labPrefix, prefixPattern } from './context.js';

describe('labPrefix', () => {
  test('defaults to mcl and takes MCR_LAB_PREFIX', () => {
    expect(labPrefix({})).toBe(DEFAULT_LAB_PREFIX);
    expect(labPrefix({ MCR_LAB_PREFIX: 'mcrL' })).toBe('mcrL');
  });
  test('refuses a prefix that would break namespace names, naming the variable', () => {
    for (const bad of ['1ab', 'mcr-L', 'toolongpx', 'a b']) expect(() => labPrefix({ MCR_LAB_PREFIX: bad })).toThrow(/MCR_LAB_PREFIX/);
  });
  test('the pattern matches only run namespaces of that prefix', () => {
    const p = prefixPattern('mcrL');
    expect(p.test('mcrLa1b2c3-h1')).toBe(true);
    expect(p.test('mcla1b2c3-h1')).toBe(false);
    expect(p.test('mcrL-keep')).toBe(false);
  });
});

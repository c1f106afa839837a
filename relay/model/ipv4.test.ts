import { expect, test } from 'vitest';
import { isGroupOrUnicast, isMulticast, isUsableUnicast, parseIpv4 } from './ipv4.js';

test.each([
  ['239.1.1.1', 0xef010101], ['0.0.0.0', 0], ['255.255.255.255', 0xffffffff], ['10.0.0.1', 0x0a000001],
])('parseIpv4(%s) is %i', (s, n) => expect(parseIpv4(s)).toBe(n));

test.each(['239.1.1', '239.1.1.1.1', '256.1.1.1', '01.1.1.1', ' 1.1.1.1', '1.1.1.1 ', 'a.b.c.d', ''])('parseIpv4(%j) is undefined', (s) => {
  expect(parseIpv4(s)).toBeUndefined();
});

test('classification separates multicast, usable unicast and the rest', () => {
  const c = (s: string) => parseIpv4(s)!;
  expect(isMulticast(c('224.0.0.1'))).toBe(true);
  expect(isMulticast(c('239.255.255.255'))).toBe(true);
  expect(isMulticast(c('240.0.0.1'))).toBe(false);
  expect(isUsableUnicast(c('192.0.2.1'))).toBe(true);
  expect(isUsableUnicast(c('127.0.0.1'))).toBe(false);
  expect(isGroupOrUnicast(c('0.1.2.3'))).toBe(false);
  expect(isGroupOrUnicast(c('250.1.1.1'))).toBe(false);
});

import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { parseRule } from '../model/validate.js';
import { checkInterfaces, interfaceExists, readInterfaces } from './interfaces.js';

test('lo exists in every network namespace; a made-up name does not', () => {
  expect(interfaceExists('lo')).toBe(true);
  expect(interfaceExists('mcrR-none0')).toBe(false);
});

test('the first missing interface is named with its path', () => {
  const r = parseRule({ input: { interface: 'lo', group: '239.1.1.1', port: 1 }, outputs: [{ interface: 'lo', group: '239.1.1.2', port: 1 }, { interface: 'nope9', group: '239.1.1.3', port: 1 }] });
  expect(() => checkInterfaces(r)).toThrow('outputs[1].interface: no interface "nope9" in mcrd\'s network namespace (see ip link show)');
  expect(() => checkInterfaces(r, () => true)).not.toThrow();
});

test('readInterfaces (one rtnetlink dump) sees lo as the kernel does', () => {
  const lo = readInterfaces().get('lo');
  expect(lo).toMatchObject({ ifindex: Number(readFileSync('/sys/class/net/lo/ifindex', 'utf8')), mtu: Number(readFileSync('/sys/class/net/lo/mtu', 'utf8')) });
  expect(lo!.mac).toBe('00:00:00:00:00:00');
  expect(lo!.addresses).toContain('127.0.0.1/8');
  expect(readInterfaces().has('mcrR-none0')).toBe(false);
});

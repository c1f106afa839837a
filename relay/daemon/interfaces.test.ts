import { expect, test } from 'vitest';
import { parseRule } from '../model/validate.js';
import { checkInterfaces, interfaceExists } from './interfaces.js';

test('lo exists in every network namespace; a made-up name does not', () => {
  expect(interfaceExists('lo')).toBe(true);
  expect(interfaceExists('mcrR-none0')).toBe(false);
});

test('the first missing interface is named with its path', () => {
  const r = parseRule({ input: { interface: 'lo', group: '239.1.1.1', port: 1 }, outputs: [{ interface: 'lo', group: '239.1.1.2', port: 1 }, { interface: 'nope9', group: '239.1.1.3', port: 1 }] });
  expect(() => checkInterfaces(r)).toThrow('outputs[1].interface: no interface "nope9" in mcrd\'s network namespace (see ip link show)');
  expect(() => checkInterfaces(r, () => true)).not.toThrow();
});

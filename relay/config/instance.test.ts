import { expect, test } from 'vitest';
import { instancePaths } from './instance.js';

test('each instance gets its own socket and state file; the unnamed one keeps the classic paths', () => {
  expect(instancePaths(undefined)).toEqual({ controlSocket: '/run/mcrd/control.sock', stateFile: '/var/lib/mcrd/rules.json' });
  const a = instancePaths('a');
  const b = instancePaths('edge-2');
  expect(a).toEqual({ controlSocket: '/run/mcrd/a/control.sock', stateFile: '/var/lib/mcrd/a/rules.json' });
  expect(b.stateFile).not.toBe(a.stateFile);
  expect(b.controlSocket).not.toBe(a.controlSocket);
});

test('a name that could escape its directory is refused naming the flag', () => {
  for (const bad of ['..', '../x', 'a/b', '', '.hidden', 'x'.repeat(33)]) {
    expect(() => instancePaths(bad)).toThrow(/^--instance: expected an instance name/);
  }
});

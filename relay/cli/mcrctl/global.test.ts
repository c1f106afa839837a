import { expect, test } from 'vitest';
import { exitCodeFor } from './context.js';
import { parseGlobal } from './global.js';
import { McrError } from '../../errors.js';

test('global flags come before the command; --json may come anywhere', () => {
  expect(parseGlobal(['--socket', '/tmp/s', 'list', '--json'], {})).toMatchObject({ socket: '/tmp/s', json: true, verb: 'list', rest: [] });
  expect(parseGlobal(['--socket-path=/x', 'remove', '--rule-id', 'a'], {})).toMatchObject({ socket: '/x', verb: 'remove', rest: ['--rule-id', 'a'] });
  expect(parseGlobal(['ping'], {}).socket).toBe('/run/mcrd/control.sock');
  expect(parseGlobal(['ping'], { MCRD_SOCKET: '/e' }).socket).toBe('/e');
});

test('a bad global flag is a usage error', () => {
  expect(() => parseGlobal(['--sock', 'x'], {})).toThrow('unknown option "--sock" before the command');
  expect(() => parseGlobal(['--socket'], {})).toThrow('--socket: expected a socket path');
});

test('exit codes follow sysexits: refused 1, usage 64, unavailable 69, permission 77', () => {
  expect(exitCodeFor(Object.assign(new McrError({ code: 'EINVAL', detail: 'x' }), { usage: true }))).toBe(64);
  expect(exitCodeFor(new McrError({ code: 'EUNAVAIL', detail: 'x' }))).toBe(69);
  expect(exitCodeFor(new McrError({ code: 'EACCES', detail: 'x' }))).toBe(77);
  expect(exitCodeFor(new McrError({ code: 'EEXIST', detail: 'x' }))).toBe(1);
});

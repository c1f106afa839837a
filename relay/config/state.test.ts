import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { parseRule } from '../model/validate.js';
import { type StoredRule, readState, writeState } from './state.js';
import { tempDir } from '../../test/support/tmp.js';

const rule = (port: number, origin: StoredRule['origin']): StoredRule => ({
  ...parseRule({ input: { interface: 'eth0', group: '239.1.1.1', port }, outputs: [{ interface: 'eth1', group: '239.2.2.2', port: 6000 }] }),
  origin,
});

test('written rules read back identically, in a directory created on demand', async () => {
  const dir = await tempDir('state');
  const path = join(dir, 'sub', 'rules.json');
  const rules = [rule(5000, 'config'), rule(5001, 'runtime')];
  await writeState(path, rules);
  expect(await readState(path)).toEqual(rules);
  // No temp file is left next to it.
  expect(await readdir(join(dir, 'sub'))).toEqual(['rules.json']);
  expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ version: 1 });
});

test('a missing state file is an empty table', async () => {
  const dir = await tempDir('state');
  expect(await readState(join(dir, 'none.json'))).toEqual([]);
});

test('a damaged state file is an error naming it and the way out', async () => {
  const dir = await tempDir('state');
  const path = join(dir, 'rules.json');
  await writeFile(path, '{"version":1,"rules":[');
  await expect(readState(path)).rejects.toThrow(new RegExp(`^${path}: state file is not JSON .*move it aside`));
  await writeFile(path, '{"version":1,"rules":[{"input":{"interface":"eth0","group":"239.1.1.1","port":0},"outputs":[]}]}');
  await expect(readState(path)).rejects.toThrow(`${path} rules[0].input.port: expected integer 1-65535, got 0 (number)`);
});

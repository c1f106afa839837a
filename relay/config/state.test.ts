import { appendFile, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { McrError } from '../errors.js';
import { parseRule } from '../model/validate.js';
import { StateFile, type StoredRule, lockStateFile, readState, restoreState, writeState } from './state.js';
import { canMount, scratchMount } from '../../test/support/mounts.js';
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

describe('the journal (a line per change)', () => {
  const a = rule(5000, 'config');
  const b = rule(5001, 'runtime');
  const c = rule(5002, 'runtime');

  test('changes after a snapshot are appended as lines and read back in order; a snapshot empties the journal', async () => {
    const path = join(await tempDir('state'), 'rules.json');
    const st = new StateFile(path);
    await st.save([a, b]);
    await st.record({ remove: [a.id], add: [c] }, () => [b, c]);
    const b2 = { ...b, outputs: [{ ...b.outputs[0]!, port: 6500 }] };
    await st.record({ remove: [], add: [b2] }, () => [c, b2]);
    expect(await readState(path)).toEqual([c, b2]);
    const lines = (await readFile(`${path}.journal`, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { seq: number });
    expect(lines.map((l) => l.seq)).toEqual([1, 2]);
    await st.save([c]);
    expect(await readFile(`${path}.journal`, 'utf8')).toBe('');
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ version: 1, seq: 2 });
    await st.close();
    // A restarted writer continues the sequence from what it restored.
    const again = new StateFile(path, (await restoreState(path)).seq);
    await again.record({ remove: [c.id], add: [a] }, () => [a]);
    expect((await readFile(`${path}.journal`, 'utf8')).trim()).toMatch(/^\{"seq":3,/);
    expect(await readState(path)).toEqual([a]);
    await again.close();
  });

  test('a torn last line (a crash during its append, never acknowledged) is ignored', async () => {
    const path = join(await tempDir('state'), 'rules.json');
    const st = new StateFile(path);
    await st.save([a]);
    await st.record({ remove: [], add: [b] }, () => [a, b]);
    await st.close();
    for (const torn of ['{"seq":2,"remove":[],"add":[{"id"', '\0'.repeat(300), '{"seq":2,"remove":[],"add":[{"id":"x","in\n']) {
      const j = `${path}.journal`;
      const good = (await readFile(j, 'utf8')).split('\n')[0]!;
      await writeFile(j, `${good}\n`);
      await appendFile(j, torn);
      expect(await restoreState(path), JSON.stringify(torn.slice(0, 20))).toEqual({ rules: [a, b], seq: 1, tornLine: 2 });
    }
    // A well-formed last line whose rule does not validate is damage, not a tear.
    await writeFile(`${path}.journal`, `${JSON.stringify({ seq: 1, remove: [], add: [{ id: 'x' }] })}\n`);
    await expect(readState(path)).rejects.toThrow('journal line 1.add[0].input');
  });

  test('lines at or below the snapshot\'s seq (a crash between snapshot and truncation) are skipped', async () => {
    const path = join(await tempDir('state'), 'rules.json');
    await writeState(path, [b], 2);
    await writeFile(`${path}.journal`, [
      JSON.stringify({ seq: 1, remove: [], add: [a] }),
      JSON.stringify({ seq: 2, remove: [a.id], add: [b] }),
      JSON.stringify({ seq: 3, remove: [], add: [c] }),
    ].join('\n') + '\n');
    expect(await readState(path)).toEqual([b, c]);
    expect((await restoreState(path)).seq).toBe(3);
  });

  test('a damaged line before the last sets snapshot and journal aside, naming the line', async () => {
    const dir = await tempDir('state');
    const path = join(dir, 'rules.json');
    await writeState(path, [a]);
    await writeFile(`${path}.journal`, `garbage\n${JSON.stringify({ seq: 1, remove: [], add: [b] })}\n`);
    await expect(readState(path)).rejects.toThrow(`${path}.journal: journal line 1 is damaged`);
    const r = await restoreState(path, () => new Date('2026-12-05T08:00:00.000Z'));
    expect(r.rules).toEqual([]);
    expect(r.setAside?.path).toBe(`${path}.corrupt-2026-12-05T08-00-00-000Z, ${path}.journal.corrupt-2026-12-05T08-00-00-000Z`);
    expect((await readdir(dir)).sort()).toEqual(['rules.json.corrupt-2026-12-05T08-00-00-000Z', 'rules.json.journal.corrupt-2026-12-05T08-00-00-000Z']);
  });

  test('compaction is due past max(1000, twice the table) lines', async () => {
    const path = join(await tempDir('state'), 'rules.json');
    const st = new StateFile(path);
    await st.save([]);
    for (let i = 0; i < 1001; i++) {
      expect(st.wantsCompaction(10)).toBe(false);
      await st.record({ remove: [], add: [] }, () => []);
    }
    expect(st.wantsCompaction(10)).toBe(true);
    expect(st.wantsCompaction(600)).toBe(false);
    await st.save([]);
    expect(st.wantsCompaction(10)).toBe(false);
    await st.close();
  });
});

describe('restoreState at start-up', () => {
  const at = () => new Date('2026-12-03T08:00:00.000Z');

  test.each([
    ['cut short', '{"version":1,"rules":[{"id":"a","inp'],
    ['empty', ''],
    ['zeroed', '\0'.repeat(512)],
    ['a rule that no longer validates', '{"version":1,"rules":[{"input":{"interface":"eth0","group":"239.1.1.1","port":0},"outputs":[]}]}'],
    ['another format', '{"version":2,"rules":[]}'],
  ])('a damaged file (%s) is kept aside byte for byte and the table starts empty', async (_what, text) => {
    const dir = await tempDir('state');
    const path = join(dir, 'rules.json');
    await writeFile(path, text);
    const r = await restoreState(path, at);
    expect(r.rules).toEqual([]);
    expect(r.setAside?.path).toBe(`${path}.corrupt-2026-12-03T08-00-00-000Z`);
    expect(r.setAside?.reason).toContain(path);
    expect(await readFile(r.setAside!.path, 'utf8')).toBe(text);
    expect((await readdir(dir)).sort()).toEqual(['rules.json.corrupt-2026-12-03T08-00-00-000Z']);
  });

  test('an earlier damaged file with the same timestamp is never overwritten', async () => {
    const dir = await tempDir('state');
    const path = join(dir, 'rules.json');
    await writeFile(path, 'first');
    await restoreState(path, at);
    await writeFile(path, 'second');
    const r = await restoreState(path, at);
    expect(r.setAside?.path).toBe(`${path}.corrupt-2026-12-03T08-00-00-000Z-1`);
    expect(await readFile(`${path}.corrupt-2026-12-03T08-00-00-000Z`, 'utf8')).toBe('first');
    expect(await readFile(r.setAside!.path, 'utf8')).toBe('second');
  });

  test('a good file is read, nothing set aside', async () => {
    const dir = await tempDir('state');
    const path = join(dir, 'rules.json');
    await writeState(path, [rule(5000, 'runtime')]);
    expect(await restoreState(path, at)).toEqual({ rules: [rule(5000, 'runtime')], seq: 0 });
  });
});

describe.skipIf(!canMount)('writeState on a full or read-only filesystem (real tmpfs in a private mount namespace)', () => {
  const many = Array.from({ length: 400 }, (_, i) => rule(10000 + i, 'runtime'));

  test('ENOSPC: the old file stays complete, no temp file is left, the error names the cause', async () => {
    const m = await scratchMount({ sizeKiB: 64 });
    const path = join(m.dir, 'rules.json');
    await writeState(path, [rule(5000, 'config')]);
    await m.fill();
    await expect(writeState(path, many)).rejects.toThrow(`${path}: state file not saved (ENOSPC)`);
    expect(await readState(path)).toEqual([rule(5000, 'config')]);
    expect((await readdir(m.dir)).sort()).toEqual(['filler', 'rules.json']);
  });

  test('EROFS: the old file stays, the error names the cause', async () => {
    const m = await scratchMount({ sizeKiB: 64 });
    const path = join(m.dir, 'rules.json');
    await writeState(path, [rule(5000, 'config')]);
    await m.remountReadOnly();
    await expect(writeState(path, [rule(5001, 'runtime')])).rejects.toThrow(`${path}: state file not saved (EROFS)`);
    expect(await readState(path)).toEqual([rule(5000, 'config')]);
  });
});

describe('lockStateFile', () => {
  test('a second lock on the same state file is refused naming the holder, and free again after release', async () => {
    const dir = await tempDir('state');
    const path = join(dir, 'rules.json');
    const first = lockStateFile(path);
    expect(await readFile(`${path}.lock`, 'utf8')).toBe(`${process.pid}\n`);
    expect(() => lockStateFile(path)).toThrow(new McrError({
      code: 'EBUSY', source: path, detail: `state file in use by another mcrd (pid ${process.pid})`, hint: 'stop that mcrd, or give this one its own --state-file',
    }).message);
    first.release();
    lockStateFile(path).release();
  });
});

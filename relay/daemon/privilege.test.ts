import { chmod, mkdir, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseConfigText } from '../config/load.js';
import { tempDir } from '../../test/support/tmp.js';
import { parseDaemonArgs } from './args.js';
import { parseUserSpec, resolveIdentity } from './privilege.js';
import { type Identity, handOver, permits } from './privilege-paths.js';

describe('USER[:GROUP]', () => {
  test.each([
    ['mcrd', { user: 'mcrd' }],
    ['mcrd:operators', { user: 'mcrd', group: 'operators' }],
    ['65534', { user: '65534' }],
    ['65534:65534', { user: '65534', group: '65534' }],
    ['svc-mcr.1', { user: 'svc-mcr.1' }],
    ['MACHINE$', { user: 'MACHINE$' }],
  ])('%j parses', (text, spec) => {
    expect(parseUserSpec(text)).toEqual(spec);
  });

  test.each([
    ['', '--user: expected USER or USER:GROUP (USER is empty), got "" (string)'],
    [':mcrd', '--user: expected USER or USER:GROUP (USER is empty), got ":mcrd" (string)'],
    ['mcrd:', '--user: expected USER or USER:GROUP (GROUP is empty; leave out the colon for USER\'s own group), got "mcrd:" (string)'],
    ['a:b:c', '--user: expected USER or USER:GROUP (one colon at most), got "a:b:c" (string)'],
    ['mc rd', '--user: expected USER or USER:GROUP (USER must be a user name or a numeric uid), got "mc rd" (string)'],
    ['-mcrd', '--user: expected USER or USER:GROUP (USER must be a user name or a numeric uid), got "-mcrd" (string)'],
    ['mcrd:op/s', '--user: expected USER or USER:GROUP (GROUP must be a group name or a numeric gid), got "mcrd:op/s" (string)'],
  ])('%j is refused naming --user', (text, message) => {
    expect(() => parseUserSpec(text)).toThrow(message);
  });

  test('the error names where the value came from', () => {
    expect(() => parseUserSpec('a:b:c', 'mcrd.json5 daemon.user')).toThrow(/^mcrd\.json5 daemon\.user: expected USER or USER:GROUP/);
  });

  test('mcrd --user and -u take it; a malformed value is a usage error', () => {
    expect(parseDaemonArgs(['--user', 'mcrd:operators']).settings).toMatchObject({ user: 'mcrd:operators' });
    expect(parseDaemonArgs(['-u', 'nobody']).settings.user).toBe('nobody');
    expect(parseDaemonArgs([]).settings.user).toBeUndefined();
    expect(() => parseDaemonArgs(['--user', 'a:b:c'])).toThrow('--user: expected USER or USER:GROUP (one colon at most), got "a:b:c" (string)');
  });

  test('the config file takes daemon.user and names the line of a bad one', () => {
    expect(parseConfigText('{ daemon: { user: "mcrd:ops" }, rules: [] }', 'x.json5').settings.user).toBe('mcrd:ops');
    expect(() => parseConfigText('{\n daemon: {\n  user: "a b" } }', 'x.json5'))
      .toThrow('x.json5:3 daemon.user: expected USER or USER:GROUP (USER must be a user name or a numeric uid), got "a b" (string)');
  });
});

describe('resolving the user through the name service', () => {
  test('nobody: its uid, its primary group, and initgroups\' list', () => {
    const id = resolveIdentity({ user: 'nobody' });
    expect(id).toMatchObject({ user: 'nobody', uid: 65534, gid: 65534 });
    expect(id.groups).toContain(65534);
    expect(resolveIdentity({ user: '65534' })).toEqual(id);
  });

  test('an explicit GROUP replaces the primary group', () => {
    const id = resolveIdentity({ user: 'nobody', group: 'daemon' });
    expect(id).toMatchObject({ user: 'nobody', group: 'daemon', gid: 1 });
    expect(id.groups).toContain(1);
  });

  test.each([
    [{ user: 'mcrR-no-such-user' }, '--user: no user "mcrR-no-such-user" (getent passwd mcrR-no-such-user finds nothing) (create it, e.g. useradd --system --no-create-home --shell /usr/sbin/nologin mcrR-no-such-user, or name an existing user)'],
    [{ user: 'nobody', group: 'mcrR-no-such-group' }, '--user: no group "mcrR-no-such-group" (getent group mcrR-no-such-group finds nothing) (create it with groupadd, or leave out :GROUP to use the user\'s own group)'],
    [{ user: 'root' }, '--user: user "root" has uid 0: switching to it drops nothing (name an unprivileged user such as mcrd)'],
    [{ user: '0' }, '--user: user "root" has uid 0: switching to it drops nothing (name an unprivileged user such as mcrd)'],
  ])('%j is refused with the fix', (spec, message) => {
    expect(() => resolveIdentity(spec)).toThrow(message);
  });
});

describe('permission bits as the target user sees them', () => {
  const id: Identity = { user: 'u', uid: 1000, gid: 100, group: 'g', groups: [100, 27] };
  test.each([
    [{ uid: 1000, gid: 0, mode: 0o700 }, 3, true],
    [{ uid: 1000, gid: 0, mode: 0o500 }, 3, false],
    [{ uid: 0, gid: 27, mode: 0o770 }, 3, true],
    [{ uid: 0, gid: 27, mode: 0o750 }, 3, false],
    [{ uid: 0, gid: 0, mode: 0o1777 }, 3, true],
    [{ uid: 0, gid: 0, mode: 0o755 }, 1, true],
    [{ uid: 0, gid: 100, mode: 0o705 }, 4, false],
  ])('%j wants %d → %s', (st, want, ok) => {
    expect(permits(st, id, want)).toBe(ok);
  });
});

// handOver chowns, so it needs root; the e2e test covers the same as a running daemon.
describe.skipIf(process.getuid?.() !== 0)('handing directories over before the switch', () => {
  const nobody = () => resolveIdentity({ user: 'nobody' });
  const openDir = async () => { const d = await tempDir('hand'); await chmod(d, 0o755); return d; };

  test('missing directories are created 0750 for the user, the socket\'s with the socket group', async () => {
    const dir = await openDir();
    const id = nobody();
    await handOver(id, { stateFile: join(dir, 'a/state/rules.json'), socketPath: join(dir, 'run/control.sock'), socketGid: 1, source: '--user' });
    const state = await stat(join(dir, 'a/state'));
    expect({ uid: state.uid, gid: state.gid, mode: state.mode & 0o7777 }).toEqual({ uid: 65534, gid: 65534, mode: 0o750 });
    const run = await stat(join(dir, 'run'));
    expect({ uid: run.uid, gid: run.gid, mode: run.mode & 0o7777 }).toEqual({ uid: 65534, gid: 1, mode: 0o750 });
    expect((await stat(join(dir, 'a'))).mode & 0o777).toBe(0o755);
  });

  test('an existing root directory holding only the state file is handed over, file included', async () => {
    const dir = await openDir();
    await mkdir(join(dir, 'state'), { mode: 0o750 });
    await writeFile(join(dir, 'state/rules.json'), '{"version":1,"rules":[]}\n', { mode: 0o640 });
    await handOver(nobody(), { stateFile: join(dir, 'state/rules.json'), socketPath: join(dir, 'state/control.sock'), source: '--user' });
    for (const p of ['state', 'state/rules.json']) expect((await stat(join(dir, p))).uid).toBe(65534);
  });

  test('a directory with other files is refused, not chowned', async () => {
    const dir = await openDir();
    await mkdir(join(dir, 'etc'), { mode: 0o755 });
    await writeFile(join(dir, 'etc/passwd'), 'x');
    await expect(handOver(nobody(), { stateFile: join(dir, 'etc/rules.json'), socketPath: join(dir, 'run/c.sock'), source: '--user' }))
      .rejects.toThrow(`--user: ${dir}/etc (the state file's directory): user nobody may not create files there (owner 0:0, mode 0755), and it holds other files (passwd), so mcrd does not hand it over`);
    expect((await stat(join(dir, 'etc'))).uid).toBe(0);
  });

  test('a state file that is a symlink is not followed', async () => {
    const dir = await openDir();
    await mkdir(join(dir, 'state'), { mode: 0o750 });
    await writeFile(join(dir, 'target'), 'x');
    await symlink(join(dir, 'target'), join(dir, 'state/rules.json'));
    await handOver(nobody(), { stateFile: join(dir, 'state/rules.json'), socketPath: join(dir, 'state/c.sock'), source: '--user' });
    expect((await stat(join(dir, 'target'))).uid).toBe(0);
  });

  test('a directory the user cannot reach is refused naming the blocking parent', async () => {
    const dir = await tempDir('hand');   // mkdtemp: 0700 root
    await expect(handOver(nobody(), { stateFile: join(dir, 'state/rules.json'), socketPath: join(dir, 'state/c.sock'), source: '--user' }))
      .rejects.toThrow(`--user: ${dir}/state (the state file and control socket's directory): user nobody cannot reach it: ${dir} is not searchable for it (owner 0:0, mode 0700) (chmod o+x ${dir}, or choose a path outside it)`);
    await expect(stat(join(dir, 'state'))).rejects.toThrow(/ENOENT/);
  });
});

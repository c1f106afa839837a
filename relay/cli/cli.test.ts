/**
 * The compiled CLIs as a user runs them (dist/, built by `npm test` before vitest): exit codes,
 * messages on stderr, --json on stdout. A full daemon needs root and the engine: see relay/e2e.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { tempDir } from '../../test/support/tmp.js';
import { startControlServer } from '../control/server.js';
import { silentLogger } from '../daemon/log.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
function run(bin: 'mcrd' | 'mcrctl', args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(root, `dist/relay/cli/${bin}.js`), ...args], (err, stdout, stderr) => {
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('mcrd', () => {
  test('--check accepts a valid MCR rule file (exit 0) and names the bad field of another (exit 78)', async () => {
    const ok = await run('mcrd', ['--check', join(root, 'test/fixtures/config/mcr-sample.json5')]);
    expect(ok).toMatchObject({ code: 0, stdout: expect.stringMatching(/mcr-sample\.json5: ok, 2 rules\n$/) });
    const dir = await tempDir('cli');
    const bad = join(dir, 'bad.json5');
    await writeFile(bad, '{\n  rules: [\n    { input: { interface: "eth0", group: "239.1.1.1", port: 5000 },\n      outputs: [{ interface: "eth1", group: "239.2.2.2", port: "80a" }] },\n  ],\n}\n');
    expect(await run('mcrd', ['--check', bad])).toEqual({
      code: 78, stdout: '', stderr: `mcrd: ${bad}:4 rules[0].outputs[0].port: expected integer 1-65535, got "80a" (string)\n`,
    });
  });

  test('a bad flag is a usage error (exit 64) naming it', async () => {
    expect(await run('mcrd', ['--num-workers', 'many'])).toMatchObject({ code: 64, stderr: 'mcrd: --num-workers: expected integer 1-64, got "many" (string)\n' });
    expect((await run('mcrd', ['--help'])).stdout).toMatch(/^usage: mcrd \[supervisor\]/);
  });
});

describe('mcrctl', () => {
  test('no daemon: exit 69 with advice, as text or JSON', async () => {
    const dir = await tempDir('cli');
    const sock = join(dir, 'none.sock');
    expect(await run('mcrctl', ['--socket', sock, 'list'])).toEqual({ code: 69, stdout: '', stderr: `mcrctl: mcrd not running? no socket at ${sock}\n` });
    const j = await run('mcrctl', ['--socket', sock, '--json', 'ping']);
    expect(j.code).toBe(69);
    expect(JSON.parse(j.stdout)).toEqual({ ok: false, error: { code: 'EUNAVAIL', message: `mcrd not running? no socket at ${sock}` } });
  });

  test('bad flags are caught before connecting: exit 64 naming the flag', async () => {
    const r = await run('mcrctl', ['--socket', '/nonexistent/s', 'add', '--input-interface', 'eth0', '--input-group', '239.1.1.1', '--input-port', 'x', '--outputs', '239.2.2.2:6000:eth1']);
    expect(r).toEqual({ code: 64, stdout: '', stderr: 'mcrctl: --input-port: expected integer 1-65535, got "x" (string)\n' });
    expect((await run('mcrctl', ['frob'])).code).toBe(64);
    expect((await run('mcrctl', ['add', '--help'])).stdout).toMatch(/^usage: mcrctl add --input-interface IF/);
  });
});

describe('mcrctl permissions', () => {
  test.skipIf(process.getuid?.() !== 0)('a user outside the socket\'s group is told what is needed (exit 77)', async () => {
    const dir = await tempDir('cli');
    const sock = join(dir, 'c.sock');
    const srv = await startControlServer(sock, {} as never, silentLogger());
    try {
      const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
        execFile('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, join(root, 'dist/relay/cli/mcrctl.js'), '--socket', sock, 'ping'],
          (err, _out, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stderr }));
      });
      expect(r).toEqual({ code: 77, stderr: `mcrctl: permission denied on ${sock}: needs group mcrd (or the one given to mcrd --socket-group) or root\n` });
    } finally {
      await srv.close();
    }
  });
});

describe('mcrctl config check', () => {
  test('validates a file locally: exit 0 for a good file, 78 naming line and field for a bad one', async () => {
    const good = await run('mcrctl', ['config', 'check', join(root, 'test/fixtures/config/mcr-sample.json5')]);
    expect(good).toMatchObject({ code: 0, stdout: expect.stringMatching(/: ok, 2 rules\n$/) });
    const dir = await tempDir('cli');
    const bad = join(dir, 'bad.json5');
    await writeFile(bad, '{ rules: [ { input: { interface: "eth0", group: "239.1.1.1", port: 5000 }, outputs: [{ interface: "eth0", group: "239.1.1.1", port: 5000 }] } ] }');
    expect(await run('mcrctl', ['config', 'check', bad])).toMatchObject({ code: 78, stderr: expect.stringContaining(`${bad}:1 rules[0].outputs[0]: self-loop`) });
  });
});


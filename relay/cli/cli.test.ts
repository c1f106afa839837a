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
import { createControlApi } from '../daemon/control-api.js';
import { silentLogger } from '../daemon/log.js';
import { RuleService } from '../daemon/rule-service.js';
import { sumCounters } from '../stats/counters.js';
import { RateSampler } from '../stats/rates.js';
import { MemoryDataPlane } from '../../test/support/memory-data-plane.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
function run(bin: 'mcrd' | 'mcrctl', args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(root, `dist/relay/cli/${bin}.js`), ...args], { env: { PATH: process.env.PATH, ...env } }, (err, stdout, stderr) => {
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


/** A control server backed by the real rule service over an in-memory data plane, for mcrctl to talk to. */
async function fakeDaemon() {
  const dir = await tempDir('cli');
  const sock = join(dir, 'c.sock');
  const dp = new MemoryDataPlane();
  const log = silentLogger();
  const rules = new RuleService({ dataPlane: dp, log, interfaceExists: (n) => ['eth0', 'eth1', 'eth2'].includes(n) });
  const sampler = new RateSampler(async () => sumCounters(await dp.counters()));
  const api = createControlApi({ rules, dataPlane: dp, sampler, log, backend: () => 'mmsg', reload: async () => ({ added: [], removed: [], changed: [], unchanged: 0 }) });
  const srv = await startControlServer(sock, api, log);
  return { dir, sock, dp, srv, ctl: (...a: string[]) => run('mcrctl', ['--socket-path', sock, ...a]) };
}

const ADD = ['add', '--input-interface', 'eth0', '--input-group', '239.1.1.1', '--input-port', '5000'];

describe("mcrctl with MCR's command forms", () => {
  test('add --name with spaces, repeated --outputs, list-rules, remove --name; --format mcr gives MCR shapes', async () => {
    const d = await fakeDaemon();
    try {
      const added = await d.ctl('--format', 'mcr', ...ADD, '--name', 'camera 1', '--outputs', '239.2.2.2:6000:eth1', '--outputs', '239.2.2.3:6000:eth2');
      expect(added.code).toBe(0);
      expect(JSON.parse(added.stdout)).toEqual({ Success: expect.stringMatching(/^Rule [0-9a-f]{8} added$/) });
      // The same add again (a script re-run after a restart) succeeds and changes nothing.
      const again = await d.ctl(...ADD, '--name', 'camera 1', '--outputs', '239.2.2.2:6000:eth1,239.2.2.3:6000:eth2');
      expect(again).toMatchObject({ code: 0, stdout: expect.stringMatching(/^rule [0-9a-f]{8} unchanged: an identical rule is already present\n$/) });
      const conflict = await d.ctl(...ADD, '--outputs', '239.2.2.9:6000:eth1');
      expect(conflict).toMatchObject({ code: 1, stderr: expect.stringContaining('pass --replace') });
      expect((await d.ctl(...ADD, '--name', 'camera 1', '--outputs', '239.2.2.9:6000:eth1', '--replace')).stdout).toMatch(/^replaced rule/);
      const listed = JSON.parse((await d.ctl('list-rules', '--format', 'mcr')).stdout) as { Rules: Array<{ name: string; outputs: unknown[] }> };
      expect(listed.Rules.map((r) => [r.name, r.outputs.length])).toEqual([['camera 1', 1]]);
      expect(JSON.parse((await d.ctl('--format', 'mcr', 'list-workers')).stdout)).toEqual({ Workers: expect.any(Array) });
      const removed = await d.ctl('remove', '--name', 'camera 1');
      expect(removed).toMatchObject({ code: 0, stdout: expect.stringMatching(/^removed rule [0-9a-f]{8} \(camera 1\)\n$/) });
      expect(d.dp.table).toEqual([]);
      const gone = await run('mcrctl', ['--socket', d.sock, 'remove', '--name', 'camera 1'], { MCR_COMPAT: '1' });
      expect(gone.code).toBe(1);
      expect(JSON.parse(gone.stdout)).toEqual({ Error: expect.stringContaining('no rule named "camera 1"') });
    } finally {
      await d.srv.close();
    }
  });

  test('log-level get / set --global (MCR levels) / set --facility (refused naming what exists)', async () => {
    const d = await fakeDaemon();
    try {
      expect((await d.ctl('log-level', 'set', '--global', 'warning')).stdout).toBe('log level warn\n');
      expect(JSON.parse((await d.ctl('--format', 'mcr', 'log-level', 'get')).stdout)).toEqual({ LogLevels: { global: 'Warning', facility_overrides: {} } });
      const f = await d.ctl('log-level', 'set', '--facility', 'DataPlane', '--level', 'debug');
      expect(f).toMatchObject({ code: 64, stderr: "mcrctl: --facility: mcrd has one global log level and no facilities (MCR's Supervisor, RuleDispatch, ControlSocket, DataPlane, …); use log-level set --global LEVEL\n" });
    } finally {
      await d.srv.close();
    }
  });

  test('config show | save --file | load --file [--replace] | check --file', async () => {
    const d = await fakeDaemon();
    try {
      await d.ctl(...ADD, '--name', 'feed a', '--outputs', '239.2.2.2:6000:eth1');
      const saved = join(d.dir, 'saved.json5');
      expect((await d.ctl('config', 'save', '--file', saved)).stdout).toBe(`saved 1 rule to ${saved}\n`);
      expect((await d.ctl('config', 'save')).stderr).toMatch(/^mcrctl: config save: expected --file F/);
      const shown = JSON.parse((await d.ctl('config', 'show')).stdout) as Record<string, unknown>;
      expect(shown).toEqual({ pinning: {}, rules: [{ name: 'feed a', input: { interface: 'eth0', group: '239.1.1.1', port: 5000, protocol: null }, outputs: [{ group: '239.2.2.2', port: 6000, interface: 'eth1', ttl: 16 }] }], multicast_ttl: null });
      // What config save wrote passes check and loads back; loading it again changes nothing.
      expect((await d.ctl('config', 'check', '--file', saved)).stdout).toBe(`${saved}: ok, 1 rule\n`);
      expect(JSON.parse((await d.ctl('--format', 'mcr', 'config', 'check', '--file', saved)).stdout)).toEqual({ ConfigValidation: { valid: true, errors: [] } });
      await d.ctl('remove', '--name', 'feed a');
      expect((await d.ctl('config', 'load', '--file', saved)).stdout).toBe(`loaded ${saved}: 1 added, 0 replaced, 0 unchanged, 0 skipped (id or input taken)\n`);
      expect((await d.ctl('config', 'load', '--file', saved)).stdout).toMatch(/0 added, 0 replaced, 1 unchanged/);
      const other = join(d.dir, 'other.json5');
      await writeFile(other, '{ rules: [ { name: "feed b", input: { interface: "eth0", group: "239.1.1.2", port: 5000, protocol: "udp" }, outputs: [{ group: "239.2.2.2", port: 6001, interface: "eth1" }] } ] }');
      expect((await d.ctl('config', 'load', '--file', other, '--replace')).stdout).toMatch(/1 added, .*1 removed$/m);
      expect(d.dp.table.map((r) => r.input.group)).toEqual(['239.1.1.2']);
    } finally {
      await d.srv.close();
    }
  });
});

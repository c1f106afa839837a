import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createContext, type RunContext } from '../topology/context.js';
import { readState, removeState } from '../topology/state.js';
import { CommandError, deadProcess, runCommand, spawnProcess, waitFor } from './process.js';

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;

describe('process runner', () => {
  let ctx: RunContext;
  const ac = new AbortController();
  beforeAll(() => {
    process.env['MCR_LAB_STATE_DIR'] = mkdtempSync(join(tmpdir(), 'mcl-state-'));
    ctx = createContext({ scenario: 'unit', file: 'unit.yaml', signal: ac.signal });
  });
  afterAll(() => { removeState(ctx.runId); delete process.env['MCR_LAB_STATE_DIR']; });

  test('every command is logged with its outcome', async () => {
    await runCommand(ctx, ['true']);
    await runCommand(ctx, ['false'], { reject: false });
    const log = readFileSync(ctx.log.path, 'utf8');
    expect(log).toMatch(/\$ true → ok\n/);
    expect(log).toMatch(/\$ false → exit 1\n/);
  });

  test('a failed command throws one line naming the command and reason, then its last stderr lines', async () => {
    const err = await runCommand(ctx, [process.execPath, fixture('exits-after.mjs'), '3']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect((err as Error).message).toBe(`exit 3: ${process.execPath} ${fixture('exits-after.mjs')} 3\n  about to exit`);
  });

  test('a missing program says so', async () => {
    await expect(runCommand(ctx, ['no-such-program-mcl'])).rejects.toThrow(/^not found: no-such-program-mcl/);
  });

  test('cpus pins the process itself (taskset execs in place: the pid is the program\'s)', async () => {
    const h = await spawnProcess(ctx, [process.execPath, fixture('exits-after.mjs'), '0', '2000'], { label: 'pinned', cpus: [0] });
    try {
      // Until taskset has exec'd, the pid's cmdline is taskset's own (which names the script too).
      await waitFor(() => readFileSync(`/proc/${h.pid}/cmdline`, 'utf8').startsWith(process.execPath), 'taskset exec');
      const status = readFileSync(`/proc/${h.pid}/status`, 'utf8');
      expect(/^Cpus_allowed_list:\s*(\S+)$/m.exec(status)?.[1]).toBe('0');
      expect(readFileSync(`/proc/${h.pid}/cmdline`, 'utf8').split('\0')).toEqual([process.execPath, fixture('exits-after.mjs'), '0', '2000', '']);
    } finally {
      await h.stop();
    }
  });

  test('a spawned process is in the state record while it runs and leaves it when it exits', async () => {
    const h = await spawnProcess(ctx, [process.execPath, fixture('exits-after.mjs'), '0', '300'], { label: 'short' });
    expect(readState(ctx.runId)!.resources).toContainEqual(expect.objectContaining({ kind: 'process', pid: h.pid, label: 'short' }));
    const info = await h.exited;
    expect(info.exitCode).toBe(0);
    expect(h.running()).toBe(false);
    expect(readState(ctx.runId)!.resources.some((r) => r.kind === 'process' && r.pid === h.pid)).toBe(false);
  });

  test('stop() escalates to SIGKILL when SIGTERM is ignored', async () => {
    const h = await spawnProcess(ctx, [process.execPath, fixture('ignores-sigterm.mjs')], { label: 'stubborn' });
    await waitFor(() => h.stderrTail().includes('ignoring'), 'fixture ready', { timeoutMs: 5000 });
    const t0 = Date.now();
    await h.stop(300);
    expect((await h.exited).signal).toBe('SIGKILL');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
  });

  test('deadProcess names the relay process that exited, its status and last stderr line', async () => {
    const h = await spawnProcess(ctx, [process.execPath, fixture('exits-after.mjs'), '2', '300'], { label: 'socat out-7' });
    expect(deadProcess([h])).toBeUndefined();
    await h.exited;
    expect(deadProcess([h])).toBe('socat out-7 exited (exit 2): about to exit');
  });

  test('waitFor gives up with what it waited for', async () => {
    await expect(waitFor(() => false, 'sink on h2 listening', { timeoutMs: 100, intervalMs: 10 })).rejects.toThrow('gave up after 0.1 s: sink on h2 listening');
  });

  test('waitFor ends at once when the probe throws', async () => {
    const t0 = Date.now();
    await expect(waitFor(() => { throw new Error('relay exited'); }, 'relay', { timeoutMs: 5000 })).rejects.toThrow('relay exited');
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});

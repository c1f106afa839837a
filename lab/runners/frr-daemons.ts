/**
 * FRR (zebra, staticd, pimd; Debian's frr package, 8.4 here) inside one namespace, as measured in
 * /work/shared/notes/frr-in-namespaces.md: a private directory owned by frr:frr (the daemons drop to
 * user frr) under the run directory, then each daemon with
 *   ip netns exec NS /usr/lib/frr/D -d -P 0 -f DIR/D.conf -i DIR/D.pid -z DIR/zserv.api --vty_socket DIR
 * zebra first. Each daemon's pid (from its pid file) goes into the run's state record as it starts,
 * so teardown and `mcr-lab down` stop them by pid even after the lab crashed. Also: what this
 * machine offers (FRR installed, kernel multicast routing) and the `vtysh --dryrun` syntax check.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunContext } from '../topology/context.js';
import { isAlive } from '../topology/state.js';
import { runCommand, waitFor } from './process.js';

export const FRR_LIB = '/usr/lib/frr';
export type FrrDaemon = 'zebra' | 'staticd' | 'pimd';
export type FrrConfigs = Partial<Record<FrrDaemon, string>>;

export interface FrrInstance {
  dir: string;
  daemons: Array<{ name: FrrDaemon; pid: number }>;
  /** `vtysh -c CMD` against this instance; stdout. */
  vtysh(cmd: string): Promise<string>;
  /** Why a daemon is gone, or undefined while all run. */
  problem(): string | undefined;
  /** SIGTERM every daemon at once, SIGKILL after 4 s, drop them from the state record. */
  stop(): Promise<void>;
}

/** Undefined when FRR's daemons and vtysh are installed, else what to do. */
export function frrMissing(): string | undefined {
  const missing = ['zebra', 'staticd', 'pimd'].filter((d) => !existsSync(join(FRR_LIB, d)));
  if (missing.length > 0) return `FRR not installed (no ${missing.map((d) => join(FRR_LIB, d)).join(', ')}): apt-get install frr`;
  if (!existsSync('/usr/bin/vtysh')) return 'vtysh not found (FRR\'s shell, in the frr package): apt-get install frr';
  return undefined;
}

/**
 * FRR's own syntax check of one daemon's configuration text (`vtysh --dryrun`).
 * @returns "line N: message" per problem; empty when FRR accepts it (or vtysh is missing: checked elsewhere).
 */
export function frrSyntaxProblems(text: string): string[] {
  if (!existsSync('/usr/bin/vtysh')) return [];
  const dir = mkdtempSync(join(tmpdir(), 'mcr-lab-frr-'));
  try {
    const file = join(dir, 'check.conf');
    writeFileSync(file, text.endsWith('\n') ? text : `${text}\n`);
    execFileSync('vtysh', ['--dryrun', '--inputfile', file], { stdio: 'pipe', timeout: 10_000 });
    return [];
  } catch (err) {
    const out = `${String((err as { stdout?: Buffer }).stdout ?? '')}${String((err as { stderr?: Buffer }).stderr ?? '')}`;
    const lines = out.split('\n').map((l) => l.trim()).filter((l) => /^line \d+:/.test(l));
    return lines.length > 0 ? lines : [`vtysh --dryrun rejected it: ${out.trim().split('\n')[0] ?? (err as Error).message}`];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Start FRR in `netns` with these configs (zebra always; staticd and pimd when given). */
export async function startFrr(ctx: RunContext, host: string, netns: string, configs: FrrConfigs): Promise<FrrInstance> {
  const dir = join(ctx.runDir, `frr-${host}`);
  mkdirSync(dir, { recursive: true });
  // Recorded before any daemon, so teardown (in reverse) stops the daemons first, then removes it.
  ctx.track({ kind: 'dir', path: dir });
  const names: FrrDaemon[] = ['zebra', ...(['staticd', 'pimd'] as const).filter((d) => configs[d] !== undefined)];
  const frr = frrIds();
  for (const d of names) writeFileSync(join(dir, `${d}.conf`), configs[d] ?? `hostname ${host}\n`);
  for (const f of [dir, ...names.map((d) => join(dir, `${d}.conf`))]) chownSync(f, frr.uid, frr.gid);
  const daemons: FrrInstance['daemons'] = [];
  const vtysh = async (cmd: string) => (await runCommand(ctx, ['vtysh', '--vty_socket', dir, '-c', cmd], { timeoutMs: 10_000 })).stdout;
  const instance: FrrInstance = {
    dir, daemons, vtysh,
    problem: () => daemons.filter((d) => !isAlive(d.pid)).map((d) => `FRR ${d.name} on ${host} (pid ${d.pid}) exited`)[0],
    async stop() {
      // Together: each daemon takes ~2 s to exit on SIGTERM.
      for (const d of daemons) if (isAlive(d.pid)) process.kill(d.pid, 'SIGTERM');
      await Promise.all(daemons.map(async (d) => {
        await waitFor(() => !isAlive(d.pid), `FRR ${d.name} on ${host} to exit`, { timeoutMs: 4000, intervalMs: 20 }).catch(() => {
          if (isAlive(d.pid)) process.kill(d.pid, 'SIGKILL');
        });
        ctx.untrack((r) => r.kind === 'process' && r.pid === d.pid);
      }));
    },
  };
  try {
    for (const d of names) {
      const pidFile = join(dir, `${d}.pid`);
      const argv0 = join(FRR_LIB, d);
      await runCommand(ctx, [argv0, '-d', '-P', '0', '-f', join(dir, `${d}.conf`), '-i', pidFile, '-z', join(dir, 'zserv.api'), '--vty_socket', dir], { netns });
      const pid = await waitFor(() => readPid(pidFile), `${d} on ${host} to write ${pidFile}`, { timeoutMs: 10_000, signal: ctx.signal });
      ctx.track({ kind: 'process', pid, netns, argv0, label: `frr ${host} ${d}` });
      ctx.log.write(`${argv0} in ${netns} → pid ${pid} (frr ${host} ${d})`);
      daemons.push({ name: d, pid });
    }
    // vtysh answers once every daemon of the directory has its vty socket up.
    await waitFor(async () => (await runCommand(ctx, ['vtysh', '--vty_socket', dir, '-c', 'show version'], { reject: false, timeoutMs: 5000 })).exitCode === 0,
      `FRR on ${host} answering vtysh`, { timeoutMs: 10_000, intervalMs: 100, signal: ctx.signal });
  } catch (err) {
    await instance.stop();
    throw err;
  }
  return instance;
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

function frrIds(): { uid: number; gid: number } {
  const passwd = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('frr:'));
  if (!passwd) throw new Error('no user "frr" (it comes with the frr package): apt-get install frr');
  const [, , uid, gid] = passwd.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

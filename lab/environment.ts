/**
 * What the results were measured on, captured into results.json so two runs can be compared honestly:
 * kernel, CPU, memory, the sysctls that bound UDP/multicast performance, and tool versions.
 * Nothing here fails a run: a value that cannot be read is recorded as "unavailable (<why>)".
 * Covered by environment.test.ts.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Environment } from './results/types.js';

const run = promisify(execFile);

/** Sysctls that cap socket buffers, backlog, multicast memberships and source checks. */
export const SYSCTLS = [
  'net.core.rmem_max', 'net.core.wmem_max', 'net.core.rmem_default', 'net.core.wmem_default',
  'net.core.netdev_max_backlog', 'net.core.netdev_budget', 'net.core.busy_poll', 'net.core.busy_read',
  'net.ipv4.conf.all.rp_filter', 'net.ipv4.conf.default.rp_filter', 'net.ipv4.conf.all.mc_forwarding',
  'net.ipv4.ip_forward', 'net.ipv4.igmp_max_memberships', 'net.ipv4.igmp_max_msf', 'net.ipv4.udp_mem',
] as const;

async function sysctl(name: string): Promise<string> {
  try {
    return (await readFile(`/proc/sys/${name.replaceAll('.', '/')}`, 'utf8')).trim().replace(/\s+/g, ' ');
  } catch (e) {
    return `unavailable (${(e as NodeJS.ErrnoException).code ?? 'error'})`;
  }
}

/** First line of a command's output matching `pick`, or why it could not be had. */
async function version(cmd: string, args: string[], pick: RegExp): Promise<string> {
  try {
    const { stdout, stderr } = await run(cmd, args, { timeout: 5_000 });
    const text = `${stdout}\n${stderr}`;
    const m = pick.exec(text);
    return m?.[1] ?? (text.trim().split('\n')[0] ?? 'unknown');
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    // Some tools print their version and exit non-zero.
    const m = pick.exec(`${err.stdout ?? ''}\n${err.stderr ?? ''}`);
    if (m?.[1]) return m[1];
    return err.code === 'ENOENT' ? 'not installed' : `unavailable (${err.message.split('\n')[0]})`;
  }
}

async function packageVersion(): Promise<string> {
  // lab/environment.ts and dist/lab/environment.js both sit one or two levels under the package root.
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const dir of [path.join(here, '..'), path.join(here, '..', '..')]) {
    try {
      const pkg = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'mcr' && pkg.version) return pkg.version;
    } catch { /* try the next level */ }
  }
  return 'unknown';
}

async function cpuModel(): Promise<string> {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(await readFile('/proc/cpuinfo', 'utf8'));
    if (m?.[1]) return m[1].trim();
  } catch { /* fall through */ }
  return os.cpus()[0]?.model ?? 'unknown';
}

/** Capture the environment of this machine (root namespace view). */
export async function captureEnvironment(): Promise<Environment> {
  const [model, sysctlValues, mcr, socat, smcroute, iproute2] = await Promise.all([
    cpuModel(),
    Promise.all(SYSCTLS.map(async (s) => [s, await sysctl(s)] as const)),
    packageVersion(),
    version('socat', ['-V'], /socat version (\S+)/),
    version('smcroutectl', ['-v'], /SMCRoute v?(\S+)/),
    version('ip', ['-V'], /iproute2-(\S+?)[,\s]/),
  ]);
  return {
    hostname: os.hostname(),
    kernel: `${os.type()} ${os.release()} ${os.version()} ${os.machine()}`,
    cpus: { model, count: os.cpus().length },
    memoryBytes: os.totalmem(),
    sysctls: Object.fromEntries(sysctlValues),
    versions: { node: process.versions.node, mcr, socat, smcroute, iproute2 },
  };
}

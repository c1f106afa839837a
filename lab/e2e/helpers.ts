/**
 * Shared helpers of the lab's end-to-end tests: whether namespaces can be made here, running the
 * built CLI (dist/) as a user would, and finding anything a run left behind (namespaces with its
 * prefix, state records, processes it started according to its log).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { scaled } from '../../test/support/time-scale.js';
import type { Results } from '../results/types.js';
import { labPrefix } from '../topology/context.js';
import { kernelMroutingMissing } from '../runners/mroute.js';


export const root = new URL('../../', import.meta.url).pathname;
export const cli = join(root, 'dist/lab/cli/mcr-lab.js');

function probe(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root';
  try { execFileSync('ip', ['netns', 'list']); } catch { return 'no iproute2 / netns'; }
  if (!existsSync(cli)) return `CLI not built (${cli}); run npx tsc -p tsconfig.build.json`;
  return undefined;
}
export const skipReason = probe();
export const canNetns = skipReason === undefined;
if (skipReason) process.stderr.write(`lab e2e skipped: ${skipReason}\n`);

/**
 * Why kernel forwarding cannot run on this machine (no CONFIG_IP_MROUTE), or undefined. The lab then
 * skips the kernel relay with this reason, and the tests check that instead of its figures.
 */
export const noMroute = kernelMroutingMissing() === undefined ? undefined : `kernel: ${kernelMroutingMissing()}`;
if (noMroute) process.stderr.write(`lab e2e: kernel forwarding is checked as skipped: ${noMroute}\n`);

/** Relays the e2e runs expect figures from: `asked` without kernel when this kernel cannot forward multicast. */
export function measurable(asked: readonly string[]): string[] {
  return asked.filter((r) => r !== 'kernel' || !noMroute);
}

/** What results.skipped must hold for a run that asked for `asked`: only kernel, and only on such a kernel. */
export function expectedSkips(asked: readonly string[]): Array<{ relay: string; reason: string }> {
  return asked.includes('kernel') && noMroute ? [{ relay: 'kernel', reason: noMroute }] : [];
}

/** mcrd is measured only when it is built; otherwise the e2e says so and checks the other relays. */
export const mcrdBuilt = existsSync(join(root, 'dist/relay/cli/mcrd.js')) && existsSync(join(root, 'dist/relay/cli/mcrctl.js'));

export function tmpOut(tag: string): string {
  return mkdtempSync(join(tmpdir(), `mcl-e2e-${tag}-`));
}

export async function runLab(args: string[], opts: { timeoutMs?: number } = {}) {
  return execa(process.execPath, [cli, ...args], { reject: false, timeout: opts.timeoutMs ?? scaled(170_000), cwd: root });
}

/** `mcr-lab run FILE --quick` into `out`; its results (a failed threshold or relay, exit 1, still has them). */
export async function runQuick(file: string, out: string): Promise<{ results: Results; stdout: string }> {
  const res = await runLab(['run', file, '--quick', '--no-progress', '--out', out]);
  if (res.exitCode !== 0 && res.exitCode !== 1) throw new Error(`mcr-lab run ${file} failed (${res.exitCode}): ${res.stderr}`);
  return { results: readResults(out), stdout: res.stdout };
}

export function readResults(outDir: string): Results {
  return JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8')) as Results;
}

/** Pids the run started, from its log: lab processes ("→ pid N") and sinks ("mcr-sink pid N"). */
export function pidsFromLog(logPath: string): number[] {
  if (!existsSync(logPath)) return [];
  const text = readFileSync(logPath, 'utf8');
  return [...text.matchAll(/(?:→ pid|mcr-sink pid) (\d+)/g)].map((m) => Number(m[1]));
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

/** Namespaces of the run's prefix, live pids it started, and state records of the run. */
export function leftovers(runId: string, logPath: string) {
  const stem = `${labPrefix()}${runId.slice(0, 4)}`;
  const netns = execFileSync('ip', ['netns', 'list']).toString().split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(stem));
  const pids = pidsFromLog(logPath).filter(alive);
  const states = ['/run/mcr-lab', '/tmp/mcr-lab'].flatMap((d) => (existsSync(d) ? readdirSync(d) : []).filter((f) => f.startsWith(runId.slice(0, 4)) && f.endsWith('.json')));
  return { netns, pids, states };
}

/** Per-output delivery of one relay's fixed-rate test, first repetition. */
export function fixed(results: Results, relay: string, test: string) {
  const t = results.tests.find((x) => x.relay === relay && x.name === test && x.kind === 'fixed-rate');
  if (!t || t.kind !== 'fixed-rate') return undefined;
  return t.repetitions[0];
}

/** FRR daemons (pid and command line) still running from a run's private directories (<run dir>/frr-<host>). */
export function frrProcessesOf(runId: string): string[] {
  const mine = new RegExp(`/${runId.slice(0, 4)}[0-9a-f]{2}/frr-`);
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).flatMap((pid) => {
    let cmd = '';
    try { cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' '); } catch { return []; }
    return cmd.startsWith('/usr/lib/frr/') && mine.test(cmd) ? [`${pid} ${cmd.trim()}`] : [];
  });
}

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
import { kernelMroute } from '../kernel-mroute.js';
import type { Results } from '../results/types.js';

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

/** mcrd is measured only when it is built; otherwise the e2e says so and checks the other relays. */
export const mcrdBuilt = existsSync(join(root, 'dist/relay/cli/mcrd.js')) && existsSync(join(root, 'dist/relay/cli/mcrctl.js'));

/**
 * Where the kernel has no multicast routing, `run` skips the `kernel` relay saying so (a skip, not a
 * failure); these are the skips a run of `relays` may report, and the relays it measures. Anywhere
 * else the kernel relay must run.
 */
export function mrouteSkips(relays: string[]): { skipped: Results['skipped']; measured: string[] } {
  const m = kernelMroute();
  if (m.ok || !relays.includes('kernel')) return { skipped: [], measured: relays };
  return { skipped: [{ relay: 'kernel', reason: `kernel: ${m.reason}` }], measured: relays.filter((r) => r !== 'kernel') };
}

export function tmpOut(tag: string): string {
  return mkdtempSync(join(tmpdir(), `mcl-e2e-${tag}-`));
}

export async function runLab(args: string[], opts: { timeoutMs?: number } = {}) {
  return execa(process.execPath, [cli, ...args], { reject: false, timeout: opts.timeoutMs ?? scaled(170_000), cwd: root });
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
  const stem = `mcl${runId.slice(0, 4)}`;
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

/**
 * Teardown from a state record: resources in reverse order of creation, past every error, which are
 * reported together at the end. `fast` (second Ctrl-C) skips graceful process stops: SIGKILL at once.
 * `downAll` finds mcr-lab's leftovers by state record and by namespace prefix (mcl<6 hex>-), and
 * never touches anything else; runs whose owner process is alive are left alone unless forced.
 */
import { readFileSync, rmSync } from 'node:fs';
import { runCommand } from '../runners/process.js';
import { bridgeDown } from './bridge.js';
import { prefixPattern, type RunContext } from './context.js';
import { listNetns, netnsDown } from './netns.js';
import { isAlive, listStates, removeState, writeState, type Resource, type StateRecord } from './state.js';
import { vethDown } from './veth.js';

export interface TeardownReport { runId: string; removed: number; errors: string[] }

type Ctx = Pick<RunContext, 'log' | 'signal'>;

export async function teardown(ctx: Ctx, rec: StateRecord, opts: { fast?: boolean } = {}): Promise<TeardownReport> {
  const errors: string[] = [];
  let removed = 0;
  const present = new Set(await listNetns(ctx).catch(() => [] as string[]));
  const remaining = [...rec.resources];
  // Every recorded process is told to stop first, so they wind down together rather than one after
  // another (each of FRR's daemons takes ~2 s to exit); the loop below then waits for each.
  for (const r of rec.resources) if (r.kind === 'process') signalRecorded(r.pid, r.argv0, opts.fast ? 'SIGKILL' : 'SIGTERM');
  for (const r of [...rec.resources].reverse()) {
    try {
      await removeResource(ctx, r, present, opts.fast ?? false);
      removed += 1;
      remaining.splice(remaining.indexOf(r), 1);
    } catch (err) {
      errors.push(`${describe(r)}: ${(err as Error).message.split('\n').slice(0, 2).join(' ')}`);
    }
  }
  if (errors.length === 0) removeState(rec.runId);
  else writeState({ ...rec, resources: remaining });
  ctx.log.write(`teardown ${rec.runId}: ${removed} removed, ${errors.length} errors`);
  return { runId: rec.runId, removed, errors };
}

async function removeResource(ctx: Ctx, r: Resource, present: Set<string>, fast: boolean): Promise<void> {
  switch (r.kind) {
    case 'process':
      return killRecorded(r.pid, r.argv0, fast);
    case 'veth':
      if (present.has(r.netns)) await vethDown(ctx, r.netns, r.name).catch(ignoreGone);
      return;
    case 'bridge':
      if (present.has(r.netns)) await bridgeDown(ctx, r.netns, r.name).catch(ignoreGone);
      return;
    case 'netns':
      await netnsDown(ctx, r.name);
      return;
    case 'dir':
      rmSync(r.path, { recursive: true, force: true });
  }
}

function ignoreGone(err: Error): void {
  if (!/Cannot find device|does not exist|No such/.test(err.message)) throw err;
}

/** Signals a recorded pid only if it still runs the recorded program (pids get reused); false if it does not. */
function signalRecorded(pid: number, argv0: string, signal: NodeJS.Signals): boolean {
  if (!isAlive(pid)) return false;
  let cmdline = '';
  try { cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8'); } catch { return false; }
  if (!cmdline.includes(argv0)) return false;
  try { process.kill(pid, signal); } catch { return false; }
  return true;
}

/** Kills a recorded pid only if it still runs the recorded program: SIGTERM, SIGKILL after 2 s. */
async function killRecorded(pid: number, argv0: string, fast: boolean): Promise<void> {
  if (!signalRecorded(pid, argv0, fast ? 'SIGKILL' : 'SIGTERM')) return;
  const deadline = Date.now() + (fast ? 500 : 2000);
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}

function describe(r: Resource): string {
  switch (r.kind) {
    case 'process': return `process ${r.pid} (${r.label})`;
    case 'veth': return `veth ${r.netns}/${r.name}`;
    case 'bridge': return `bridge ${r.netns}/${r.name}`;
    case 'netns': return `netns ${r.name}`;
    case 'dir': return `dir ${r.path}`;
  }
}

/**
 * Second Ctrl-C: SIGKILL every process of the run at once (recorded ones and whatever runs inside its
 * namespaces), so the graceful path stops waiting and goes straight on to deleting namespaces.
 */
export async function killRunProcesses(ctx: Ctx, rec: StateRecord): Promise<void> {
  for (const r of rec.resources) {
    if (r.kind === 'process') await killRecorded(r.pid, r.argv0, true).catch(() => {});
  }
  for (const r of rec.resources) {
    if (r.kind !== 'netns') continue;
    const pids = await runCommand(ctx, ['ip', 'netns', 'pids', r.name], { reject: false, uncancellable: true });
    for (const pid of pids.stdout.split(/\s+/).filter(Boolean).map(Number)) {
      // The teardown's own `ip -n NS …` commands sit in the namespace too; they must finish.
      if (TEARDOWN_TOOLS.has(comm(pid))) continue;
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
  }
}

const TEARDOWN_TOOLS = new Set(['ip', 'tc', 'sysctl', 'ss']);

function comm(pid: number): string {
  try { return readFileSync(`/proc/${pid}/comm`, 'utf8').trim(); } catch { return ''; }
}

export interface DownAllOptions { force?: boolean }

/** Removes every crashed run (state records whose owner is gone) and stray <prefix><runid>- namespaces of this
 * process's prefix (MCR_LAB_PREFIX). Records of other prefixes are left alone. */
export async function downAll(ctx: Ctx, opts: DownAllOptions = {}): Promise<{ reports: TeardownReport[]; skipped: string[] }> {
  const reports: TeardownReport[] = [];
  const skipped: string[] = [];
  const live = new Set<string>();
  for (const rec of listStates().filter((x) => prefixPattern().test(`${x.prefix}-`))) {
    if (rec.ownerPid !== process.pid && isAlive(rec.ownerPid) && !opts.force) {
      skipped.push(`${rec.runId} (${rec.scenario}): still running as pid ${rec.ownerPid}; use --force to remove it anyway`);
      live.add(rec.prefix);
      continue;
    }
    reports.push(await teardown(ctx, rec));
  }
  // Namespaces created just before a crash could write their record, or whose record was lost.
  const strays = (await listNetns(ctx)).filter((n) => prefixPattern().test(n) && !live.has(n.slice(0, n.indexOf('-'))));
  if (strays.length > 0) {
    const errors: string[] = [];
    for (const n of strays) await netnsDown(ctx, n).catch((err: Error) => errors.push(`netns ${n}: ${err.message}`));
    reports.push({ runId: '(no record)', removed: strays.length - errors.length, errors });
  }
  return { reports, skipped };
}

/** Teardown by run id or scenario name (the newest run of that scenario). */
export async function downByName(ctx: Ctx, name: string): Promise<TeardownReport[]> {
  const recs = listStates().filter((r) => r.runId === name || r.scenario === name || r.prefix === name);
  const out: TeardownReport[] = [];
  for (const rec of recs) out.push(await teardown(ctx, rec));
  return out;
}

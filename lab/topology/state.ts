/**
 * Run state records: `/run/mcr-lab/<runid>.json` (or `/tmp/mcr-lab/` when /run is not writable) lists
 * every resource a run created, written synchronously *before* the run goes on, so that a crash at any
 * point leaves a record `mcr-lab down` can tear down from, even when the scenario file is gone.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, accessSync, constants } from 'node:fs';
import { join } from 'node:path';

/** Everything mcr-lab ever creates. Names are full (already prefixed) names. */
export type Resource =
  | { kind: 'netns'; name: string }
  | { kind: 'veth'; netns: string; name: string }
  | { kind: 'bridge'; netns: string; name: string }
  | { kind: 'process'; pid: number; netns?: string; argv0: string; label: string }
  | { kind: 'dir'; path: string };

export interface StateRecord {
  version: 1;
  runId: string;
  prefix: string;
  scenario: string;
  file: string;
  /** Process that owns the run; `down --all` leaves runs whose owner is alive alone. */
  ownerPid: number;
  createdAt: string;
  runDir: string;
  resources: Resource[];
}

let stateDirCache: string | undefined;

/** /run/mcr-lab when writable (root), else /tmp/mcr-lab; MCR_LAB_STATE_DIR overrides (tests). */
export function stateDir(): string {
  if (process.env['MCR_LAB_STATE_DIR']) return process.env['MCR_LAB_STATE_DIR'];
  if (stateDirCache) return stateDirCache;
  for (const dir of ['/run/mcr-lab', '/tmp/mcr-lab']) {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o755 });
      accessSync(dir, constants.W_OK);
      stateDirCache = dir;
      return dir;
    } catch { /* try the next */ }
  }
  throw new Error('no writable state directory (/run/mcr-lab or /tmp/mcr-lab)');
}

export function statePath(runId: string): string {
  return join(stateDir(), `${runId}.json`);
}

/** Writes atomically (temp file + rename) so a crash never leaves half a record. */
export function writeState(rec: StateRecord): void {
  const path = statePath(rec.runId);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(rec, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}

export function removeState(runId: string): void {
  rmSync(statePath(runId), { force: true });
}

export function readState(runId: string): StateRecord | undefined {
  try {
    return JSON.parse(readFileSync(statePath(runId), 'utf8')) as StateRecord;
  } catch {
    return undefined;
  }
}

export function listStates(): StateRecord[] {
  let files: string[];
  try { files = readdirSync(stateDir()); } catch { return []; }
  return files.filter((f) => f.endsWith('.json')).map((f) => readState(f.slice(0, -5))).filter((r): r is StateRecord => r !== undefined);
}

export function isAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM'; }
}

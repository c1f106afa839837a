/**
 * The state file: every rule the daemon runs, written after each accepted change so a restart (or a
 * reboot) comes back with the same table.
 *
 *   { "version": 1, "rules": [ { "id": "cam1", "origin": "runtime", "input": {...}, "outputs": [...] } ] }
 *
 * `origin` says where a rule came from: "config" rules are re-read from the config file at start,
 * "runtime" rules (mcrctl add) are restored from here.
 *
 * Crash safety (docs/reliability.md):
 *   - writeState: temp file in the same directory, fsync, rename over, fsync of the directory — a
 *     crash or power loss leaves the old complete file or the new one, never half of either. A failed
 *     write (ENOSPC, EROFS, EIO) leaves the old file in place and throws; the caller refuses the change.
 *   - restoreState: a file that does not parse (cut short, zeroed, garbage, a rule that no longer
 *     validates) is renamed aside to `rules.json.corrupt-<timestamp>` (never over an existing one) and
 *     the daemon starts with its config's rules instead of refusing to start.
 *   - lockStateFile: an flock on `rules.json.lock` held for the daemon's lifetime, so a second mcrd on
 *     the same file refuses to start naming the first one's pid; the kernel drops it when the process
 *     dies, kill -9 included.
 * Tested in state.test.ts (ENOSPC/EROFS on real tmpfs and read-only mounts) and relay/e2e/crash-safe.e2e.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, constants, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { link, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { McrError } from '../errors.js';
import type { Rule } from '../model/rule.js';
import { parseRuleList } from '../model/validate.js';

export type RuleOrigin = 'config' | 'runtime';
export interface StoredRule extends Rule { origin: RuleOrigin }

/** The state file's content is damaged (as opposed to unreadable): restoreState sets such a file aside. */
class DamagedState extends McrError {}

/** Read the state file; a missing file is an empty table, a damaged one an McrError naming it. */
export async function readState(path: string): Promise<StoredRule[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new McrError({ code: 'EIO', detail: `cannot read state file: ${(err as Error).message}`, source: path });
  }
  let doc: { version?: unknown; rules?: unknown };
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch (err) {
    throw new DamagedState({ code: 'EINVAL', detail: `state file is not JSON (${(err as Error).message}); move it aside to start empty`, source: path });
  }
  if (doc?.version !== 1 || !Array.isArray(doc.rules)) {
    throw new DamagedState({ code: 'EINVAL', detail: 'expected {"version": 1, "rules": [...]}', source: path });
  }
  const origins = doc.rules.map((r) => ((r as { origin?: unknown })?.origin === 'config' ? 'config' : 'runtime'));
  const bare = doc.rules.map((r) => {
    const { origin: _o, ...rest } = r as Record<string, unknown>;
    return rest;
  });
  let rules: Rule[];
  try {
    rules = parseRuleList(bare, { source: () => path, pathPrefix: ['rules'] });
  } catch (err) {
    if (!(err instanceof McrError)) throw err;
    throw new DamagedState({ code: err.code, detail: err.detail, ...(err.path ? { path: err.path } : {}), source: path });
  }
  return rules.map((r, i) => ({ ...r, origin: origins[i] as RuleOrigin }));
}

export interface Restored {
  rules: StoredRule[];
  /** Where a damaged state file was moved, and why it was damaged. */
  setAside?: { path: string; reason: string };
}

/**
 * readState for start-up: a damaged file is renamed to `<path>.corrupt-<timestamp>` (kept for a
 * post-mortem, never over an existing file) and the table starts empty, so the config's rules run.
 * A file that cannot be read at all (EACCES, EIO) still throws: that is not for mcrd to repair.
 */
export async function restoreState(path: string, now: () => Date = () => new Date()): Promise<Restored> {
  try {
    return { rules: await readState(path) };
  } catch (err) {
    if (!(err instanceof DamagedState)) throw err;
    return { rules: [], setAside: { path: await setAside(path, now()), reason: err.message } };
  }
}

async function setAside(path: string, at: Date): Promise<string> {
  const stamp = at.toISOString().replace(/[:.]/g, '-');
  for (let n = 0; ; n++) {
    const aside = `${path}.corrupt-${stamp}${n ? `-${n}` : ''}`;
    try {
      // link + unlink: unlike rename, link fails instead of replacing an existing file.
      await link(path, aside);
      await unlink(path);
      return aside;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new McrError({ code: 'EIO', source: path, detail: `damaged state file cannot be moved aside (${(err as NodeJS.ErrnoException).code})`, hint: 'move it away by hand' });
      }
    }
  }
}

/** Replace the state file atomically with `rules`. Creates the directory if needed. */
export async function writeState(path: string, rules: StoredRule[]): Promise<void> {
  const dir = dirname(path);
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await mkdir(dir, { recursive: true, mode: 0o750 });
    const fh = await open(tmp, 'w', 0o640);
    try {
      await fh.writeFile(`${JSON.stringify({ version: 1, rules }, null, 2)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    // The rename is durable only once the directory entry is on disk.
    const d = await open(dir, 'r');
    try { await d.sync(); } finally { await d.close(); }
  } catch (err) {
    await unlink(tmp).catch(() => {});
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    throw new McrError({ code: code === 'EACCES' ? 'EACCES' : 'EIO', source: path, detail: `state file not saved (${code}): ${(err as Error).message}` });
  }
}

export interface StateLock { path: string; release(): void }

/**
 * Take the state file's lock (`<path>.lock`, holding the owner's pid) or throw EBUSY naming the
 * holder. The lock is an flock(2) on the lock file's open file description: flock(1) run on an
 * inherited descriptor locks that description, which stays locked while this process keeps the
 * descriptor — until release() or the process's death, however it dies.
 */
export function lockStateFile(path: string): StateLock {
  const lockPath = `${path}.lock`;
  let fd: number;
  try {
    // libuv opens with O_CLOEXEC: forked workers do not inherit (and so cannot outlive us holding) the lock.
    fd = openSync(lockPath, constants.O_RDWR | constants.O_CREAT, 0o640);
  } catch (err) {
    throw new McrError({ code: 'EACCES', source: lockPath, detail: `cannot open the state lock (${(err as NodeJS.ErrnoException).code})`, hint: 'run as root or pass --state-file PATH' });
  }
  const BUSY = 75;
  const r = spawnSync('flock', ['--nonblock', '--conflict-exit-code', String(BUSY), '3'], { stdio: ['ignore', 'ignore', 'pipe', fd] });
  if (r.status !== 0) {
    closeSync(fd);
    if (r.status === BUSY) {
      const holder = readFileSync(lockPath, 'utf8').trim();
      throw new McrError({
        code: 'EBUSY', source: path,
        detail: `state file in use by another mcrd${/^\d+$/.test(holder) ? ` (pid ${holder})` : ''}`,
        hint: 'stop that mcrd, or give this one its own --state-file',
      });
    }
    throw new McrError({ code: 'EIO', source: lockPath, detail: `cannot lock the state file: flock ${r.error?.message ?? r.stderr.toString().trim()}`, hint: 'flock(1) from util-linux is needed' });
  }
  ftruncateSync(fd, 0);
  writeSync(fd, `${process.pid}\n`, 0);
  return { path: lockPath, release: () => closeSync(fd) };
}

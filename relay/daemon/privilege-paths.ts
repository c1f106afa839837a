/**
 * Before `mcrd --user` switches user (privilege.ts), as root: make the state directory and the
 * control socket's directory usable by that user, because every later write happens as the user —
 * the state file is replaced atomically (temp file + rename in its directory), and the control
 * socket is (re)created in its directory.
 *
 * A directory the user cannot write is handed over (chown) only when it is mcrd's own: missing (then
 * created 0750), or holding nothing but mcrd's files (the state file, its lock and temp files, the
 * socket). Anything else (/etc, /run, someone's home) is refused with the fix, never chowned.
 * Tested in relay/e2e/privilege.e2e.test.ts.
 */
import type { Stats } from 'node:fs';
import { chmod, chown, lchown, lstat, mkdir, readdir, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { McrError } from '../errors.js';

/** Who mcrd becomes: user and group names and ids, and the supplementary groups (initgroups). */
export interface Identity { user: string; uid: number; gid: number; group: string; groups: number[] }

const R = 4; const W = 2; const X = 1;

/** Whether `id` gets all of `want` (R|W|X bits) on a file with `st`'s owner and mode (no ACLs). */
export function permits(st: Pick<Stats, 'uid' | 'gid' | 'mode'>, id: Identity, want: number): boolean {
  const bits = st.uid === id.uid ? st.mode >> 6 : st.gid === id.gid || id.groups.includes(st.gid) ? st.mode >> 3 : st.mode;
  return (bits & want) === want;
}

const describe = (st: Stats) => `owner ${st.uid}:${st.gid}, mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}`;

export interface HandOverOptions {
  stateFile: string;
  socketPath: string;
  /** Group for a socket directory mcrd creates or hands over (default: the user's group). */
  socketGid?: number | undefined;
  /** Where --user came from, for messages. */
  source: string;
}

/** Prepare the state and socket directories for `id`; throws McrError EACCES/EINVAL naming the path. */
export async function handOver(id: Identity, o: HandOverOptions): Promise<void> {
  const stateFile = resolve(o.stateFile);
  const socketPath = resolve(o.socketPath);
  // Both may share one directory (tests put them side by side): each directory is handed over once,
  // knowing every name of mcrd's in it.
  const dirs = new Map<string, { names: string[]; gid: number; what: string }>();
  const add = (path: string, gid: number, what: string) => {
    const d = dirs.get(dirname(path));
    if (d) { d.names.push(basename(path)); d.what += ` and ${what}`; } else dirs.set(dirname(path), { names: [basename(path)], gid, what });
  };
  add(stateFile, id.gid, 'state file');
  add(socketPath, o.socketGid ?? id.gid, 'control socket');
  for (const [dir, d] of dirs) await prepareDir(dir, id, d.names, d.gid, d.what, o.source);
  // The state file is replaced by rename, which a sticky directory allows only to its owner; its lock
  // file and journal (config/state.ts) are opened for writing at every start.
  await chownIf(stateFile, id.uid, id.gid, (st) => st.isFile());
  await chownIf(`${stateFile}.lock`, id.uid, id.gid, (st) => st.isFile());
  await chownIf(`${stateFile}.journal`, id.uid, id.gid, (st) => st.isFile());
  // A stale socket from an earlier run is unlinked after the switch.
  await chownIf(socketPath, id.uid, -1, (st) => st.isSocket());
}

/** Whether `id` can read `path` (for the config file, re-read on SIGHUP after the switch). */
export async function checkReadable(path: string, id: Identity): Promise<boolean> {
  try {
    return permits(await stat(path), id, R) && (await searchable(dirname(resolve(path)), id)) === null;
  } catch {
    return false;
  }
}

async function prepareDir(dir: string, id: Identity, names: string[], gid: number, what: string, source: string): Promise<void> {
  const refuse = (detail: string, hint: string) => new McrError({ code: 'EACCES', source, detail: `${dir} (the ${what}'s directory): ${detail}`, hint });
  // Checked first, so that a refusal leaves everything as it was.
  const blocked = await searchable(dirname(dir), id);
  if (blocked) {
    throw refuse(`user ${id.user} cannot reach it: ${blocked.path} is not searchable for it (${describe(blocked.st)})`, `chmod o+x ${blocked.path}, or choose a path outside it`);
  }
  let st: Stats | undefined;
  try {
    st = await stat(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw refuse(`cannot stat it (${(err as NodeJS.ErrnoException).code})`, 'check the path');
  }
  if (!st) {
    // Parents stay searchable for the user; the directory itself is the user's, 0750.
    await mkdir(dirname(dir), { recursive: true, mode: 0o755 });
    await mkdir(dir, { mode: 0o750 }).catch((err: NodeJS.ErrnoException) => { if (err.code !== 'EEXIST') throw err; });
    await chown(dir, id.uid, gid);
    await chmod(dir, 0o750);
  } else if (!st.isDirectory()) {
    throw refuse('not a directory', 'pass a path inside a directory');
  } else if (!permits(st, id, W | X)) {
    const foreign = (await readdir(dir)).filter((n) => !names.some((m) => n === m || n === `${m}.lock` || n === `${m}.journal` || n.startsWith(`${m}.tmp-`)));
    if (foreign.length > 0 || (st.mode & 0o002) !== 0) {
      throw refuse(`user ${id.user} may not create files there (${describe(st)}), and it holds other files (${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', ...' : ''}), so mcrd does not hand it over`,
        `give mcrd a directory of its own, e.g. /var/lib/mcrd and /run/mcrd (the defaults), or make this one writable for ${id.user}`);
    }
    await chown(dir, id.uid, gid);
  }
}

/**
 * The first directory (from `dir` up to /) that `id` may not search, or null when all are fine.
 * Missing ones are skipped: prepareDir creates them 0755.
 */
async function searchable(dir: string, id: Identity): Promise<{ path: string; st: Stats } | null> {
  for (let d = dir; ; d = dirname(d)) {
    const st = await stat(d).catch((err: NodeJS.ErrnoException) => { if (err.code === 'ENOENT') return undefined; throw err; });
    if (st && !permits(st, id, X)) return { path: d, st };
    if (d === dirname(d)) return null;
  }
}

/** lchown `path` when it exists and `ok(lstat)`: never follows a symlink someone planted there. */
async function chownIf(path: string, uid: number, gid: number, ok: (st: Stats) => boolean): Promise<void> {
  let st: Stats;
  try {
    st = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (ok(st)) await lchown(path, uid, gid === -1 ? st.gid : gid);
}

/**
 * The state file: every rule the daemon runs, so a restart (or a reboot) comes back with the same
 * table. Two files:
 *
 *   rules.json          the snapshot: { "version": 1, "seq": 41, "rules": [ { "id": "cam1", "origin": "runtime", "input": {...}, "outputs": [...] } ] }
 *   rules.json.journal  the changes since, a line each: {"seq":42,"remove":["cam1"],"add":[{...}]}
 *
 * A single add or remove is one journal line (append + fdatasync), so a change costs the same with
 * 10 rules or 10,000 (rewriting a 10,000-rule snapshot took tens of ms per change, docs/performance.md);
 * a table replacement (start-up, reload, load) writes the snapshot, and so does compaction once the
 * journal holds more lines than max(1000, 2 x rules), which keeps it amortized O(1) per change.
 * Reading replays the journal's lines whose seq is past the snapshot's (a crash between a snapshot and
 * the journal's truncation leaves lines the snapshot already holds; they are skipped).
 *
 * `origin` says where a rule came from: "config" rules are re-read from the config file at start,
 * "runtime" rules (mcrctl add) are restored from here.
 *
 * Crash safety (docs/reliability.md):
 *   - snapshot: temp file in the same directory, fsync, rename over, fsync of the directory — a
 *     crash or power loss leaves the old complete file or the new one, never half of either.
 *   - journal: a change is acknowledged only after its line is fdatasynced; the last line may be torn
 *     by a crash (it was never acknowledged) and is ignored. A failed append (ENOSPC, EIO) is cut
 *     back off the file and throws; the caller refuses the change. Either failure leaves what was
 *     acknowledged intact.
 *   - restoreState: a snapshot or journal that does not parse (cut short, zeroed, garbage, a rule that
 *     no longer validates; for the journal, any line but the last) is renamed aside to
 *     `rules.json.corrupt-<timestamp>` (the journal to `rules.json.journal.corrupt-<timestamp>`, never
 *     over an existing one) and the daemon starts with its config's rules instead of refusing to start.
 *   - lockStateFile: an flock on `rules.json.lock` held for the daemon's lifetime, so a second mcrd on
 *     the same file refuses to start naming the first one's pid; the kernel drops it when the process
 *     dies, kill -9 included.
 * Tested in state.test.ts (ENOSPC/EROFS on real tmpfs and read-only mounts) and relay/e2e/crash-safe.e2e.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, constants, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { type FileHandle, link, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { McrError } from '../errors.js';
import type { Rule } from '../model/rule.js';
import { parseRuleList } from '../model/validate.js';

export type RuleOrigin = 'config' | 'runtime';
export interface StoredRule extends Rule { origin: RuleOrigin }

/** One journal line: the ids taken out, then the rules put in (an add that replaces removes first). */
export interface StateChange { remove: string[]; add: StoredRule[] }

/** The state file's content is damaged (as opposed to unreadable): restoreState sets such a file aside. */
class DamagedState extends McrError {
  constructor(o: ConstructorParameters<typeof McrError>[0], readonly file: string) { super(o); }
}

const journalOf = (path: string) => `${path}.journal`;

/** The table the state file and its journal hold, and the seq of the last change in it. */
export interface StateContent {
  rules: StoredRule[];
  seq: number;
  /** The journal's last line was torn (cut short by a crash during its append) and was ignored: its number. */
  tornLine?: number;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new McrError({ code: 'EIO', detail: `cannot read state file: ${(err as Error).message}`, source: path });
  }
}

/** Stored rules (with `origin`) validated as rules; `at` names where they are for the error. */
function storedRules(values: unknown[], file: string, at: Array<string | number>): StoredRule[] {
  const origins = values.map((r) => ((r as { origin?: unknown })?.origin === 'config' ? 'config' : 'runtime'));
  const bare = values.map((r) => {
    const { origin: _o, ...rest } = (r ?? {}) as Record<string, unknown>;
    return rest;
  });
  let rules: Rule[];
  try {
    rules = parseRuleList(bare, { source: () => file, pathPrefix: at });
  } catch (err) {
    if (!(err instanceof McrError)) throw err;
    throw new DamagedState({ code: err.code, detail: err.detail, ...(err.path ? { path: err.path } : {}), source: file }, file);
  }
  return rules.map((r, i) => ({ ...r, origin: origins[i] as RuleOrigin }));
}

function parseSnapshot(path: string, text: string): StateContent {
  let doc: { version?: unknown; seq?: unknown; rules?: unknown };
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch (err) {
    throw new DamagedState({ code: 'EINVAL', detail: `state file is not JSON (${(err as Error).message}); move it aside to start empty`, source: path }, path);
  }
  const seq = doc?.seq ?? 0;
  if (doc?.version !== 1 || !Array.isArray(doc.rules) || !Number.isSafeInteger(seq) || (seq as number) < 0) {
    throw new DamagedState({ code: 'EINVAL', detail: 'expected {"version": 1, "seq": N, "rules": [...]}', source: path }, path);
  }
  return { rules: storedRules(doc.rules, path, ['rules']), seq: seq as number };
}

/**
 * `base` with the journal's changes past its seq applied. Every line but the last must parse: the
 * last may be torn by a crash during its append, which was then never acknowledged.
 */
function replayJournal(path: string, text: string, base: StateContent): StateContent {
  const lines = text.split('\n');
  const rules = new Map(base.rules.map((r) => [r.id, r]));
  let seq = base.seq;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const last = lines.slice(i + 1).every((l) => l === '');
    if (line === '') continue;
    let c: { seq?: unknown; remove?: unknown; add?: unknown };
    try {
      c = JSON.parse(line) as typeof c;
      if (!Number.isSafeInteger(c.seq) || !Array.isArray(c.remove) || !c.remove.every((x) => typeof x === 'string') || !Array.isArray(c.add)) throw new Error('expected {"seq": N, "remove": [ids], "add": [rules]}');
    } catch (err) {
      if (last) return { rules: [...rules.values()], seq, tornLine: i + 1 };
      throw new DamagedState({ code: 'EINVAL', source: path, detail: `journal line ${i + 1} is damaged (${(err as Error).message}); move it aside to start from the snapshot` }, path);
    }
    if ((c.seq as number) <= seq) continue;
    const add = storedRules(c.add as unknown[], path, [`line ${i + 1}`, 'add']);
    for (const id of c.remove as string[]) rules.delete(id);
    for (const r of add) {
      rules.delete(r.id);
      rules.set(r.id, r);
    }
    seq = c.seq as number;
  }
  return { rules: [...rules.values()], seq };
}

/** Read the state file and its journal; a missing file is an empty table, a damaged one an McrError naming it. */
export async function readStateContent(path: string): Promise<StateContent> {
  const text = await readText(path);
  const base = text === undefined ? { rules: [], seq: 0 } : parseSnapshot(path, text);
  const journal = await readText(journalOf(path));
  return journal === undefined ? base : replayJournal(journalOf(path), journal, base);
}

/** The rules of the state file and its journal (see readStateContent). */
export async function readState(path: string): Promise<StoredRule[]> {
  return (await readStateContent(path)).rules;
}

export interface Restored extends StateContent {
  /** Where a damaged state file (or journal) was moved, and why it was damaged. */
  setAside?: { path: string; reason: string };
}

/**
 * readStateContent for start-up: a damaged file is renamed to `<file>.corrupt-<timestamp>` (kept for a
 * post-mortem, never over an existing file) and the table starts empty, so the config's rules run.
 * A damaged journal goes aside with the snapshot it belongs to. A file that cannot be read at all
 * (EACCES, EIO) still throws: that is not for mcrd to repair.
 */
export async function restoreState(path: string, now: () => Date = () => new Date()): Promise<Restored> {
  try {
    return await readStateContent(path);
  } catch (err) {
    if (!(err instanceof DamagedState)) throw err;
    const at = now();
    const moved: string[] = [];
    for (const f of [path, journalOf(path)]) {
      const aside = await setAside(f, at);
      if (aside !== undefined) moved.push(aside);
    }
    return { rules: [], seq: 0, setAside: { path: moved.join(', '), reason: err.message } };
  }
}

/** `path` renamed to `<path>.corrupt-<stamp>[-n]`; undefined when there is no such file. */
async function setAside(path: string, at: Date): Promise<string | undefined> {
  const stamp = at.toISOString().replace(/[:.]/g, '-');
  for (let n = 0; ; n++) {
    const aside = `${path}.corrupt-${stamp}${n ? `-${n}` : ''}`;
    try {
      // link + unlink: unlike rename, link fails instead of replacing an existing file.
      await link(path, aside);
      await unlink(path);
      return aside;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined;
      if (code !== 'EEXIST') {
        throw new McrError({ code: 'EIO', source: path, detail: `damaged state file cannot be moved aside (${code})`, hint: 'move it away by hand' });
      }
    }
  }
}

function saveError(path: string, err: unknown): McrError {
  const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
  return new McrError({ code: code === 'EACCES' ? 'EACCES' : 'EIO', source: path, detail: `state file not saved (${code}): ${(err as Error).message}` });
}

/** Replace the state file atomically with `rules` (a snapshot at `seq`). Creates the directory if needed. */
export async function writeState(path: string, rules: StoredRule[], seq = 0): Promise<void> {
  const dir = dirname(path);
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await mkdir(dir, { recursive: true, mode: 0o750 });
    const fh = await open(tmp, 'w', 0o640);
    try {
      await fh.writeFile(`${JSON.stringify({ version: 1, seq, rules }, null, 2)}\n`);
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
    throw saveError(path, err);
  }
}

/**
 * The daemon's writer of the state file: snapshots for whole tables, a journal line per change (see
 * the file header). One at a time: the rule service serializes its changes.
 */
export class StateFile {
  private journal: FileHandle | undefined;
  /** Bytes of the journal that are good: a failed append is cut back to here. */
  private journalBytes = 0;
  private lines = 0;
  /** A failed append could not be cut back: the next change writes a snapshot instead. */
  private broken = false;

  /** @param seq the seq of what is on disk (restoreState's), so new lines continue after it */
  constructor(readonly path: string, private seq = 0) {}

  /** Write `rules` as the snapshot and empty the journal. */
  async save(rules: StoredRule[]): Promise<void> {
    await writeState(this.path, rules, this.seq);
    try {
      await (await this.openJournal()).truncate(0);
      this.journalBytes = 0;
      this.lines = 0;
      this.broken = false;
    } catch (err) {
      // The snapshot holds every change; lines left in the journal are at or below its seq and skipped.
      this.broken = true;
      throw saveError(journalOf(this.path), err);
    }
  }

  /** Append one change and fdatasync it; `all` is the table after it, written whole if the journal is unusable. */
  async record(change: StateChange, all: () => StoredRule[]): Promise<void> {
    const seq = this.seq + 1;
    if (this.broken) {
      this.seq = seq;
      return this.save(all());
    }
    const line = Buffer.from(`${JSON.stringify({ seq, ...change })}\n`);
    try {
      const j = await this.openJournal();
      // A short write (a nearly full disk) is no error by itself: the rest is written, or fails, next.
      for (let off = 0; off < line.length;) off += (await j.write(line, off)).bytesWritten;
      await j.datasync();
    } catch (err) {
      await this.journal?.truncate(this.journalBytes).catch(() => { this.broken = true; });
      throw saveError(journalOf(this.path), err);
    }
    this.seq = seq;
    this.journalBytes += line.length;
    this.lines++;
  }

  private async openJournal(): Promise<FileHandle> {
    if (!this.journal) {
      const j = await open(journalOf(this.path), 'a', 0o640);
      this.journalBytes = (await j.stat()).size;
      this.journal = j;
    }
    return this.journal;
  }

  /** The journal has grown past max(1000, 2 x the table): time for a snapshot (save). */
  wantsCompaction(rules: number): boolean {
    return this.lines > Math.max(1000, 2 * rules);
  }

  async close(): Promise<void> {
    await this.journal?.close();
    this.journal = undefined;
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

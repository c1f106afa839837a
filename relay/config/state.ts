/**
 * The state file: every rule the daemon runs, written after each accepted change so a restart (or a
 * reboot) comes back with the same table. Written atomically — temp file, fsync, rename, fsync of the
 * directory — so a crash mid-write leaves the old file or the new one, never half of either.
 *
 *   { "version": 1, "rules": [ { "id": "cam1", "origin": "runtime", "input": {...}, "outputs": [...] } ] }
 *
 * `origin` says where a rule came from: "config" rules are re-read from the config file at start,
 * "runtime" rules (mcrctl add) are restored from here. Tested in state.test.ts.
 */
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { McrError } from '../errors.js';
import type { Rule } from '../model/rule.js';
import { parseRuleList } from '../model/validate.js';

export type RuleOrigin = 'config' | 'runtime';
export interface StoredRule extends Rule { origin: RuleOrigin }

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
    throw new McrError({ code: 'EINVAL', detail: `state file is not JSON (${(err as Error).message}); move it aside to start empty`, source: path });
  }
  if (doc.version !== 1 || !Array.isArray(doc.rules)) {
    throw new McrError({ code: 'EINVAL', detail: 'expected {"version": 1, "rules": [...]}', source: path });
  }
  const origins = doc.rules.map((r) => ((r as { origin?: unknown })?.origin === 'config' ? 'config' : 'runtime'));
  const bare = doc.rules.map((r) => {
    const { origin: _o, ...rest } = r as Record<string, unknown>;
    return rest;
  });
  const rules = parseRuleList(bare, { source: () => path, pathPrefix: ['rules'] });
  return rules.map((r, i) => ({ ...r, origin: origins[i] as RuleOrigin }));
}

/** Replace the state file atomically with `rules`. Creates the directory if needed. */
export async function writeState(path: string, rules: StoredRule[]): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o750 });
  const tmp = `${path}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w', 0o640);
  try {
    await fh.writeFile(`${JSON.stringify({ version: 1, rules }, null, 2)}\n`);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await unlink(tmp).catch(() => {});
    throw new McrError({ code: 'EIO', detail: `cannot write state file: ${(err as Error).message}`, source: path });
  }
  await fh.close();
  await rename(tmp, path);
  // The rename is durable only once the directory entry is on disk.
  const d = await open(dir, 'r');
  try { await d.sync(); } finally { await d.close(); }
}

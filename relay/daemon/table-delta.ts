/**
 * The change between two engine tables, by rule id: what a worker must take out and put in to go
 * from one to the other. The pool sends this instead of the whole table, so a rule added to a table of
 * 10,000 crosses the IPC channel and the addon as one rule (docs/performance.md, "Rule changes at
 * scale"). Tested in table-delta.test.ts.
 */
import type { EngineRule } from '../engine/types.js';

export interface TableDelta {
  /** Ids of rules to take out. */
  remove: string[];
  /** Rules to put in: new ids, and changed ones (same id, other slot, input or outputs), which replace theirs. */
  add: EngineRule[];
}

/** A rule's content as one string: equal strings, equal rules (key order as the control plane builds them). */
const signature = (r: EngineRule): string => JSON.stringify(r);

/** What turns `from` into `to`. Both must have unique ids (the engine refuses anything else). */
export function tableDelta(from: readonly EngineRule[], to: readonly EngineRule[]): TableDelta {
  const before = new Map(from.map((r) => [r.id, r]));
  const remove: string[] = [];
  const add: EngineRule[] = [];
  const kept = new Set<string>();
  for (const r of to) {
    const old = before.get(r.id);
    kept.add(r.id);
    if (old === r) continue;
    if (old === undefined || signature(old) !== signature(r)) add.push(r);
  }
  for (const id of before.keys()) if (!kept.has(id)) remove.push(id);
  return { remove, add };
}

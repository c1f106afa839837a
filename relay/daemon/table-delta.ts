/**
 * The change between two engine tables, by rule id: what a worker must take out and put in to go
 * from one to the other. The pool sends this instead of the whole table, so a rule added to a table of
 * 10,000 crosses the IPC channel and the addon as one rule (docs/performance.md, "Rule changes at
 * scale"). Tested in table-delta.test.ts.
 */
import type { EngineInput, EngineOutput, EngineRule } from '../engine/types.js';

export interface TableDelta {
  /** Ids of rules to take out. */
  remove: string[];
  /** Rules to put in: new ids, and changed ones (same id, other slot, input or outputs), which replace theirs. */
  add: EngineRule[];
}

/*
 * Field by field, with no allocation: this runs for every rule of the table on every change. The
 * Record types make a field added to EngineInput or EngineOutput a compile error here until it is
 * compared too.
 */
const INPUT_FIELDS: Record<keyof EngineInput, true> = { interface: true, group: true, port: true, source: true };
const OUTPUT_FIELDS: Record<keyof EngineOutput, true> = { slot: true, interface: true, group: true, port: true, ttl: true, tos: true, keepSource: true };
const inputKeys = Object.keys(INPUT_FIELDS) as (keyof EngineInput)[];
const outputKeys = Object.keys(OUTPUT_FIELDS) as (keyof EngineOutput)[];

function sameRule(a: EngineRule, b: EngineRule): boolean {
  if (a.slot !== b.slot || a.outputs.length !== b.outputs.length) return false;
  for (const k of inputKeys) if (a.input[k] !== b.input[k]) return false;
  for (let i = 0; i < a.outputs.length; i++) {
    const x = a.outputs[i]!, y = b.outputs[i]!;
    for (const k of outputKeys) if (x[k] !== y[k]) return false;
  }
  return true;
}

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
    if (old === undefined || !sameRule(old, r)) add.push(r);
  }
  for (const id of before.keys()) if (!kept.has(id)) remove.push(id);
  return { remove, add };
}

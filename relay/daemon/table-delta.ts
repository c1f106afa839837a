/**
 * The change between two engine tables, by rule id: what a worker must take out and put in to go
 * from one to the other. The pool sends this instead of the whole table, so a rule added to a table of
 * 10,000 crosses the IPC channel and the addon as one rule (docs/performance.md, "Rule changes at
 * scale"). Tested in table-delta.test.ts.
 */
import type { EngineInput, EngineOutput, EngineRule, RegisterInner } from '../engine/types.js';

export interface TableDelta {
  /** Ids of rules to take out. */
  remove: string[];
  /** Rules to put in: new ids, and changed ones (same id, other slot, input or outputs), which replace theirs. */
  add: EngineRule[];
}

/*
 * Field by field, with named loads (keyed loads over a key list were 35 ms per change at 10,000 rules
 * in the supervisor's profile): this runs for every rule of the table on every change. The Records
 * make a field added to EngineInput or EngineOutput a compile error here until it is compared too.
 */
const sameInput = (a: EngineInput, b: EngineInput): boolean =>
  a.interface === b.interface && a.group === b.group && a.port === b.port && a.source === b.source;
type Inner = Partial<Extract<RegisterInner, { source: string }>>;
const sameRegister = (a: Inner | undefined, b: Inner | undefined): boolean =>
  a === b || (a !== undefined && b !== undefined &&
    a.source === b.source && a.group === b.group && a.port === b.port && a.ttl === b.ttl && a.tos === b.tos);
const sameOutput = (a: EngineOutput, b: EngineOutput): boolean =>
  a.slot === b.slot && a.interface === b.interface && a.group === b.group && a.port === b.port &&
  a.ttl === b.ttl && a.tos === b.tos && a.keepSource === b.keepSource && a.source === b.source && a.reportLocal === b.reportLocal &&
  sameRegister(a.register, b.register);
export const COMPARED: { input: Record<keyof EngineInput, true>; output: Record<keyof EngineOutput, true> } = {
  input: { interface: true, group: true, port: true, source: true },
  output: { slot: true, interface: true, group: true, port: true, ttl: true, tos: true, keepSource: true, source: true, reportLocal: true, register: true },
};

function sameRule(a: EngineRule, b: EngineRule): boolean {
  if (a.slot !== b.slot || a.outputs.length !== b.outputs.length || !sameInput(a.input, b.input)) return false;
  for (let i = 0; i < a.outputs.length; i++) if (!sameOutput(a.outputs[i]!, b.outputs[i]!)) return false;
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

/**
 * Messages between the supervisor and its data-plane workers over the fork() IPC channel
 * (serialization: 'advanced', so bigint counters and Maps cross as they are).
 *
 *   supervisor → worker: { type: 'init', index, options, rules, capture? }  construct Engine, setRules, start
 *                        { type: 'setRules', seq, rules, capture? }  swap the table (all-or-nothing);
 *                                                               capture = { watch, hold } (engine Capture)
 *                        { type: 'updateRules', seq, remove, add, capture? }  the same, sent as the change
 *                                                               from the table the worker last accepted
 *                        { type: 'counters', seq }              counter snapshot
 *                        { type: 'stop' }                       stop the engine and exit 0
 *   worker → supervisor: { type: 'ready', maxRuleSlots, maxOutputSlots }
 *                        { type: 'reply', seq, ok: true, counters? } | { type: 'reply', seq, ok: false, error }
 *                        { type: 'fatal', error }               init failed; the worker exits 1
 *                        { type: 'sources', reports }           PIM source reports of the engine
 */
import type { Capture, EngineCounters, EngineOptions, EngineRule, SourceReport } from '../engine/types.js';

/** An engine failure as it crosses the IPC channel (EngineError's fields). */
export interface WireEngineError {
  message: string;
  code?: string;
  syscall?: string;
  iface?: string;
  hint?: string;
}

export type ToWorker =
  | { type: 'init'; index: number; options: EngineOptions; rules: EngineRule[]; capture?: Capture }
  | { type: 'setRules'; seq: number; rules: EngineRule[]; capture?: Capture }
  | { type: 'updateRules'; seq: number; remove: string[]; add: EngineRule[]; capture?: Capture }
  | { type: 'counters'; seq: number }
  | { type: 'stop' };

export type FromWorker =
  | { type: 'ready'; maxRuleSlots: number; maxOutputSlots: number }
  | { type: 'reply'; seq: number; ok: true; counters?: EngineCounters }
  | { type: 'reply'; seq: number; ok: false; error: WireEngineError }
  | { type: 'fatal'; error: WireEngineError }
  | { type: 'sources'; reports: SourceReport[] };

export function toWireError(err: unknown): WireEngineError {
  const e = err as Partial<WireEngineError> & Error;
  const out: WireEngineError = { message: e?.message ?? String(err) };
  for (const k of ['code', 'syscall', 'iface', 'hint'] as const) if (typeof e?.[k] === 'string') out[k] = e[k];
  return out;
}

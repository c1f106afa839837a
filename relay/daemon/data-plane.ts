/**
 * What the rule service needs from the data plane: apply a full rule table to every worker
 * (all-or-nothing), read counters, describe workers. The worker pool (workers.ts) implements it;
 * tests implement it in-process.
 */
import type { WorkerView } from '../control/api.js';
import type { Capture, EngineCounters, EngineRule } from '../engine/types.js';
import type { TableDelta } from './table-delta.js';

export interface DataPlane {
  /**
   * Install `rules` everywhere, capturing on `capture`'s interfaces too (PIM's watched for new sources,
   * protocol interfaces held open: Capture).
   * Rejects with McrError (EENGINE/EWORKER) and leaves the previous table running. By default the
   * engines get the change from the table applied last; `how` may give that change when the caller
   * knows it (a single rule's change need not be found by comparing 10,000 rules), or ask for
   * 'rebuild': the whole table, every rule built again against the interfaces as they are now (an
   * engine takes a change without looking at the rules it keeps, so a new address, MAC or MTU of
   * an interface reaches their packet headers only this way).
   */
  apply(rules: EngineRule[], capture?: Capture, how?: TableDelta | 'rebuild'): Promise<void>;
  /** One counter snapshot per running worker (missing workers simply contribute nothing). */
  counters(): Promise<EngineCounters[]>;
  workers(): WorkerView[];
  stop(): Promise<void>;
}

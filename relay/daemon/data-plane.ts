/**
 * What the rule service needs from the data plane: apply a full rule table to every worker
 * (all-or-nothing), read counters, describe workers. The worker pool (workers.ts) implements it;
 * tests implement it in-process.
 */
import type { WorkerView } from '../control/api.js';
import type { EngineCounters, EngineRule } from '../engine/types.js';
import type { TableDelta } from './table-delta.js';

export interface DataPlane {
  /**
   * Install `rules` everywhere, with `watch` (PIM interfaces: the engines report new sources seen there).
   * Rejects with McrError (EENGINE/EWORKER) and leaves the previous table running. `delta`, when the
   * caller knows it, is what turns the table applied last into `rules` (a single rule's change need
   * not be found by comparing 10,000 rules).
   */
  apply(rules: EngineRule[], watch?: string[], delta?: TableDelta): Promise<void>;
  /** One counter snapshot per running worker (missing workers simply contribute nothing). */
  counters(): Promise<EngineCounters[]>;
  workers(): WorkerView[];
  stop(): Promise<void>;
}

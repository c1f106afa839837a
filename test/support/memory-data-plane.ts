/**
 * An in-process DataPlane for control-plane tests: it keeps the applied table in memory, can be told
 * to refuse the next table (as an EngineError would), and reports counters the test sets. It stands
 * in for worker processes, which need the native engine and root; the real ones run in relay/e2e.
 */
import type { WorkerView } from '../../relay/control/api.js';
import type { DataPlane } from '../../relay/daemon/data-plane.js';
import { type TableDelta, tableDelta } from '../../relay/daemon/table-delta.js';
import { type Capture, type EngineCounters, type EngineRule, NO_CAPTURE } from '../../relay/engine/types.js';
import { McrError } from '../../relay/errors.js';

export class MemoryDataPlane implements DataPlane {
  table: EngineRule[] = [];
  applied: EngineRule[][] = [];
  private refusal: string | undefined;
  snapshot: EngineCounters | undefined;

  /** Make the next apply() fail with this engine message. */
  refuseNext(message: string): void { this.refusal = message; }

  /** A `delta` must be what turns the last table into `rules`: the rule service's own delta is checked here. */
  /** How the last apply() was asked to install its table (tests check that a refresh rebuilds). */
  lastHow: 'delta' | 'rebuild' | 'computed' | undefined;

  /** What the last accepted apply() captured on besides the rules' inputs. */
  capture: Capture = NO_CAPTURE;

  async apply(rules: EngineRule[], capture: Capture = NO_CAPTURE, how?: TableDelta | 'rebuild'): Promise<void> {
    this.lastHow = how === undefined ? 'computed' : how === 'rebuild' ? 'rebuild' : 'delta';
    const delta = how === 'rebuild' ? undefined : how;
    if (delta) {
      const want = tableDelta(this.table, rules);
      const norm = (d: TableDelta) => JSON.stringify({ remove: [...d.remove].sort(), add: [...d.add].sort((a, b) => a.id.localeCompare(b.id)) });
      if (norm(want) !== norm(delta)) throw new Error(`delta ${norm(delta)} does not turn the applied table into the new one (${norm(want)})`);
    }
    if (this.refusal) {
      const m = this.refusal;
      this.refusal = undefined;
      throw new McrError({ code: 'EENGINE', detail: `the packet engine refused the rule table: ${m}` });
    }
    this.table = structuredClone(rules);
    this.capture = structuredClone(capture);
    this.applied.push(this.table);
  }

  async counters(): Promise<EngineCounters[]> { return this.snapshot ? [this.snapshot] : []; }

  workers(): WorkerView[] {
    return [{ index: 0, pid: process.pid, state: 'running', restarts: 0, lastExit: null, since: new Date(0).toISOString(), rxFrames: null }];
  }

  async stop(): Promise<void> {}
}

/**
 * What the metrics exposition is rendered from: a plain snapshot of the daemon's state, built per
 * scrape by collect.ts (or by hand in tests). Nothing here refers to live daemon objects, so
 * rendering is a pure function of this value.
 */
import type { WorkerState } from '../control/api.js';
import type { EngineCounters } from '../engine/types.js';
import type { Family } from './format.js';

export interface MetricsEndpoint { interface: string; group: string; port: number }

export interface MetricsOutput extends MetricsEndpoint {
  /** Counter slot in `counters.outputs`; undefined while the rule has none (its counters read 0). */
  slot?: number;
}

export interface MetricsRule {
  id: string;
  /** Counter slot in `counters.rules`; undefined reads as 0. */
  slot?: number;
  input: MetricsEndpoint;
  outputs: MetricsOutput[];
}

export interface MetricsWorker {
  index: number;
  pid: number | null;
  state: WorkerState;
  restarts: number;
}

export interface ControlRequestCount {
  /** A control command name, `unknown` (not a command) or `invalid` (not a request at all). */
  command: string;
  /** `ok` or the McrError code of the reply (EINVAL, EEXIST, ...). */
  result: string;
  count: number | bigint;
}

export interface MetricsInput {
  rules: MetricsRule[];
  /** Counters summed over all workers (relay/stats/counters.ts sumCounters), indexed by slot. */
  counters: EngineCounters;
  workers: MetricsWorker[];
  controlRequests: ControlRequestCount[];
  /** When the daemon started, seconds since the epoch. */
  startTimeSeconds: number;
  build: { version: string; backend: string; node: string };
  /** Families of the protocol plane (relay/metrics/protocols.ts), already built; absent without protocols. */
  protocols?: Family[];
}

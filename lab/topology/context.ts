/**
 * The run context every resource module and runner receives: run id and prefix, namespace naming,
 * the run directory, the log, the abort signal and the state record (`track` appends and saves it).
 */
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { RunLog } from './log.js';
import { stateDir, statePath, writeState, type Resource, type StateRecord } from './state.js';

/**
 * mcr-lab's own prefix: namespaces are `<prefix><runid>-<host>` (`mcl` unless MCR_LAB_PREFIX sets
 * another, so several users of one machine keep apart); `down --all` only looks at this prefix's.
 */
export const DEFAULT_LAB_PREFIX = 'mcl';

/**
 * The namespace prefix of this process: MCR_LAB_PREFIX or `mcl`.
 * @throws Error naming MCR_LAB_PREFIX when it is not 1–6 letters or digits starting with a letter
 *   (namespace names stay short and `-` separates the host).
 */
export function labPrefix(env: NodeJS.ProcessEnv = process.env): string {
  const p = env['MCR_LAB_PREFIX'];
  if (p === undefined || p === '') return DEFAULT_LAB_PREFIX;
  if (!/^[A-Za-z][A-Za-z0-9]{0,5}$/.test(p)) {
    throw new Error(`MCR_LAB_PREFIX: ${JSON.stringify(p)} is not 1–6 letters or digits starting with a letter (e.g. mcrL); unset it for the default ${DEFAULT_LAB_PREFIX}`);
  }
  return p;
}

/** Matches the namespaces of runs under `prefix` (`<prefix><6 hex>-`). */
export function prefixPattern(prefix = labPrefix()): RegExp {
  return new RegExp(`^${prefix}[0-9a-f]{6}-`);
}
/** The namespace holding a run's bridges. */
export const SWITCH_HOST = 'sw';

export interface RunContext {
  runId: string;
  prefix: string;
  runDir: string;
  log: RunLog;
  signal: AbortSignal;
  state: StateRecord;
  /** Namespace of a host (or of the switch, SWITCH_HOST). */
  ns(host: string): string;
  /** Appends a created resource to the state record and saves it before returning. */
  track(r: Resource): void;
  /** Drops a resource from the record once it is gone. */
  untrack(match: (r: Resource) => boolean): void;
}

export function newRunId(): string {
  return randomBytes(3).toString('hex');
}

export interface ContextOptions { scenario: string; file: string; signal: AbortSignal; logPath?: string; runId?: string }

export function createContext(opts: ContextOptions): RunContext {
  // Every process of the run listens on this signal (a fan-out alone starts 50 socats).
  setMaxListeners(0, opts.signal);
  const runId = opts.runId ?? newRunId();
  const prefix = `${labPrefix()}${runId}`;
  const runDir = join(stateDir(), runId);
  mkdirSync(runDir, { recursive: true });
  const log = new RunLog(opts.logPath ?? join(runDir, 'run.log'));
  const state: StateRecord = {
    version: 1, runId, prefix, scenario: opts.scenario, file: opts.file, ownerPid: process.pid,
    createdAt: new Date().toISOString(), runDir, resources: [{ kind: 'dir', path: runDir }],
  };
  writeState(state);
  return contextFromState(state, log, opts.signal);
}

/** A context over an existing record (for `down`). */
export function contextFromState(state: StateRecord, log: RunLog, signal: AbortSignal): RunContext {
  return {
    runId: state.runId,
    prefix: state.prefix,
    runDir: state.runDir,
    log,
    signal,
    state,
    ns: (host) => `${state.prefix}-${host}`,
    track(r) {
      state.resources.push(r);
      writeState(state);
    },
    untrack(match) {
      state.resources = state.resources.filter((r) => !match(r));
      // A process exiting after teardown removed the record must not bring the record back.
      if (existsSync(statePath(state.runId))) writeState(state);
    },
  };
}

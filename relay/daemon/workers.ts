/**
 * The worker pool: forks N data-plane worker processes (worker-main.ts), each owning one native
 * Engine in the same PACKET_FANOUT group, and keeps them alive. A worker that exits unexpectedly is
 * restarted with exponential backoff and gets the current rule table again; after `maxFastCrashes`
 * short-lived runs in a row it is marked failed (visible in `mcrctl workers`) instead of looping.
 * Tested end to end in relay/e2e (the workers need the native engine and root).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { WorkerState, WorkerView } from '../control/api.js';
import { type Capture, type EngineCounters, type EngineOptions, type EngineRule, NO_CAPTURE, type SourceReport } from '../engine/types.js';
import { McrError } from '../errors.js';
import type { DataPlane } from './data-plane.js';
import type { FromWorker, ToWorker, WireEngineError } from './ipc.js';
import type { Logger } from './log.js';
import { type TableDelta, tableDelta } from './table-delta.js';
import { sumCounters } from '../stats/counters.js';

/** Extra reply time a table change gets per rule it sets up or takes down. */
const PER_RULE_REPLY_MS = 1;

export interface WorkerPoolOptions {
  count: number;
  /** CPUs for the workers' packet threads, worker i on cpus[i % length]; absent: CPU i with several workers, unpinned with one. */
  cpus?: readonly number[] | undefined;
  engine: EngineOptions;
  log: Logger;
  /** Worker entry script; defaults to worker-main.js next to this file. */
  entry?: string;
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** A run shorter than this counts as a fast crash. */
  fastCrashMs?: number;
  maxFastCrashes?: number;
  /** Reply deadline of a request (default 5000 ms); a table change gets 1 ms more per rule it carries. */
  replyTimeoutMs?: number;
  /** PIM source reports of any worker's engine (the worker's fan-out share of the flows). */
  onSources?: (reports: SourceReport[]) => void;
  /** How long a rule change waits for a worker that died under it to be back (default 3 s). */
  restartWaitMs?: number;
}

interface Worker {
  index: number;
  child: ChildProcess | null;
  state: WorkerState;
  restarts: number;
  fastCrashes: number;
  lastExit: string | null;
  startedAt: number;
  pending: Map<number, { resolve: (m: FromWorker) => void; reject: (e: Error) => void }>;
  onReady: ((err?: WireEngineError) => void) | null;
  timer: NodeJS.Timeout | null;
  /** The latest counters read from this instance, kept when it dies so totals do not go backwards. */
  lastCounters: EngineCounters | null;
  /** The pool's table version this instance runs (a change goes to it as a delta only from that one). */
  version: number;
}

export class WorkerPool implements DataPlane {
  private readonly pool: Worker[];
  private table: EngineRule[] = [];
  private capture: Capture = NO_CAPTURE;
  /** Bumped by every accepted table: a worker at this version gets changes as deltas. */
  private version = 0;
  /** Counters of worker instances that have exited (as last read), so totals survive restarts. */
  private retired: EngineCounters[] = [];
  private seq = 0;
  private stopping = false;
  limits = { maxRuleSlots: Infinity, maxOutputSlots: Infinity };

  constructor(private readonly o: WorkerPoolOptions) {
    this.pool = Array.from({ length: o.count }, (_, index) => ({
      index, child: null, state: 'stopped' as WorkerState, restarts: 0, fastCrashes: 0, lastExit: null,
      startedAt: 0, pending: new Map(), onReady: null, timer: null, lastCounters: null, version: -1,
    }));
  }

  /** Fork every worker and wait until each is ready; throws if none could start (with the engine's reason). */
  async start(): Promise<void> {
    const results = await Promise.all(this.pool.map((w) => this.spawn(w)));
    const failed = results.filter((e): e is WireEngineError => e !== undefined);
    if (failed.length === this.pool.length) throw engineError(failed[0]!, 'no data-plane worker could start');
  }

  workers(): WorkerView[] {
    return this.pool.map((w) => ({
      index: w.index, pid: w.child?.pid ?? null, state: w.state, restarts: w.restarts, lastExit: w.lastExit,
      since: w.state === 'running' ? new Date(w.startedAt).toISOString() : null,
      rxFrames: w.lastCounters ? Number(w.lastCounters.global.rxFrames) : null,
    }));
  }

  async apply(rules: EngineRule[], capture: Capture = NO_CAPTURE, how?: TableDelta | 'rebuild'): Promise<void> {
    const live = this.pool.filter((w) => w.state === 'running' || w.state === 'starting' || w.state === 'restarting');
    if (live.length === 0) throw new McrError({ code: 'EWORKER', detail: 'no data-plane worker is running (see mcrctl workers)' });
    // Workers on the current table get only the change (one rule of 10,000 crosses as one rule);
    // any other (just restarted, or left behind by a failed rollback) gets the whole table.
    const delta = how === 'rebuild' ? undefined : how ?? tableDelta(this.table, rules);
    const change = (w: Worker): Extract<ToWorker, { seq: number }> => delta && w.version === this.version
      ? { type: 'updateRules', seq: 0, ...delta, capture }
      : { type: 'setRules', seq: 0, rules, capture };
    const results = await Promise.allSettled(live.map((w) => this.applyTo(w, change, { type: 'setRules', seq: 0, rules, capture })));
    const bad = results.findIndex((r) => r.status === 'rejected');
    if (bad === -1) {
      this.table = rules;
      this.capture = capture;
      this.version++;
      for (const w of live) w.version = this.version;
      return;
    }
    // Put the workers that took the new table back on the old one: all workers run the same rules.
    // A refusal leaves a worker's table as it was; a timeout may not have: send it everything next time.
    live.forEach((w, i) => { if (results[i]!.status === 'rejected') w.version = -1; });
    const took = live.filter((_, i) => results[i]!.status === 'fulfilled');
    const back = await Promise.allSettled(took.map((w) => this.call(w, { type: 'setRules', seq: 0, rules: this.table, capture: this.capture })));
    took.forEach((w, i) => { w.version = back[i]!.status === 'fulfilled' ? this.version : -1; });
    throw (results[bad] as PromiseRejectedResult).reason;
  }

  /**
   * A table change on one worker. A worker that dies before it answers (or is between two instances) gets
   * the table once more on its next instance, which starts on the previous table: a worker crash
   * delays a rule change by the restart rather than refusing it (the soak kills workers under rule
   * churn). The next instance's answer is final, so a table that kills the worker is refused.
   */
  private async applyTo(w: Worker, change: (w: Worker) => Extract<ToWorker, { seq: number }>, whole: Extract<ToWorker, { seq: number }>): Promise<void> {
    const child = w.state === 'restarting' ? null : w.child;
    if (child) {
      try {
        await this.call(w, change(w));
        return;
      } catch (err) {
        if (w.child === child && child.connected) throw err;  // refused or timed out by a live worker
      }
    }
    await this.nextInstance(w, child);
    await this.call(w, whole);
  }

  /** Wait until worker `w` runs an instance other than `old`; EWORKER if it fails or is not back in time. */
  private async nextInstance(w: Worker, old: ChildProcess | null): Promise<void> {
    const waitMs = this.o.restartWaitMs ?? 3000;
    const deadline = Date.now() + waitMs;
    while (!(w.child && w.child !== old && (w.state === 'starting' || w.state === 'running'))) {
      if (w.state === 'failed' || this.stopping || Date.now() > deadline) {
        const why = w.state === 'failed' ? 'has failed (see mcrctl workers)' : `is not back after ${waitMs} ms`;
        throw new McrError({ code: 'EWORKER', detail: `worker ${w.index} exited (${w.lastExit ?? 'unknown'}) and ${why}; the change was not applied` });
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /**
   * Counter snapshots of the running workers, plus the last snapshot of every instance that exited,
   * so totals keep counting across a worker restart (up to the packets since its last read).
   */
  async counters(): Promise<EngineCounters[]> {
    const live = this.pool.filter((w) => w.state === 'running');
    const rs = await Promise.allSettled(live.map((w) => this.call(w, { type: 'counters', seq: 0 })));
    const out: EngineCounters[] = [];
    rs.forEach((r, i) => {
      if (r.status === 'fulfilled' && r.value.type === 'reply' && r.value.ok && r.value.counters) {
        live[i]!.lastCounters = r.value.counters;
        out.push(r.value.counters);
      }
    });
    if (this.retired.length) this.retired = [this.currentSlotsOnly(sumCounters(this.retired))];
    return [...out, ...this.retired];
  }

  /**
   * `c` without the rules and outputs the table no longer has: their counts would otherwise be kept
   * for ever (memory growing with every slot rule churn ever used) and added to whichever new rule is
   * given the slot once the round robin comes back to it. The global counters stay whole.
   */
  private currentSlotsOnly(c: EngineCounters): EngineCounters {
    const rules = new Set(this.table.map((r) => r.slot));
    const outputs = new Set(this.table.flatMap((r) => r.outputs.map((o) => o.slot)));
    return {
      global: c.global,
      rules: new Map([...c.rules].filter(([slot]) => rules.has(slot))),
      outputs: new Map([...c.outputs].filter(([slot]) => outputs.has(slot))),
    };
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.pool.map((w) => new Promise<void>((resolve) => {
      if (w.timer) clearTimeout(w.timer);
      const c = w.child;
      if (!c || c.exitCode !== null || c.signalCode !== null) { w.state = 'stopped'; resolve(); return; }
      const kill = setTimeout(() => c.kill('SIGKILL'), 3000);
      c.once('exit', () => { clearTimeout(kill); resolve(); });
      if (c.connected) c.send({ type: 'stop' } satisfies ToWorker); else c.kill('SIGKILL');
    })));
  }

  /** Fork one worker; resolves when it is ready (undefined) or failed to start (its error). */
  private spawn(w: Worker): Promise<WireEngineError | undefined> {
    const entry = this.o.entry ?? fileURLToPath(new URL('./worker-main.js', import.meta.url));
    const child = fork(entry, [], { execArgv: [], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    w.child = child;
    w.state = 'starting';
    w.startedAt = Date.now();
    const options: EngineOptions = { ...this.o.engine };
    const cpu = this.o.cpus?.length ? this.o.cpus[w.index % this.o.cpus.length] : this.o.count > 1 ? w.index % availableParallelism() : undefined;
    if (cpu !== undefined) options.cpu = cpu;
    child.on('message', (m: FromWorker) => this.onMessage(w, m));
    child.on('exit', (code, signal) => this.onExit(w, child, code, signal));
    child.on('error', (err) => this.onError(w, err));
    child.send({ type: 'init', index: w.index, options, rules: this.table, capture: this.capture } satisfies ToWorker);
    w.version = this.version;
    this.o.log.info('worker starting', { worker: w.index, pid: child.pid });
    return new Promise((resolve) => { w.onReady = resolve; });
  }

  private onMessage(w: Worker, m: FromWorker): void {
    if (m.type === 'ready') {
      w.state = 'running';
      this.limits.maxRuleSlots = Math.min(this.limits.maxRuleSlots, m.maxRuleSlots);
      this.limits.maxOutputSlots = Math.min(this.limits.maxOutputSlots, m.maxOutputSlots);
      this.o.log.info('worker running', { worker: w.index, pid: w.child?.pid });
      w.onReady?.(); w.onReady = null;
    } else if (m.type === 'sources') {
      this.o.onSources?.(m.reports);
    } else if (m.type === 'fatal') {
      w.lastExit = `engine start failed: ${m.error.message}`;
      this.o.log.error('worker could not start the engine', { worker: w.index, error: m.error.message, hint: m.error.hint });
      w.onReady?.(m.error); w.onReady = null;
    } else {
      const p = w.pending.get(m.seq);
      if (!p) return;
      w.pending.delete(m.seq);
      if (m.ok) p.resolve(m); else p.reject(engineError(m.error, 'the packet engine refused the rule table'));
    }
  }

  /**
   * A write to a worker that has just died fails (EPIPE, or the channel already closed) before its
   * exit is seen; the exit handler reports the death and the restart, so that is no error of its own.
   * Anything else (fork failed, ...) is.
   */
  private onError(w: Worker, err: NodeJS.ErrnoException): void {
    const channelGone = err.code === 'EPIPE' || err.code === 'ECONNRESET' || err.code === 'ERR_IPC_CHANNEL_CLOSED';
    if (channelGone) this.o.log.debug('write to an exiting worker failed; its exit is reported when seen', { worker: w.index, error: err.message });
    else (this.stopping ? this.o.log.debug : this.o.log.error)('worker process error', { worker: w.index, error: err.message });
  }

  private onExit(w: Worker, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (w.child !== child) return;
    const why = signal ? `signal ${signal}` : `exit ${code}`;
    for (const p of w.pending.values()) p.reject(new McrError({ code: 'EWORKER', detail: `worker ${w.index} exited (${why}) before replying` }));
    w.pending.clear();
    w.child = null;
    if (w.lastCounters) { this.retired.push(w.lastCounters); w.lastCounters = null; }
    if (w.onReady) { w.onReady({ message: w.lastExit ?? why }); w.onReady = null; }
    if (this.stopping) { w.state = 'stopped'; return; }
    if (!w.lastExit?.startsWith('engine start failed')) w.lastExit = why;
    const lived = Date.now() - w.startedAt;
    w.fastCrashes = lived < (this.o.fastCrashMs ?? 5000) ? w.fastCrashes + 1 : 1;
    if (w.fastCrashes > (this.o.maxFastCrashes ?? 5)) {
      w.state = 'failed';
      this.o.log.error('worker keeps crashing; not restarting it', { worker: w.index, crashes: w.fastCrashes, last: w.lastExit });
      return;
    }
    // A first crash restarts at once (its share of the traffic is not being forwarded); repeated fast
    // crashes back off exponentially: 0, 250 ms, 500 ms, 1 s, ... capped.
    const delay = w.fastCrashes === 1 ? 0 : Math.min((this.o.baseBackoffMs ?? 250) * 2 ** (w.fastCrashes - 2), this.o.maxBackoffMs ?? 10_000);
    w.state = 'restarting';
    this.o.log.warn('worker exited; restarting', { worker: w.index, why, inMs: delay });
    w.timer = setTimeout(() => {
      w.timer = null;
      if (this.stopping) return;
      w.restarts++;
      void this.spawn(w);
    }, delay);
  }

  private call(w: Worker, m: Extract<ToWorker, { seq: number }>): Promise<FromWorker> {
    const seq = ++this.seq;
    // A table change sets up sockets and joins per rule it brings (the kernel's membership lists are
    // linear: 10,000 joins took 3-5 s on a loaded VM), so its reply may take longer the bigger it is.
    const rules = m.type === 'setRules' ? m.rules.length : m.type === 'updateRules' ? m.add.length + m.remove.length : 0;
    const timeoutMs = (this.o.replyTimeoutMs ?? 5000) + rules * PER_RULE_REPLY_MS;
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        w.pending.delete(seq);
        reject(new McrError({ code: 'EWORKER', detail: `worker ${w.index} did not answer ${m.type} within ${timeoutMs} ms` }));
      }, timeoutMs);
      w.pending.set(seq, { resolve: (v) => { clearTimeout(t); resolve(v); }, reject: (e) => { clearTimeout(t); reject(e); } });
      const c = w.child;
      if (!c?.connected) { w.pending.get(seq)!.reject(new McrError({ code: 'EWORKER', detail: `worker ${w.index} is not running` })); return; }
      c.send({ ...m, seq });
    });
  }
}

function engineError(e: WireEngineError, what: string): McrError {
  const where = e.syscall ? `${e.syscall}${e.iface ? `(${e.iface})` : ''}: ` : '';
  const detail = e.message.includes(e.code ?? '\0') || !e.code ? e.message : `${where}${e.code} ${e.message}`;
  // Engine messages often carry their hint already ("EPERM — needs CAP_NET_RAW"); say it once.
  const hint = e.hint && !detail.includes(e.hint) ? e.hint : undefined;
  return new McrError({ code: 'EENGINE', detail: `${what}: ${detail}`, hint });
}

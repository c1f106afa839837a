/**
 * The micro-benchmark harness: a suite is a set of named tasks, each a function run `batch` times per
 * tinybench sample, so sub-microsecond calls are timed over many calls rather than one clock read.
 * A task whose operation is too cheap to time across the JS boundary (a rule lookup is a few ns; an
 * N-API call is more) is instead timed inside native code: each call times `opsPerCall` operations
 * and returns ns per operation; the harness makes several calls and keeps median, min and max.
 * A suite whose code is not there yet (module or export missing) is skipped with the reason, so the
 * bench runs against whatever the tree has. Used by bench/run.ts; covered by bench/micro/suite.test.ts.
 */
import { Bench } from 'tinybench';

/** A task timed from JS by tinybench. */
export interface JsTask {
  name: string;
  /** Calls per sample; per-call figures divide by it. */
  batch: number;
  fn: () => void;
}

/** A task timed inside native code: one call times `opsPerCall` operations and returns ns per operation. */
export interface NativeTask {
  name: string;
  opsPerCall: number;
  /** What one operation is, plural (`lookups`). */
  unit: string;
  timeNative: () => number;
}

export type MicroTask = JsTask | NativeTask;

const isNative = (t: MicroTask): t is NativeTask => 'timeNative' in t;

/** Figures of a task timed from JS by tinybench. */
export interface JsResult {
  suite: string;
  task: string;
  timedIn?: undefined;
  /** Calls per second (mean over samples). */
  opsPerSec: number;
  /** Nanoseconds per call: mean and 99th percentile over samples. */
  meanNs: number;
  p99Ns: number;
  /** Relative margin of error of the sample mean, percent. */
  rmePct: number;
  samples: number;
}

/** Figures of a task timed inside native code (NativeTask): ns per operation over several calls. */
export interface NativeResult {
  suite: string;
  task: string;
  timedIn: 'native';
  /** ns per operation: median, fastest and slowest call (each call's own mean over opsPerCall). */
  medianNs: number;
  minNs: number;
  maxNs: number;
  /** Timed calls (a first, warm-up call is not counted). */
  calls: number;
  opsPerCall: number;
  unit: string;
  /** Operations per second at the median. */
  opsPerSec: number;
}

export type MicroResult = JsResult | NativeResult;

/** Native calls per task: at least this many, however short the measuring time. */
export const MIN_NATIVE_CALLS = 5;
/** And at most this many, however long. */
export const MAX_NATIVE_CALLS = 51;

export interface SuiteOutcome {
  suite: string;
  results: MicroResult[];
  /** Present when the suite could not run, saying what is missing. */
  skipped?: string;
}

export interface SuiteDef {
  name: string;
  /** Sets up the tasks; returns a string instead when what it measures does not exist yet. */
  prepare(): Promise<MicroTask[] | string>;
}

export interface RunOptions {
  /** Measuring time per task, ms. */
  timeMs: number;
  warmupMs: number;
}

/** Runs one suite; a task that throws fails the suite with the task named. */
export async function runSuite(def: SuiteDef, opts: RunOptions): Promise<SuiteOutcome> {
  const prepared = await def.prepare();
  if (typeof prepared === 'string') return { suite: def.name, results: [], skipped: prepared };
  const native = prepared.filter(isNative).map((t) => runNative(def.name, t, opts.timeMs));
  const tasks = prepared.filter((t): t is JsTask => !isNative(t));
  const js = tasks.length === 0 ? [] : await runJs(def, tasks, opts);
  // Results in the order the suite listed its tasks.
  const byName = new Map<string, MicroResult>([...native, ...js].map((r) => [r.task, r]));
  return { suite: def.name, results: prepared.map((t) => byName.get(t.name)!) };
}

/**
 * Times a native task: one warm-up call, then calls until `timeMs` has passed (MIN_NATIVE_CALLS to
 * MAX_NATIVE_CALLS of them); the median call is the figure, as one call descheduled on a shared
 * machine would drag a mean.
 */
export function runNative(suite: string, t: NativeTask, timeMs: number): NativeResult {
  const call = (): number => {
    const ns = t.timeNative();
    if (!Number.isFinite(ns) || ns <= 0) throw new Error(`${suite} / ${t.name}: native timing returned ${String(ns)} ns per operation`);
    return ns;
  };
  call();
  const per: number[] = [];
  const start = performance.now();
  while (per.length < MIN_NATIVE_CALLS || (per.length < MAX_NATIVE_CALLS && performance.now() - start < timeMs)) per.push(call());
  per.sort((a, b) => a - b);
  const mid = Math.floor(per.length / 2);
  const medianNs = per.length % 2 === 1 ? per[mid]! : (per[mid - 1]! + per[mid]!) / 2;
  return {
    suite, task: t.name, timedIn: 'native', medianNs, minNs: per[0]!, maxNs: per[per.length - 1]!,
    calls: per.length, opsPerCall: t.opsPerCall, unit: t.unit, opsPerSec: 1e9 / medianNs,
  };
}

async function runJs(def: SuiteDef, tasks: JsTask[], opts: RunOptions): Promise<JsResult[]> {
  const bench = new Bench({ name: def.name, time: opts.timeMs, warmupTime: opts.warmupMs, throws: true });
  for (const t of tasks) {
    bench.add(t.name, () => {
      for (let i = 0; i < t.batch; i++) t.fn();
    });
  }
  await bench.run();
  return tasks.map((t, i): JsResult => {
    const r = bench.tasks[i]?.result;
    if (!r || r.error) throw new Error(`${def.name} / ${t.name}: ${r?.error?.message ?? 'no result'}`);
    // tinybench reports latency in ms per sample; one sample is `batch` calls.
    const perCallNs = (ms: number | undefined): number => ((ms ?? Number.NaN) * 1e6) / t.batch;
    return {
      suite: def.name, task: t.name,
      opsPerSec: r.throughput.mean * t.batch,
      meanNs: perCallNs(r.latency.mean), p99Ns: perCallNs(r.latency.p99),
      rmePct: r.latency.rme, samples: r.latency.samples.length,
    };
  });
}

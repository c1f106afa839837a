/**
 * The micro-benchmark harness: a suite is a set of named tasks, each a function run `batch` times per
 * tinybench sample, so sub-microsecond calls are timed over many calls rather than one clock read.
 * A suite whose code is not there yet (module or export missing) is skipped with the reason, so the
 * bench runs against whatever the tree has. Used by bench/run.ts; covered by bench/micro/suite.test.ts.
 */
import { Bench } from 'tinybench';

export interface MicroTask {
  name: string;
  /** Calls per sample; per-call figures divide by it. */
  batch: number;
  fn: () => void;
}

export interface MicroResult {
  suite: string;
  task: string;
  /** Calls per second (mean over samples). */
  opsPerSec: number;
  /** Nanoseconds per call: mean and 99th percentile over samples. */
  meanNs: number;
  p99Ns: number;
  /** Relative margin of error of the sample mean, percent. */
  rmePct: number;
  samples: number;
}

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
  const tasks = await def.prepare();
  if (typeof tasks === 'string') return { suite: def.name, results: [], skipped: tasks };
  const bench = new Bench({ name: def.name, time: opts.timeMs, warmupTime: opts.warmupMs, throws: true });
  for (const t of tasks) {
    bench.add(t.name, () => {
      for (let i = 0; i < t.batch; i++) t.fn();
    });
  }
  await bench.run();
  const results = tasks.map((t, i): MicroResult => {
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
  return { suite: def.name, results };
}

/**
 * Imports a module of this package by its path from the repository root (e.g.
 * `relay/engine/engine.js`), resolved against the compiled tree the bench runs from.
 * @returns the module namespace, or a reason string when it is not there or fails to load
 */
export async function importFromRoot(rel: string): Promise<Record<string, unknown> | string> {
  const url = new URL(`../../${rel}`, import.meta.url);
  try {
    return (await import(url.href)) as Record<string, unknown>;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes(rel)) return `${rel} not found (not built yet?)`;
    return `${rel} failed to load: ${e.message.split('\n')[0]}`;
  }
}

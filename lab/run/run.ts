/**
 * The scenario runner: repetition by repetition, each relay in turn gets a fresh topology under its
 * own run id and state record (passes never share a namespace), one pass of every test
 * (session.ts), then that topology's teardown (also on failure and abort); at the end the passes are
 * merged into test records (merge.ts), thresholds evaluated, and a Results object
 * (lab/results/types.ts) returned, which the CLI writes as results.json and renders as reports.
 */
import { captureEnvironment } from '../environment.js';
import { loadBetween, loadSnapshot, noisyBecause } from '../measure/machine-load.js';
import { allPass, evaluateThresholds, type ThresholdSpec } from '../measure/thresholds.js';
import { RESULTS_SCHEMA_VERSION, type Calibration, type CpuPlacement, type RelayName, type Results, type TestResult } from '../results/types.js';
import { calibrate, calibrationWarnings } from './calibrate.js';
import { directRunner } from '../runners/direct.js';
import { frrRunner } from '../runners/frr.js';
import type { MembershipTest } from '../results/membership.js';
import { kernelRunner } from '../runners/kernel.js';
import { mcrdRunner } from '../runners/mcrd.js';
import { socatRunner } from '../runners/socat.js';
import type { RelayRunner } from '../runners/types.js';
import type { ResolvedScenario } from '../scenario/resolve.js';
import { createContext, newRunId, type RunContext } from '../topology/context.js';
import { teardown } from '../topology/teardown.js';
import { estimateSeconds, Progress } from './progress.js';
import { describePlacement, onlineCpus, placementProblems, planPlacement } from './placement.js';
import { membershipEstimateS } from './membership.js';
import { mergePasses, latencyBaseOf } from './merge.js';
import { runRelayPass, type TestOutcome } from './session.js';

export interface RunOptions {
  file: string;
  projectRoot: string;
  toolVersion: string;
  signal: AbortSignal;
  /** Every command of the run is logged here. */
  logPath: string;
  progress?: boolean;
  /** Seconds of the lab's own calibration before the relays (lab/run/calibrate.ts); 0 skips it. */
  calibrateS?: number;
}

/** Contexts whose topology is up right now: the CLI's second Ctrl-C tears these down at once. */
export const activeContexts = new Set<RunContext>();

export function runnerFor(relay: RelayName, projectRoot: string): RelayRunner {
  switch (relay) {
    case 'mcrd': return mcrdRunner(projectRoot);
    case 'socat': return socatRunner;
    case 'kernel': return kernelRunner;
    case 'direct': return directRunner;
    case 'frr': return frrRunner;
  }
}

export async function runScenario(s: ResolvedScenario, opts: RunOptions): Promise<Results> {
  const runId = newRunId();
  const startedAt = new Date().toISOString();
  const progress = new Progress(process.stderr, opts.progress ?? true, estimateSeconds(s.tests.map((t) => (t.kind === 'membership' ? { ...t, durationS: membershipEstimateS(t) } : t)), s.relays.length, s.settleS));
  const environment = captureEnvironment();
  const loadAtStart = loadSnapshot();
  const placement = planPlacement(s.cpus, onlineCpus(), s.mcrd.workers !== undefined ? { mcrdWorkers: s.mcrd.workers } : {});
  progress.note(`CPU placement: ${describePlacement(placement)}`);
  for (const w of placementProblems(placement, onlineCpus(), s.mcrd.workers !== undefined ? { mcrdWorkers: s.mcrd.workers } : {})) {
    progress.note(`${w.severity}: ${w.path}: ${w.message}`);
  }
  const skipped: Results['skipped'] = [];
  const membership: MembershipTest[] = [];
  let failed = false;
  const calibration = (opts.calibrateS ?? 1) > 0 ? await calibrateFirst(s, opts, runId, placement, progress) : undefined;
  // RFC 2544 practice against drift on a shared machine: the relays take turns, one repetition of
  // every test each (mcrd, socat, kernel, direct, then again), instead of one relay's repetitions
  // back to back.
  const reps = Math.max(1, ...s.tests.map((t) => t.repetitions));
  const passes = new Map<RelayName, TestOutcome[][]>(s.relays.map((r) => [r, []]));
  const out = new Set<RelayName>();
  for (let rep = 1; rep <= reps; rep++) {
    for (const [i, relay] of s.relays.entries()) {
      if (out.has(relay)) continue;
      opts.signal.throwIfAborted();
      const mine = passes.get(relay)!;
      const ctx = createContext({
        scenario: s.name, file: opts.file, signal: opts.signal, logPath: opts.logPath,
        runId: `${runId.slice(0, 4)}${((rep - 1) * s.relays.length + i).toString(16).padStart(2, '0').slice(-2)}`,
      });
      activeContexts.add(ctx);
      ctx.log.write(`== ${relay}${reps > 1 ? ` repetition ${rep}/${reps}` : ''}: run ${runId}, topology ${ctx.prefix}`);
      try {
        const pass = await runRelayPass(ctx, s, runnerFor(relay, opts.projectRoot), progress, {
          index: i + 1, count: s.relays.length, rep, reps,
          latencyBase: (name, current) => latencyBaseOf(s.tests, [...mine, current], name),
        }, placement);
        mine.push(pass.outcomes);
        membership.push(...(pass.membership ?? []));
        if (pass.skipped) { out.add(relay); skipped.push({ relay, reason: pass.skipped }); progress.note(`skipped ${pass.skipped}`); }
        if (pass.failed) { out.add(relay); skipped.push({ relay, reason: pass.failed }); failed = true; progress.note(`FAILED ${pass.failed}`); }
      } finally {
        const report = await teardown(ctx, ctx.state);
        activeContexts.delete(ctx);
        if (report.errors.length > 0) {
          failed = true;
          progress.note(`teardown of ${ctx.prefix} left problems:\n  ${report.errors.join('\n  ')}`);
        }
      }
    }
  }
  const tests: TestResult[] = s.relays.flatMap((relay) => mergePasses(relay, s.tests, passes.get(relay)!));
  progress.done();
  const load = loadBetween(loadAtStart, loadSnapshot());
  const noisy = noisyBecause(load, onlineCpus().length);
  if (noisy) progress.note(`note: ${noisy}`);

  // A threshold about a relay left out with --relays does not apply to this run.
  const applicable = s.thresholds.filter((t) => (!t.relay || s.relays.includes(t.relay)) && (!t.ratioTo || s.relays.includes(t.ratioTo)));
  const thresholds = evaluateThresholds(applicable as ThresholdSpec[], tests);
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    tool: { name: 'mcr-lab', version: opts.toolVersion },
    scenario: { name: s.name, file: opts.file, ...(s.description ? { description: s.description } : {}), quick: s.quick },
    runId,
    startedAt,
    finishedAt: new Date().toISOString(),
    environment: {
      ...await environment, placement, load, ...(calibration && { calibration }),
      ...(Object.keys(s.mcrd).length > 0 && s.relays.includes('mcrd') ? { mcrdOptions: { ...s.mcrd } } : {}),
    },
    relays: s.relays,
    tests,
    thresholds,
    pass: !failed && allPass(thresholds),
    skipped,
    ...(membership.length > 0 ? { membership } : {}),
  };
}

/**
 * The lab's own ceilings on this machine, measured in a topology of their own before the relays, and
 * a warning for every test that asks for more than the machine can measure. A calibration that fails
 * is a note, not a failed run: the relays' own trials still say what they measured.
 */
async function calibrateFirst(s: ResolvedScenario, opts: RunOptions, runId: string, placement: CpuPlacement, progress: Progress): Promise<Calibration | undefined> {
  const ctx = createContext({ scenario: s.name, file: opts.file, signal: opts.signal, logPath: opts.logPath, runId: `${runId.slice(0, 4)}ff` });
  activeContexts.add(ctx);
  ctx.log.write(`== calibration: run ${runId}, topology ${ctx.prefix}`);
  progress.update({ relay: 'lab', relayIndex: 0, relayCount: s.relays.length, test: 'calibration', detail: 'generator and direct path, unpaced' });
  try {
    const c = await calibrate(ctx, s, placement, opts.calibrateS ?? 1);
    progress.note(`calibration: generators offer up to ${Math.round(c.generatorPps / 1000)}k pps per stream (${c.tx}), the direct path carries ` +
      `${Math.round(c.directPps / 1000)}k pps (generator ${(c.generatorNsPerPacket / 1000).toFixed(1)} µs, sink ${(c.sinkNsPerPacket / 1000).toFixed(1)} µs per datagram)`);
    for (const w of calibrationWarnings(c, s)) progress.note(w);
    return c;
  } catch (err) {
    if (opts.signal.aborted) throw err;
    progress.note(`note: calibration failed, run goes on without it: ${(err as Error).message.split('\n')[0]}`);
    return undefined;
  } finally {
    await teardown(ctx, ctx.state);
    activeContexts.delete(ctx);
  }
}


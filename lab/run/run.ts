/**
 * The scenario runner: for each relay in the comparison, a fresh topology under its own run id and
 * state record (runs of different relays never share a namespace), the relay's session, then that
 * topology's teardown (also on failure and abort); at the end thresholds and a Results object
 * (lab/results/types.ts), which the CLI writes as results.json and renders as reports.
 */
import { captureEnvironment } from '../environment.js';
import { allPass, evaluateThresholds, type ThresholdSpec } from '../measure/thresholds.js';
import { RESULTS_SCHEMA_VERSION, type RelayName, type Results, type TestResult } from '../results/types.js';
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
import { runRelaySession } from './session.js';

export interface RunOptions {
  file: string;
  projectRoot: string;
  toolVersion: string;
  signal: AbortSignal;
  /** Every command of the run is logged here. */
  logPath: string;
  progress?: boolean;
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
  const placement = planPlacement(s.cpus, onlineCpus(), s.mcrd.workers !== undefined ? { mcrdWorkers: s.mcrd.workers } : {});
  progress.note(`CPU placement: ${describePlacement(placement)}`);
  for (const w of placementProblems(placement, onlineCpus(), s.mcrd.workers !== undefined ? { mcrdWorkers: s.mcrd.workers } : {})) {
    progress.note(`${w.severity}: ${w.path}: ${w.message}`);
  }
  const tests: TestResult[] = [];
  const membership: MembershipTest[] = [];
  const skipped: Results['skipped'] = [];
  let failed = false;

  for (const [i, relay] of s.relays.entries()) {
    opts.signal.throwIfAborted();
    const ctx = createContext({ scenario: s.name, file: opts.file, signal: opts.signal, logPath: opts.logPath, runId: `${runId.slice(0, 4)}${i.toString(16).padStart(2, '0')}` });
    activeContexts.add(ctx);
    ctx.log.write(`== ${relay}: run ${runId}, topology ${ctx.prefix}`);
    try {
      const out = await runRelaySession(ctx, s, runnerFor(relay, opts.projectRoot), progress, i, placement);
      tests.push(...out.tests);
      membership.push(...(out.membership ?? []));
      if (out.skipped) { skipped.push({ relay, reason: out.skipped }); progress.note(`skipped ${out.skipped}`); }
      if (out.failed) { skipped.push({ relay, reason: out.failed }); failed = true; progress.note(`FAILED ${out.failed}`); }
    } finally {
      const report = await teardown(ctx, ctx.state);
      activeContexts.delete(ctx);
      if (report.errors.length > 0) {
        failed = true;
        progress.note(`teardown of ${ctx.prefix} left problems:\n  ${report.errors.join('\n  ')}`);
      }
    }
  }
  progress.done();

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
      ...await environment, placement,
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

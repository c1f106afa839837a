/**
 * One relay's pass of a run: a fresh topology (so no relay inherits MFC entries, socket buffers or
 * bridge state from the one before), the relay started, a short unmeasured warm-up (first-packet
 * costs: MFC upcalls, bridge learning), then one repetition of every test of the scenario, then the
 * relay stopped (run.ts tears the topology down). run.ts calls this once per relay per repetition, the
 * relays taking turns (mcrd, socat, kernel, direct, then again), so drift on a shared machine hits
 * every relay alike (RFC 2544 practice); merge.ts builds the test records from all passes.
 * The run's CPU placement is applied here: RPS masks right after the topology, taskset on the relay
 * and on every generator and sink.
 */
import { throughputSearch } from '../measure/search.js';
import { MAX_P99_NS, MIN_ACHIEVED_RATIO } from '../results/verdict.js';
import type { CpuPlacement, ThroughputRepetition, Trial } from '../results/types.js';
import type { RelayRunner, RelayHandle } from '../runners/types.js';
import type { ResolvedScenario, ResolvedTest } from '../scenario/resolve.js';
import type { RunContext } from '../topology/context.js';
import { addressOf, topologyUp } from '../topology/build.js';
import { rpsUp } from '../topology/rps.js';
import { TrafficToolError } from '../traffic/process.js';
import type { Progress } from './progress.js';
import { runTrial, sendMode, sleep } from './trial.js';
import { loadTraffic } from './traffic-port.js';
import type { MembershipTest } from '../results/membership.js';
import { isRouter, type ResolvedMembershipTest } from '../scenario/resolve-protocols.js';
import { runMembershipTest } from './membership.js';

/** What one test gave in one pass: a trial at a rate, or a whole search. */
export type TestOutcome =
  | { test: ResolvedTest; ratePps: number; trial: Trial }
  | { test: ResolvedTest & { kind: 'throughput' }; search: ThroughputRepetition };

export interface PassOutcome { outcomes: TestOutcome[]; membership?: MembershipTest[]; skipped?: string; failed?: string }

export interface PassInfo {
  /** 1-based position of the relay in the run and how many relays there are, for progress. */
  index: number; count: number;
  /** 1-based repetition and how many there are. */
  rep: number; reps: number;
  /**
   * The rate a latency test's loadFraction applies to: the relay's throughput so far (median over
   * the passes until this one), or the search's floor when it passed nothing.
   */
  latencyBase: (throughputTest: string | undefined, current: TestOutcome[]) => number;
}

export async function runRelayPass(
  ctx: RunContext, s: ResolvedScenario, runner: RelayRunner, progress: Progress, pass: PassInfo, placement: CpuPlacement,
): Promise<PassOutcome> {
  const base = { relay: runner.name, relayIndex: pass.index, relayCount: pass.count };
  const repNote = pass.reps > 1 ? ` (repetition ${pass.rep}/${pass.reps})` : '';
  progress.update({ ...base, test: 'setup', detail: `building topology${repNote}` });
  try {
    await topologyUp(ctx, s);
    if (placement.pinned) await rpsUp(ctx, s, placement);
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    return { outcomes: [], failed: `${runner.name}: topology: ${firstLines(err)}` };
  }
  const skip = await runner.check(ctx, s);
  if (skip) return { outcomes: [], skipped: skip };
  progress.update({ ...base, test: 'setup', detail: `starting ${runner.name}${repNote}` });
  let handle: RelayHandle;
  try {
    handle = await runner.start(ctx, s, placement.pinned ? { relayCpus: placement.relay, trafficCpus: placement.traffic } : {});
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    return { outcomes: [], failed: `${runner.name}: failed to start: ${firstLines(err)}` };
  }
  const plan = runner.plan(s);
  const outcomes: TestOutcome[] = [];
  const membership: MembershipTest[] = [];
  try {
    await warmUp(ctx, s, plan, placement);
    for (const t of s.tests.filter((x) => pass.rep <= x.repetitions)) {
      if (t.kind === 'membership') {
        // Join/leave cycles are timed against one clock at the receiver, not loaded against a rate:
        // all their repetitions run in the first pass.
        if (pass.rep > 1) continue;
        // verify refuses these; --relays can still ask for them after it ran.
        if (!isRouter(runner.name)) { progress.note(`note: ${runner.name} does not route by membership: ${t.name} not run for it`); continue; }
        membership.push(await runMembershipTest(ctx, s, t, runner.name, handle, placement, (rep) =>
          progress.update({ ...base, test: t.name, detail: `rep ${rep}/${t.repetitions}: ${t.cycles} join/leave cycles @ ${t.ratePps.toLocaleString('en-US')} pps` })));
        continue;
      }
      let warned = false;
      const trial = async (pps: number): Promise<Trial> => {
        progress.update({ ...base, test: t.name, detail: `rep ${pass.rep}/${t.repetitions} @ ${Math.round(pps).toLocaleString('en-US')} pps` });
        const result = await trialOnce(ctx, s, plan, handle, { offeredPps: Math.round(pps), durationS: t.durationS }, placement, progress, runner.name, t.name);
        // A relay that died would otherwise show up as 100 % loss, indistinguishable from overload.
        const dead = handle.problem();
        if (dead) throw new Error(`relay died during ${t.name}: ${dead}`);
        if (!warned && result.achievedPps < MIN_ACHIEVED_RATIO * result.offeredPps) {
          warned = true;
          progress.note(`note: ${runner.name} ${t.name}: the generator reached ${Math.round(result.achievedPps).toLocaleString('en-US')} of ` +
            `${result.offeredPps.toLocaleString('en-US')} pps offered; such trials measure the generator, not the relay (see mcr-lab calibrate)`);
        }
        return result;
      };
      outcomes.push(await runTestOnce(t, trial, (name) => pass.latencyBase(name, outcomes)));
    }
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    return { outcomes, membership, failed: `${runner.name}: ${firstLines(err)}` };
  } finally {
    await handle.stop();
  }
  return { outcomes, membership };
}

async function runTestOnce(t: Exclude<ResolvedTest, ResolvedMembershipTest>, trial: (pps: number) => Promise<Trial>, latencyBase: (name: string | undefined) => number): Promise<TestOutcome> {
  switch (t.kind) {
    case 'fixed-rate':
      return { test: t, ratePps: t.ratePps, trial: await trial(t.ratePps) };
    case 'throughput': {
      const found = await throughputSearch(trial, {
        minPps: t.minPps, maxPps: t.maxPps, lossTolerance: t.lossTolerance, resolutionPps: t.resolutionPps, maxSteps: t.maxSteps,
        minAchievedRatio: MIN_ACHIEVED_RATIO, maxP99Ns: MAX_P99_NS,
      });
      return { test: t, search: { throughputPps: found.throughputPps, steps: found.steps, bracket: found.bracket } };
    }
    case 'latency': {
      const rate = t.ratePps ?? Math.max(1, Math.round((t.loadFraction ?? 1) * latencyBase(t.throughputTest)));
      return { test: t, ratePps: rate, trial: await trial(rate) };
    }
  }
}

/**
 * One trial; a sink too slow to stop leaves no report, a lab hiccup, not the relay's fault: run it
 * once more, and report a second such failure as the tool's, not the relay's.
 */
async function trialOnce(
  ctx: RunContext, s: ResolvedScenario, plan: ReturnType<RelayRunner['plan']>, handle: RelayHandle,
  spec: { offeredPps: number; durationS: number }, placement: CpuPlacement, progress: Progress, relay: string, test: string,
): Promise<Trial> {
  try {
    return await runTrial(ctx, s, plan, handle, spec, placement);
  } catch (err) {
    if (!isSlowToolStop(err) || ctx.signal.aborted) throw err;
    progress.note(`note: ${relay} ${test}: ${firstLine(err)}; repeating the trial`);
    try {
      return await runTrial(ctx, s, plan, handle, spec, placement);
    } catch (again) {
      if (isSlowToolStop(again)) throw new Error(`lab traffic tool, not ${relay}: ${firstLine(again)}`);
      throw again;
    }
  }
}

/** A traffic tool SIGKILLed because it did not end within its stop grace period. */
export function isSlowToolStop(err: unknown): boolean {
  return err instanceof TrafficToolError && err.isForcefullyTerminated && !err.isCanceled;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}

function firstLines(err: unknown): string {
  return (err as Error).message.split('\n').slice(0, 3).join(' ');
}

/** 200 unmeasured datagrams per generator, then a pause for them to drain. */
async function warmUp(ctx: RunContext, s: ResolvedScenario, plan: ReturnType<RelayRunner['plan']>, placement: CpuPlacement): Promise<void> {
  const traffic = await loadTraffic(ctx.log);
  await Promise.all(plan.generators.map((g) => {
    const bind = addressOf(s, g.host, g.interface);
    return traffic.runGenerator({
      netns: ctx.ns(g.host), interface: g.interface, dst: g.dst, ...(bind ? { bind } : {}), ratePps: 2000, count: 200,
      ...(placement.pinned ? { cpus: placement.traffic } : {}),
      payloadBytes: s.streams[0]!.payloadBytes, ttl: s.streams[0]!.ttl, signal: ctx.signal, ...sendMode(s, g.dst.length),
    });
  }));
  await sleep(200, ctx.signal);
}

/**
 * One relay's part of a run: a fresh topology (so no relay inherits MFC entries, socket buffers or
 * bridge state from the one before), the relay started, a short unmeasured warm-up (first-packet
 * costs: MFC upcalls, bridge learning), then every test of the scenario, then teardown of the topology.
 * The run's CPU placement is applied here: RPS masks right after the topology, taskset on the relay
 * and on every generator and sink.
 */
import { throughputSearch } from '../measure/search.js';
import { fixedRateTest, latencyTest, throughputTest } from '../measure/stats.js';
import type { RelayName, TestResult, Trial } from '../results/types.js';
import type { RelayRunner, RelayHandle } from '../runners/types.js';
import type { ResolvedScenario, ResolvedTest } from '../scenario/resolve.js';
import type { RunContext } from '../topology/context.js';
import { topologyUp } from '../topology/build.js';
import type { Progress } from './progress.js';
import { runTrial, sendMode, sleep } from './trial.js';
import { loadTraffic } from './traffic-port.js';
import { addressOf } from '../topology/build.js';
import { rpsUp } from '../topology/rps.js';
import type { CpuPlacement } from '../results/types.js';
import { TrafficToolError } from '../traffic/process.js';
import type { MembershipTest } from '../results/membership.js';
import { isRouter, type ResolvedMembershipTest } from '../scenario/resolve-protocols.js';
import { runMembershipTest } from './membership.js';

export interface SessionOutcome { tests: TestResult[]; membership?: MembershipTest[]; skipped?: string; failed?: string }

export async function runRelaySession(
  ctx: RunContext, s: ResolvedScenario, runner: RelayRunner, progress: Progress, index: number, placement: CpuPlacement,
): Promise<SessionOutcome> {
  const base = { relay: runner.name, relayIndex: index + 1, relayCount: s.relays.length };
  progress.update({ ...base, test: 'setup', detail: 'building topology' });
  try {
    await topologyUp(ctx, s);
    if (placement.pinned) await rpsUp(ctx, s, placement);
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    return { tests: [], failed: `${runner.name}: topology: ${(err as Error).message.split('\n').slice(0, 3).join(' ')}` };
  }
  const skip = await runner.check(ctx, s);
  if (skip) return { tests: [], skipped: skip };
  progress.update({ ...base, test: 'setup', detail: `starting ${runner.name}` });
  let handle: RelayHandle;
  try {
    handle = await runner.start(ctx, s, placement.pinned ? { relayCpus: placement.relay, trafficCpus: placement.traffic } : {});
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    return { tests: [], failed: `${runner.name}: failed to start: ${(err as Error).message.split('\n').slice(0, 3).join(' ')}` };
  }
  const plan = runner.plan(s);
  const tests: TestResult[] = [];
  const membership: MembershipTest[] = [];
  try {
    await warmUp(ctx, s, plan, placement);
    for (const t of s.tests) {
      if (t.kind === 'membership') {
        // verify refuses these; --relays can still ask for them after it ran.
        if (!isRouter(runner.name)) { progress.note(`note: ${runner.name} does not route by membership: ${t.name} not run for it`); continue; }
        membership.push(await runMembershipTest(ctx, s, t, runner.name, handle, placement, (rep) =>
          progress.update({ ...base, test: t.name, detail: `rep ${rep}/${t.repetitions}: ${t.cycles} join/leave cycles @ ${t.ratePps.toLocaleString('en-US')} pps` })));
        continue;
      }
      let warned = false;
      const trial = async (pps: number, rep: number) => {
        progress.update({ ...base, test: t.name, detail: `rep ${rep}/${t.repetitions} @ ${Math.round(pps).toLocaleString('en-US')} pps` });
        const spec = { offeredPps: Math.round(pps), durationS: t.durationS };
        let result: Trial;
        try {
          result = await runTrial(ctx, s, plan, handle, spec, placement);
        } catch (err) {
          // A sink that was too slow to stop left no report: a lab hiccup, not the relay's fault. Run the
          // trial again once; a second failure is reported as the tool's, not as the relay's.
          if (!isSlowToolStop(err) || ctx.signal.aborted) throw err;
          progress.note(`note: ${runner.name} ${t.name}: ${firstLine(err)}; repeating the trial`);
          try {
            result = await runTrial(ctx, s, plan, handle, spec, placement);
          } catch (again) {
            if (isSlowToolStop(again)) throw new Error(`lab traffic tool, not ${runner.name}: ${firstLine(again)}`);
            throw again;
          }
        }
        // A relay that died would otherwise show up as 100 % loss, indistinguishable from overload.
        const dead = handle.problem();
        if (dead) throw new Error(`relay died during ${t.name}: ${dead}`);
        if (!warned && result.achievedPps < 0.9 * result.offeredPps) {
          warned = true;
          progress.note(`note: ${runner.name} ${t.name}: the generator reached ${Math.round(result.achievedPps).toLocaleString('en-US')} of ${result.offeredPps.toLocaleString('en-US')} pps offered; rates above that measure the generator, not the relay`);
        }
        return result;
      };
      tests.push(await runTest(t, runner.name, trial, tests, s.tests));
    }
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    return { tests, membership, failed: `${runner.name}: ${(err as Error).message.split('\n').slice(0, 3).join(' ')}` };
  } finally {
    await handle.stop();
  }
  return { tests, membership };
}

async function runTest(
  t: Exclude<ResolvedTest, ResolvedMembershipTest>, relay: RelayName, trial: (pps: number, rep: number) => Promise<Trial>, done: TestResult[], all: ResolvedTest[],
): Promise<TestResult> {
  const floorOf = (name: string | undefined) => {
    const spec = all.find((x) => x.name === name);
    return spec?.kind === 'throughput' ? spec.minPps : 1;
  };
  switch (t.kind) {
    case 'fixed-rate': {
      const trials: Trial[] = [];
      for (let r = 1; r <= t.repetitions; r++) trials.push(await trial(t.ratePps, r));
      return fixedRateTest(t.name, relay, t.ratePps, trials);
    }
    case 'throughput': {
      const reps: Array<{ throughputPps: number; steps: Trial[] }> = [];
      for (let r = 1; r <= t.repetitions; r++) {
        const found = await throughputSearch((pps) => trial(pps, r), {
          minPps: t.minPps, maxPps: t.maxPps, lossTolerance: t.lossTolerance, resolutionPps: t.resolutionPps, maxSteps: t.maxSteps,
        });
        reps.push({ throughputPps: creditedThroughput(found.throughputPps, found.steps, t.lossTolerance), steps: found.steps });
      }
      return throughputTest(t.name, relay, t.lossTolerance, reps);
    }
    case 'latency': {
      let rate = t.ratePps;
      if (rate === undefined) {
        const ref = done.find((x) => x.kind === 'throughput' && (t.throughputTest === undefined || x.name === t.throughputTest));
        const tp = ref?.kind === 'throughput' ? ref.summary.throughputPps.median : 0;
        // A relay that passed no rate at all is measured at the fraction of the search's floor instead.
        rate = Math.max(1, Math.round((t.loadFraction ?? 1) * (tp > 0 ? tp : floorOf(ref?.name))));
      }
      const trials: Trial[] = [];
      for (let r = 1; r <= t.repetitions; r++) trials.push(await trial(rate, r));
      return latencyTest(t.name, relay, rate, t.loadFraction, trials);
    }
  }
}

/**
 * A pass only proves the rate that was actually offered: when the generator fell short in the passing
 * trial by more than 2 % (a busy machine), the throughput credited is what it achieved there, never
 * the rate asked for.
 */
export function creditedThroughput(throughputPps: number, steps: Trial[], lossTolerance: number): number {
  const passing = steps.filter((x) => x.offeredPps === throughputPps && x.lossRatio <= lossTolerance);
  if (passing.length === 0) return throughputPps;
  const best = Math.max(...passing.map((x) => x.achievedPps));
  // Within 2 % is pacing granularity (a 1 s trial ends a batch early), not a generator that fell behind.
  return best >= 0.98 * throughputPps ? throughputPps : Math.round(best);
}

/** A traffic tool SIGKILLed because it did not end within its stop grace period. */
export function isSlowToolStop(err: unknown): boolean {
  return err instanceof TrafficToolError && err.isForcefullyTerminated && !err.isCanceled;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
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

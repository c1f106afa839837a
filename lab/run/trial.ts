/**
 * One trial: sinks up (one mcr-sink per host and interface, all its groups), relay CPU time and the
 * relay cores' busy time read, generators run for the trial's duration, a settle pause for packets
 * still in flight, both read again, sinks stopped, and everything turned into a Trial
 * (lab/measure/trial.ts). With a CPU placement, generators and sinks run pinned to the traffic CPUs.
 */
import { buildTrial, type SinkListenLike } from '../measure/trial.js';
import { readCpuNs, readUserCpuNs, treePids } from '../measure/cpu.js';
import { busyNsBetween, kernelNsBetween, readCpuTimes } from '../measure/cores.js';
import type { CpuPlacement, Trial } from '../results/types.js';
import type { RelayHandle, TrafficPlan } from '../runners/types.js';
import type { ResolvedScenario } from '../scenario/resolve.js';
import { addressOf } from '../topology/build.js';
import type { RunContext } from '../topology/context.js';
import type { GenReport, SinkListen } from '../traffic/reports.js';
import { loadTraffic, type SinkHandle } from './traffic-port.js';
import { perStreamAchievedPps } from './achieved.js';

export interface TrialSpec { offeredPps: number; durationS: number }

export async function runTrial(
  ctx: RunContext, s: ResolvedScenario, plan: TrafficPlan, relay: RelayHandle, spec: TrialSpec, placement?: CpuPlacement,
): Promise<Trial> {
  const pin = placement?.pinned ? { cpus: placement.traffic } : {};
  const traffic = await loadTraffic(ctx.log);
  const groups = groupSinks(plan);
  const sinks: SinkHandle[] = [];
  try {
    for (const g of groups) {
      sinks.push(await traffic.startSink({
        netns: ctx.ns(g.host), interface: g.interface, listen: g.listens.map((l) => `${l.group}:${l.port}`),
        durationS: spec.durationS + s.settleS + 30, signal: ctx.signal, ...pin,
      }));
    }
  } catch (err) {
    await Promise.allSettled(sinks.map((h) => h.stop()));
    throw err;
  }
  const measuredPids = relay.pids.length > 0 ? treePids(relay.pids) : [];
  const cpu0 = measuredPids.length > 0 ? readCpuNs(measuredPids) : 0;
  const user0 = measuredPids.length > 0 ? readUserCpuNs(measuredPids) : 0;
  const cores0 = placement?.pinned ? readCpuTimes() : undefined;
  let gens: GenReport[];
  try {
    gens = await Promise.all(plan.generators.map((g) => {
      const stream = s.streams.find((st) => st.name === g.streamName)!;
      const bind = addressOf(s, g.host, g.interface);
      return traffic.runGenerator({
        netns: ctx.ns(g.host), interface: g.interface, dst: g.dst, ...(bind ? { bind } : {}),
        ratePps: Math.max(1, Math.round(spec.offeredPps * g.rateFactor)), durationS: spec.durationS,
        payloadBytes: stream.payloadBytes, ttl: stream.ttl, signal: ctx.signal, ...pin, ...sendMode(s, g.dst.length),
      });
    }));
    await sleep(s.settleS * 1000, ctx.signal);
  } catch (err) {
    await Promise.allSettled(sinks.map((h) => h.stop()));
    throw err;
  }
  // Re-read the tree: workers started during the trial count too; exited ones are in the parent's cutime.
  const pids1 = measuredPids.length > 0 ? treePids(relay.pids) : [];
  const cpu1 = pids1.length > 0 ? readCpuNs(pids1) : 0;
  const user1 = pids1.length > 0 ? readUserCpuNs(pids1) : 0;
  const cores1 = cores0 ? readCpuTimes() : undefined;
  const coreBusyNs = cores0 && cores1 && placement ? busyNsBetween(cores0, cores1, placement.relay) : undefined;
  const coreKernelNs = cores0 && cores1 && placement ? kernelNsBetween(cores0, cores1, placement.relay) : undefined;
  const reports = await Promise.all(sinks.map((h) => h.stop()));

  const listens: SinkListenLike[] = [];
  const names: string[] = [];
  for (const sp of plan.sinks) {
    const gi = groups.findIndex((g) => g.host === sp.host && g.interface === sp.interface);
    const rep = reports[gi]!.listens.find((l: SinkListen) => l.group === sp.group && l.port === sp.port);
    const expected = expectedFor(plan, gens, sp.stream, `${sp.group}:${sp.port}`);
    names.push(sp.output);
    listens.push({
      group: sp.group, port: sp.port, expected,
      received: rep?.received ?? 0, duplicates: rep?.duplicates ?? 0, reordered: rep?.reordered ?? 0,
      late: rep?.late ?? 0, payloadErrors: rep?.payloadErrors ?? 0,
      ...(rep?.latencyNs ? { latencyNs: { p50: rep.latencyNs.p50, p90: rep.latencyNs.p90, p99: rep.latencyNs.p99, p999: rep.latencyNs.p999, max: rep.latencyNs.max } } : {}),
    });
  }
  const sent = gens.reduce((a, g) => a + g.sent, 0);
  return buildTrial({
    offeredPps: spec.offeredPps, payloadBytes: s.streams[0]!.payloadBytes, durationS: spec.durationS,
    gen: { sent, achievedPps: perStreamAchievedPps(plan.generators.map((g, i) => ({ ...g, achievedPps: gens[i]!.achievedPps }))) },
    sinks: listens, outputNames: names,
    ...(relay.pids.length > 0 ? { relayCpuNs: Math.max(0, cpu1 - cpu0) } : {}),
    ...(coreBusyNs !== undefined ? { relayCoreBusyNs: coreBusyNs } : {}),
    ...(coreKernelNs !== undefined ? { relayCoreKernelNs: coreKernelNs, relayUserNs: Math.max(0, user1 - user0) } : {}),
  });
}

/** Datagrams sent that this output should have received: its own dst's count, or its stream's total. */
function expectedFor(plan: TrafficPlan, gens: GenReport[], stream: string, dst: string): number {
  let total = 0;
  for (let i = 0; i < plan.generators.length; i++) {
    const g = plan.generators[i]!;
    if (g.streamName !== stream) continue;
    const rep = gens[i]!;
    const own = rep.streams.find((x) => x.dst === dst);
    if (own && g.dst.length > 1) return own.sent;
    total += rep.sent;
  }
  return total;
}

/**
 * mcr-gen's --tx/--threads from the scenario's `traffic`, only when not the defaults. Threads are
 * capped at the generator's destinations: mcr-gen never splits a stream over threads.
 */
export function sendMode(s: Pick<ResolvedScenario, 'generator'>, destinations: number): { tx?: 'packet'; threads?: number } {
  const threads = Math.min(s.generator.threads, Math.max(1, destinations));
  return { ...(s.generator.tx === 'packet' ? { tx: 'packet' as const } : {}), ...(threads > 1 ? { threads } : {}) };
}

interface SinkGroup { host: string; interface: string; listens: Array<{ group: string; port: number }> }

function groupSinks(plan: TrafficPlan): SinkGroup[] {
  const out: SinkGroup[] = [];
  for (const sp of plan.sinks) {
    let g = out.find((x) => x.host === sp.host && x.interface === sp.interface);
    if (!g) out.push(g = { host: sp.host, interface: sp.interface, listens: [] });
    if (!g.listens.some((l) => l.group === sp.group && l.port === sp.port)) g.listens.push({ group: sp.group, port: sp.port });
  }
  return out;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) { reject(signal.reason as Error); return; }
    const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = () => { clearTimeout(t); reject(signal!.reason as Error); };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

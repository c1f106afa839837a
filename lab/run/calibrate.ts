/**
 * The lab measuring itself: how fast can the generators offer traffic to a relay on this machine, and
 * how much can the traffic core carry when generator and sink share it (the direct path), so a run
 * can say when a scenario asks for rates the machine cannot measure. `mcr-lab calibrate` prints it;
 * `mcr-lab run` does a short one first, records it (environment.calibration) and warns.
 *
 *   generator   mcr-gen unpaced (--rate 0) from each stream's source to its input group, nothing
 *               relaying it (the relay host receives and drops it on the relay CPU, as placed)
 *   direct      mcr-gen unpaced on the relay host into the sinks, generator and sink sharing the
 *               traffic CPUs: the most the lab's own end of the path carries
 *
 * Covered by calibrate.test.ts (the arithmetic and the warnings) and lab/e2e/calibrate.e2e.test.ts.
 */
import type { Calibration, CpuPlacement } from '../results/types.js';
import { directPlan } from '../runners/direct.js';
import { relayedPlan, type GeneratorPlan } from '../runners/types.js';
import type { ResolvedScenario } from '../scenario/resolve.js';
import { addressOf, topologyUp } from '../topology/build.js';
import type { RunContext } from '../topology/context.js';
import { rpsUp } from '../topology/rps.js';
import type { GenReport } from '../traffic/reports.js';
import { perStreamAchievedPps } from './achieved.js';
import { sendMode, sleep } from './trial.js';
import { loadTraffic } from './traffic-port.js';

/** Builds the scenario's topology in `ctx` (the caller tears it down) and measures the generators and the direct path. */
export async function calibrate(ctx: RunContext, s: ResolvedScenario, placement: CpuPlacement, durationS: number): Promise<Calibration> {
  await topologyUp(ctx, s);
  if (placement.pinned) await rpsUp(ctx, s, placement);
  const traffic = await loadTraffic(ctx.log);
  const pin = placement.pinned ? { cpus: placement.traffic } : {};
  const send = (g: GeneratorPlan): Promise<GenReport> => {
    const bind = addressOf(s, g.host, g.interface);
    return traffic.runGenerator({
      netns: ctx.ns(g.host), interface: g.interface, dst: g.dst, ...(bind ? { bind } : {}), ratePps: 0, durationS,
      payloadBytes: s.streams[0]!.payloadBytes, ttl: s.streams[0]!.ttl, signal: ctx.signal, ...pin, ...sendMode(s, g.dst.length),
    });
  };

  const offered = relayedPlan(s).generators;
  const gen = await Promise.all(offered.map(send));
  const generatorPps = perStreamAchievedPps(offered.map((g, i) => ({ ...g, achievedPps: gen[i]!.achievedPps })));

  const direct = directPlan(s);
  const sinks = [];
  for (const host of new Set(direct.sinks.map((x) => `${x.host}\0${x.interface}`))) {
    const [h, ifname] = host.split('\0') as [string, string];
    const listen = [...new Set(direct.sinks.filter((x) => x.host === h && x.interface === ifname).map((x) => `${x.group}:${x.port}`))];
    sinks.push(await traffic.startSink({ netns: ctx.ns(h), interface: ifname, listen, durationS: durationS + 30, signal: ctx.signal, ...pin }));
  }
  let reports;
  let dgen: GenReport[];
  try {
    dgen = await Promise.all(direct.generators.map(send));
    await sleep(s.settleS * 1000, ctx.signal);
  } finally {
    reports = await Promise.all(sinks.map((x) => x.stop()));
  }
  const listens = reports.flatMap((r) => r.listens);
  // Per stream and output, as the relays' figures are: the worst listen's arrivals per second.
  const directPps = Math.min(...listens.map((l) => l.received)) / durationS;
  const sent = dgen.reduce((n, g) => n + g.sent, 0);
  const received = listens.reduce((n, l) => n + l.received, 0);
  return {
    durationS, tx: s.generator.tx,
    generatorPps: Math.round(generatorPps),
    generatorNsPerPacket: Math.round(gen.reduce((n, g) => n + g.cpuNs, 0) / Math.max(1, gen.reduce((n, g) => n + g.sent, 0))),
    directPps: Math.round(directPps),
    directLoss: sent === 0 ? 1 : Math.max(0, 1 - received / sent),
    sinkNsPerPacket: Math.round(reports.reduce((n, r) => n + r.cpuNs, 0) / Math.max(1, received)),
  };
}

/** The highest rate per stream this machine can measure: what the generators offer, and what the direct path delivers. */
export function measurableCeiling(c: Calibration): number {
  return Math.min(c.generatorPps, c.directPps);
}

/**
 * Warnings for tests asking for more than the machine can measure: a throughput search whose top rate
 * is above the ceiling (its top probes will be generator-limited or lose in the lab's own path) and
 * fixed rates above it.
 */
export function calibrationWarnings(c: Calibration, s: Pick<ResolvedScenario, 'tests'>): string[] {
  const ceiling = measurableCeiling(c);
  const k = (pps: number): string => `${Math.round(pps / 1000)}k pps`;
  const where = `this machine's generators offer at most ${k(c.generatorPps)} and the direct path (generator and sink sharing the traffic CPUs) carries ${k(c.directPps)}`;
  const out: string[] = [];
  for (const t of s.tests) {
    if (t.kind === 'throughput' && t.maxPps > ceiling) {
      out.push(`warning: ${t.name} searches up to ${k(t.maxPps)} but ${where}: a relay faster than ${k(ceiling)} is measured as generator-limited (≥), not as its figure`);
    } else if (t.kind === 'fixed-rate' && t.ratePps > ceiling) {
      out.push(`warning: ${t.name} offers ${k(t.ratePps)} but ${where}: that test measures the lab, not the relay`);
    }
  }
  return out;
}

/**
 * Per-file measurements the performance ratios are built from: a relay's highest rate with < 0.1 %
 * loss, its latency at a rate, its CPU cost per packet at a rate, fan-out total output.
 *
 * Each extractor returns either a value with a short note of where it came from, or the reason it
 * could not be found (relay skipped, test absent), so a missing metric says why.
 * Covered by ci/compare.test.ts.
 */
import type { FixedRateTest, LatencyTest, RelayName, Results, ThroughputTest, Trial } from '../lab/results/types.js';

/**
 * Whether a value is exact or only bounds the truth: `lower` = the true value is at least this (a
 * throughput search whose top rate passed), `upper` = at most this, `unknown` = built from bounds
 * pointing different ways (a floor divided by a floor), so it says nothing for sure.
 */
export type Bound = 'lower' | 'upper' | 'unknown';

/** A number found in a results file (with where it came from), or why it is not there. */
export type Found = { ok: true; value: number; note: string; bound?: Bound } | { ok: false; reason: string };

/** Loss the throughput targets allow ("highest rate with < 0.1 % loss"). */
export const THROUGHPUT_LOSS = 0.001;

const found = (value: number, note: string, bound?: Bound): Found => ({ ok: true, value, note, ...(bound && { bound }) });
const notFound = (reason: string): Found => ({ ok: false, reason });

export function median(values: number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function skippedReason(r: Results, relay: RelayName): string | undefined {
  const skip = r.skipped.find((s) => s.relay === relay);
  if (skip) return `${relay} skipped in ${r.scenario.name}: ${skip.reason}`;
  if (!r.relays.includes(relay)) return `${relay} not run in ${r.scenario.name}`;
  return undefined;
}

const sameRate = (a: number, b: number): boolean => Math.abs(a - b) <= 0.01 * Math.max(a, b);
const kpps = (pps: number): string => `${(pps / 1000).toFixed(pps < 10_000 ? 1 : 0)}k pps`;

/** The relay's throughput test: the one named "throughput" if there are several. */
export function throughputTestOf(r: Results, relay: RelayName): ThroughputTest | undefined {
  const tp = r.tests.filter((t): t is ThroughputTest => t.kind === 'throughput' && t.relay === relay);
  return tp.find((t) => t.name === 'throughput') ?? tp[0];
}

/**
 * A relay's highest rate with < 0.1 % loss: the median of its throughput test, else the highest
 * fixed rate whose median loss stays within THROUGHPUT_LOSS.
 */
export function throughputPps(r: Results, relay: RelayName): Found {
  const skip = skippedReason(r, relay);
  if (skip) return notFound(skip);
  const chosen = throughputTestOf(r, relay);
  if (chosen) {
    const mid = chosen.summary.throughputPps.median;
    const reached = generatorReached(chosen);
    if (reached !== undefined) {
      return found(reached, `${relay} ${chosen.name} ${kpps(reached)} (the generator reached only that of ${kpps(mid)} offered: a lower bound)`, 'lower');
    }
    const capped = searchCapped(chosen);
    return found(mid, `${relay} ${chosen.name} median ${kpps(mid)}${capped ? ' (search ceiling reached: a lower bound)' : ''}`, capped ? 'lower' : undefined);
  }
  const clean = fixedRate(r, relay).filter((t) => t.summary.lossRatio.median <= THROUGHPUT_LOSS);
  if (clean.length === 0) return notFound(`no throughput test (or fixed rate with < 0.1 % loss) for ${relay} in ${r.scenario.name}`);
  const best = clean.reduce((a, b) => (b.offeredPps > a.offeredPps ? b : a));
  return found(best.offeredPps, `${relay} fixed ${kpps(best.offeredPps)} with loss ${best.summary.lossRatio.median}`);
}

/**
 * The lowest rate a relay's throughput search offered, when the search found no passing rate at all
 * (the lab then reports 0): its real throughput is somewhere below this.
 */
export function throughputCeiling(r: Results, relay: RelayName): number | undefined {
  const t = throughputTestOf(r, relay);
  if (!t || t.summary.throughputPps.median > 0) return undefined;
  const offered = t.repetitions.flatMap((x) => x.steps.map((s) => s.offeredPps));
  return offered.length ? Math.min(...offered) : undefined;
}

/** Below this share of the offered rate, a trial measured the generator rather than the relay. */
export const GENERATOR_SHORTFALL = 0.95;

/**
 * When the generator could not send the rate the search reports (its passing step achieved less than
 * GENERATOR_SHORTFALL of what was offered), the median rate it did send: the relay kept up with all of
 * it, so that is what is known. Undefined when the generator kept up.
 */
export function generatorReached(t: ThroughputTest): number | undefined {
  const achieved = t.repetitions.map((rep) => {
    const step = rep.steps.find((x) => sameRate(x.offeredPps, rep.throughputPps));
    return step ? Math.min(step.achievedPps, step.offeredPps) : rep.throughputPps;
  });
  if (achieved.length === 0) return undefined;
  const m = median(achieved);
  return m < GENERATOR_SHORTFALL * t.summary.throughputPps.median ? m : undefined;
}

/** Whether a search's highest offered step passed, so it never found the relay's limit and its figure is a floor. */
export function searchCapped(t: ThroughputTest): boolean {
  return t.repetitions.some((r) => r.steps.length > 0 && r.throughputPps >= Math.max(...r.steps.map((x) => x.offeredPps)));
}

function fixedRate(r: Results, relay: RelayName): FixedRateTest[] {
  return r.tests.filter((t): t is FixedRateTest => t.kind === 'fixed-rate' && t.relay === relay);
}

function outputsOf(trials: Trial[]): number {
  return trials.reduce((n, t) => Math.max(n, t.outputs.length), 0);
}

/**
 * Fan-out: total output rate (input rate × outputs) at the relay's highest input rate where every
 * output stays within 0.1 % loss.
 */
export function fanoutOutputPps(r: Results, relay: RelayName): Found {
  const input = throughputPps(r, relay);
  if (!input.ok) return input;
  const trials = r.tests.flatMap((t) => (t.relay !== relay ? [] : t.kind === 'throughput' ? t.repetitions.flatMap((x) => x.steps) : t.repetitions));
  const outputs = outputsOf(trials);
  if (outputs === 0) return notFound(`no trial of ${relay} in ${r.scenario.name} lists its outputs`);
  return found(input.value * outputs, `${input.note} × ${outputs} outputs`, input.ok ? input.bound : undefined);
}

/** One latency or CPU observation at one offered rate, with the test it came from. */
export interface AtRate { offeredPps: number; value: number; test: string }

export function latencyAt(r: Results, relay: RelayName, pct: 'p50' | 'p99'): AtRate[] {
  // Dedicated latency tests first: they are what "latency at the test's rate" means in the issue.
  const lat = r.tests
    .filter((t): t is LatencyTest => t.kind === 'latency' && t.relay === relay)
    .map((t) => ({ offeredPps: t.offeredPps, value: (pct === 'p50' ? t.summary.p50Ns : t.summary.p99Ns).median, test: t.name }));
  const fixed = fixedRate(r, relay).flatMap((t) => {
    const s = pct === 'p50' ? t.summary.latencyP50Ns : t.summary.latencyP99Ns;
    return s ? [{ offeredPps: t.offeredPps, value: s.median, test: t.name }] : [];
  });
  return [...lat, ...fixed];
}

export function cpuAt(r: Results, relay: RelayName): AtRate[] {
  const fixed = fixedRate(r, relay).flatMap((t) => {
    const s = t.summary.relayCpuNsPerPacket;
    return s ? [{ offeredPps: t.offeredPps, value: s.median, test: t.name }] : [];
  });
  const lat = r.tests.filter((t): t is LatencyTest => t.kind === 'latency' && t.relay === relay).flatMap((t) => {
    const per = t.repetitions.flatMap((x) => (x.relayCpuNsPerPacket === undefined ? [] : [x.relayCpuNsPerPacket]));
    return per.length ? [{ offeredPps: t.offeredPps, value: median(per), test: t.name }] : [];
  });
  return [...fixed, ...lat];
}

/**
 * The rate the issue states latency and CPU targets at. Of the rates both relays were measured at,
 * the one nearest to it is used, so a scenario's 5k and 50k fixed-rate tests pick 50k.
 */
export const REFERENCE_PPS = 50_000;

/** The observation nearest REFERENCE_PPS (the first of equals), or undefined for none. */
export function nearestReference(list: AtRate[]): AtRate | undefined {
  return list.reduce<AtRate | undefined>((best, x) =>
    (!best || Math.abs(x.offeredPps - REFERENCE_PPS) < Math.abs(best.offeredPps - REFERENCE_PPS) ? x : best), undefined);
}

/**
 * An observation of `a` and one of `b` at the same offered rate (within 1 %): the pair nearest to
 * REFERENCE_PPS; on a tie, the earlier in `a` (latency tests come before fixed-rate ones).
 */
function pairAtSameRate(a: AtRate[], b: AtRate[]): [AtRate, AtRate] | undefined {
  let best: [AtRate, AtRate] | undefined;
  for (const x of a) {
    const y = b.find((o) => sameRate(o.offeredPps, x.offeredPps));
    if (!y) continue;
    if (!best || Math.abs(x.offeredPps - REFERENCE_PPS) < Math.abs(best[0].offeredPps - REFERENCE_PPS)) best = [x, y];
  }
  return best;
}

/** Latency added by `relay` over `direct` at the same offered rate, in µs (median of repetitions). */
export function latencyAddedUs(r: Results, relay: RelayName, pct: 'p50' | 'p99'): Found {
  for (const who of [relay, 'direct'] as const) {
    const skip = skippedReason(r, who);
    if (skip) return notFound(skip);
  }
  const pair = pairAtSameRate(latencyAt(r, relay, pct), latencyAt(r, 'direct', pct));
  if (!pair) return notFound(`no ${pct} latency of ${relay} and direct at the same rate in ${r.scenario.name}`);
  const [mine, base] = pair;
  const us = (ns: number): string => `${(ns / 1000).toFixed(1)} µs`;
  return found((mine.value - base.value) / 1000, `${relay} ${us(mine.value)} − direct ${us(base.value)} at ${kpps(mine.offeredPps)}`);
}

/** CPU per forwarded packet of `a` over that of `b`, measured at the same offered rate. */
export function cpuPerPacketRatio(r: Results, a: RelayName, b: RelayName): Found {
  for (const who of [a, b]) {
    const skip = skippedReason(r, who);
    if (skip) return notFound(skip);
  }
  const pair = pairAtSameRate(cpuAt(r, a), cpuAt(r, b));
  if (!pair) return notFound(`no CPU-per-packet figures of ${a} and ${b} at the same rate in ${r.scenario.name}`);
  const [x, y] = pair;
  if (y.value <= 0) return notFound(`${b} CPU per packet is ${y.value} ns in ${r.scenario.name}`);
  return found(x.value / y.value, `${a} ${x.value.toFixed(0)} ns / ${b} ${y.value.toFixed(0)} ns per packet at ${kpps(x.offeredPps)}`);
}

/** The rate at which socat loses half in the chain (issue 4), where mcrd must lose nothing. */
export const LOSS_CHECK_PPS = 150_000;

/** A relay's median worst-output loss ratio in a fixed-rate test at `pps` (within 1 %). */
export function lossAt(r: Results, relay: RelayName, pps: number): Found {
  const skip = skippedReason(r, relay);
  if (skip) return notFound(skip);
  const t = fixedRate(r, relay).find((x) => sameRate(x.offeredPps, pps));
  if (!t) return notFound(`no fixed-rate test of ${relay} at ${kpps(pps)} in ${r.scenario.name} (add one to the scenario)`);
  return found(t.summary.lossRatio.median, `${relay} ${t.name}: loss ${t.summary.lossRatio.median} of ${t.repetitions.length} repetition(s)`);
}

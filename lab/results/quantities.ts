/**
 * Per-file measurements the performance ratios are built from: a relay's highest rate with < 0.1 %
 * loss, its latency at a rate, its CPU cost per packet at a rate, fan-out total output.
 *
 * Each extractor returns either a value with a short note of where it came from, or the reason it
 * could not be found (relay skipped, test absent), so a missing metric says why.
 * Covered by ci/compare.test.ts.
 */
import type { FixedRateTest, LatencyTest, RelayName, Results, Summary, TestResult, ThroughputTest, Trial } from './types.js';
import { MIN_ACHIEVED_RATIO } from './verdict.js';
import { formatFigure, median, ratioOfIntervals, ratioValue, throughputFigure } from './figures.js';

export { median };

/**
 * Whether a value is exact or only bounds the truth: `lower` = the true value is at least this (a
 * throughput search whose top rate passed), `upper` = at most this, `unknown` = built from bounds
 * pointing different ways (a floor divided by a floor), so it says nothing for sure.
 */
export type Bound = 'lower' | 'upper' | 'unknown';

/**
 * A number found in a results file (with where it came from), or why it is not there. `at`: a short
 * qualifier the bench table prints next to the value (`at 121k pps (latency)`). `range`: the interval
 * the truth lies in when only that is known (a search bracket, a ratio of brackets): `value` is then
 * its middle and `bound` 'unknown'. `unstable`: the repetitions behind it spread more than
 * figures.ts UNSTABLE_SPREAD.
 */
export type Found =
  | { ok: true; value: number; note: string; bound?: Bound; at?: string; range?: [number, number]; unstable?: boolean }
  | { ok: false; reason: string };

/** Loss the issue's throughput targets allow ("highest rate with < 0.1 % loss"). */
export const THROUGHPUT_LOSS = 0.001;

const found = (value: number, note: string, bound?: Bound): Extract<Found, { ok: true }> => ({ ok: true, value, note, ...(bound && { bound }) });
const notFound = (reason: string): Found => ({ ok: false, reason });

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
 * A relay's throughput: its throughput test's figure (lab/results/figures.ts), else the highest fixed
 * rate whose median loss stays within THROUGHPUT_LOSS. A figure that is only a bound or a bracket says
 * so (`bound`, `range`); a generator-limited one is not found: it measured the generator.
 */
export function throughputPps(r: Results, relay: RelayName): Found {
  const skip = skippedReason(r, relay);
  if (skip) return notFound(skip);
  const chosen = throughputTestOf(r, relay);
  if (chosen) {
    const f = throughputFigure(chosen);
    const text = `${relay} ${chosen.name} ${formatFigure(f, kpps)}`;
    if (f.generatorLimited) return notFound(`${text}: the generator could not offer more, so this measured the generator, not ${relay} (see mcr-lab calibrate)`);
    const unstable = f.unstable ? { unstable: true } : {};
    switch (f.kind) {
      case 'resolved': return { ...found(f.value, text), ...unstable };
      case 'at-least': return { ...found(f.low, `${text} (nothing failed: a lower bound)`, 'lower'), ...unstable };
      case 'below': return { ...found(f.high ?? 0, `${text} (even the lowest rate failed: an upper bound)`, 'upper'), ...unstable };
      case 'bracket': return { ...found(f.low, `${text} (search bracket wider than its ${kpps(f.resolutionPps)} resolution)`, 'unknown'), range: [f.low, f.high!], ...unstable };
    }
  }
  const clean = fixedRate(r, relay).filter((t) => t.summary.lossRatio.median <= THROUGHPUT_LOSS);
  if (clean.length === 0) return notFound(`no throughput test (or fixed rate with < 0.1 % loss) for ${relay} in ${r.scenario.name}`);
  const best = clean.reduce((a, b) => (b.offeredPps > a.offeredPps ? b : a));
  return found(best.offeredPps, `${relay} fixed ${kpps(best.offeredPps)} with loss ${best.summary.lossRatio.median}`);
}

/** The interval a Found value stands for: [v, v], or open on the side its bound leaves open, or its range. */
export function intervalOf(f: Extract<Found, { ok: true }>): [number, number] {
  if (f.range) return f.range;
  if (f.bound === 'lower') return [f.value, Infinity];
  if (f.bound === 'upper') return [0, f.value];
  if (f.bound === 'unknown') return [0, Infinity];
  return [f.value, f.value];
}

/**
 * a / b with what both know (figures.ts ratioOfIntervals): a value from two exact figures, a range
 * from brackets, a bound from bounds, nothing when the bounds say nothing.
 */
export function ratioFound(a: Found, b: Found): Found {
  if (!a.ok) return a;
  if (!b.ok) return b;
  const r = ratioOfIntervals(intervalOf(a), intervalOf(b), Boolean(a.unstable || b.unstable));
  const note = `${a.note} / ${b.note}`;
  const unstable = a.unstable || b.unstable ? { unstable: true } : {};
  switch (r.kind) {
    case 'none': return notFound(`${r.reason} (${note})`);
    case 'value': return { ...found(r.value, note), ...unstable };
    case 'at-least': return { ...found(r.value, note, 'lower'), ...unstable };
    case 'at-most': return { ...found(r.value, note, 'upper'), ...unstable };
    case 'range': return { ...found(ratioValue(r)!, note, 'unknown'), range: [r.low, r.high], ...unstable };
  }
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
export interface AtRate {
  offeredPps: number; value: number; test: string;
  /** Median over repetitions of what the generator sent and of the worst output's loss (coreAt fills them). */
  achievedPps?: number; loss?: number;
}

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

/** A latency summary with data of a fixed-rate or latency test (p50 or p99), if it has one. */
function latencyOf(t: TestResult, which: 'p50' | 'p99'): Summary | undefined {
  const s = t.kind === 'fixed-rate' ? (which === 'p50' ? t.summary.latencyP50Ns : t.summary.latencyP99Ns)
    : t.kind === 'latency' ? (which === 'p50' ? t.summary.p50Ns : t.summary.p99Ns) : undefined;
  return s && s.n > 0 ? s : undefined;
}

/**
 * Latency a relay's test adds over `direct`'s test of the same name (medians, ns): only where both
 * were offered the same rate (within 1 %), else null, like every added-latency figure (the report's
 * tables and latencyAddedUs below).
 */
export function addedLatency(r: Results, t: TestResult): { p50: number | null; p99: number | null } {
  const d = r.tests.find((x) => x.kind === t.kind && x.name === t.name && x.relay === 'direct');
  const rate = (x: TestResult): number | undefined => (x.kind === 'throughput' ? undefined : x.offeredPps);
  const comparable = d !== undefined && rate(t) !== undefined && rate(d) !== undefined && sameRate(rate(t)!, rate(d)!);
  const diff = (w: 'p50' | 'p99'): number | null => {
    const a = latencyOf(t, w);
    const b = comparable ? latencyOf(d, w) : undefined;
    return a && b ? a.median - b.median : null;
  };
  return { p50: diff('p50'), p99: diff('p99') };
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

/**
 * Relay-core ns per forwarded packet (issue 4's efficiency target: the busy time of the relay's core,
 * measured the same way for every relay, kernel forwarding included), by offered rate: fixed-rate
 * tests, then latency tests. Empty for results of a lab without CPU placement.
 */
export function coreAt(r: Results, relay: RelayName): AtRate[] {
  const load = (trials: Trial[]): Pick<AtRate, 'achievedPps' | 'loss'> => (trials.length === 0 ? {} : {
    achievedPps: median(trials.map((x) => x.achievedPps)), loss: median(trials.map((x) => x.lossRatio)),
  });
  const fixed = fixedRate(r, relay).flatMap((t) => {
    const s = t.summary.relayCoreNsPerPacket;
    return s ? [{ offeredPps: t.offeredPps, value: s.median, test: t.name, ...load(t.repetitions) }] : [];
  });
  const lat = r.tests.filter((t): t is LatencyTest => t.kind === 'latency' && t.relay === relay).flatMap((t) => {
    const per = t.repetitions.flatMap((x) => (x.relayCoreNsPerPacket === undefined ? [] : [x.relayCoreNsPerPacket]));
    return per.length ? [{ offeredPps: t.offeredPps, value: median(per), test: t.name, ...load(t.repetitions) }] : [];
  });
  return [...fixed, ...lat];
}

/** Two trials ran at the same load when what their generators sent is within 10 %. */
const SAME_LOAD = 0.9;

/**
 * Relay-core CPU per forwarded packet of `a` over `b` at one offered rate both were measured at:
 * `pps` when given (within 1 %), else the common rate nearest REFERENCE_PPS. Per-packet costs fall
 * with the rate (fixed costs spread over more packets), so when the generators of the two tests sent
 * rates more than 10 % apart (one fell short on a busy machine) no ratio is given.
 * A relay that lost more than 0.1 % there was overloaded; the note says so.
 */
export function coreRatio(r: Results, a: RelayName, b: RelayName, pps?: number): Found {
  for (const who of [a, b]) {
    const skip = skippedReason(r, who);
    if (skip) return notFound(skip);
  }
  const at = (list: AtRate[]): AtRate[] => (pps === undefined ? list : list.filter((x) => sameRate(x.offeredPps, pps)));
  const pair = pairAtSameRate(at(coreAt(r, a)), at(coreAt(r, b)));
  const where = pps === undefined ? 'at the same rate' : `at ${kpps(pps)}`;
  if (!pair) {
    const have = (who: RelayName): string => (coreAt(r, who).length ? 'measured' : 'absent');
    return notFound(`no relay-core CPU per packet of ${a} and ${b} ${where} in ${r.scenario.name} (${a} ${have(a)}, ${b} ${have(b)}; ` +
      'the lab records relayCoreNsPerPacket per fixed-rate test)');
  }
  const [x, y] = pair;
  if (x.achievedPps !== undefined && y.achievedPps !== undefined && Math.min(x.achievedPps, y.achievedPps) < SAME_LOAD * Math.max(x.achievedPps, y.achievedPps)) {
    return notFound(`not the same load: the generator sent ${kpps(x.achievedPps)} in ${a}'s ${x.test} test and ${kpps(y.achievedPps)} in ${b}'s ` +
      `(${kpps(x.offeredPps)} offered, ${r.scenario.name})`);
  }
  if (y.value <= 0) return notFound(`${b} relay-core CPU per packet is ${y.value} ns in ${r.scenario.name}`);
  const over = [[a, x], [b, y]].flatMap(([who, o]) => {
    const v = o as AtRate;
    return v.loss !== undefined && v.loss > THROUGHPUT_LOSS ? [`${String(who)} lost ${(v.loss * 100).toFixed(1)} %`] : [];
  });
  return {
    ok: true, value: x.value / y.value,
    note: `${a} ${x.value.toFixed(0)} ns / ${b} ${y.value.toFixed(0)} ns of relay-core busy time per packet at ${kpps(x.offeredPps)}` +
      (over.length ? ` (overloaded: ${over.join(', ')})` : ''),
    ...(over.length > 0 && { at: `(${over.join(', ')}: overloaded)` }),
  };
}

/**
 * Issue 4's "no multi-millisecond queues below the throughput rate": the worst p99 latency (µs) of
 * `relay` over every fixed-rate and latency test it ran at an offered rate below its own measured
 * throughput in this run. Each test's p99 is the worst output's p99, median over repetitions.
 * A throughput that is only a floor (search ceiling reached) still bounds: tests below it are below
 * the real rate too.
 */
export function worstP99BelowThroughputUs(r: Results, relay: RelayName): Found {
  const skip = skippedReason(r, relay);
  if (skip) return notFound(skip);
  const tp = throughputPps(r, relay);
  if (!tp.ok) return notFound(`${relay} has no throughput in ${r.scenario.name} to compare rates with (${tp.reason})`);
  const below = latencyAt(r, relay, 'p99').filter((x) => x.offeredPps < tp.value);
  if (below.length === 0) return notFound(`no ${relay} test with p99 latency below its throughput ${kpps(tp.value)} in ${r.scenario.name}`);
  const worst = below.reduce((a, b) => (b.value > a.value ? b : a));
  const ms = (ns: number): string => (ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : `${(ns / 1000).toFixed(0)} µs`);
  return {
    ok: true, value: worst.value / 1000,
    note: `${relay} ${worst.test} p99 ${ms(worst.value)} at ${kpps(worst.offeredPps)} (worst of ${below.length} ` +
      `test(s) below its throughput ${kpps(tp.value)}: ${below.map((x) => `${x.test} ${ms(x.value)}`).join(', ')})`,
    at: `at ${kpps(worst.offeredPps)} (${worst.test}; throughput ${kpps(tp.value)})`,
  };
}

/** How many outputs (streams) a relay's trials carry: a multi-stream scenario's rates are per stream. */
export function streamsOf(r: Results, relay: RelayName): number {
  const trials = r.tests.flatMap((t) => (t.relay !== relay ? [] : t.kind === 'throughput' ? t.repetitions.flatMap((x) => x.steps) : t.repetitions));
  return outputsOf(trials);
}

/**
 * Total zero-loss throughput of a scenario with one output per stream (scenarios/scaling.yaml). The
 * lab runs one generator per stream at the offered rate, so a step offers offeredPps × streams in all,
 * and records achievedPps summed over the generators: the total is what the passing step's
 * generators achieved, at most what was offered. When they fell short (below MIN_ACHIEVED_RATIO of
 * the offer) the relay carried all they could send, so the figure is a floor; likewise when the
 * search found no fail. Median over repetitions.
 */
export function totalThroughputPps(r: Results, relay: RelayName): Found {
  const skip = skippedReason(r, relay);
  if (skip) return notFound(skip);
  const t = throughputTestOf(r, relay);
  if (!t) return notFound(`no throughput test for ${relay} in ${r.scenario.name}`);
  const n = streamsOf(r, relay);
  if (n === 0) return notFound(`no trial of ${relay} in ${r.scenario.name} lists its outputs`);
  let short = false;
  const totals = t.repetitions.map((rep) => {
    const pass = rep.steps.filter((x) => sameRate(x.offeredPps, rep.throughputPps) && x.lossRatio <= t.lossTolerance);
    if (rep.throughputPps <= 0 || pass.length === 0) return 0;
    const offered = rep.throughputPps * n;
    const achieved = Math.min(offered, Math.max(...pass.map((x) => x.achievedPps)));
    if (achieved < MIN_ACHIEVED_RATIO * offered) short = true;
    return achieved;
  });
  const total = median(totals);
  if (total <= 0) return notFound(`${relay} passed no rate of its throughput search in ${r.scenario.name}`);
  const capped = throughputFigure(t).kind === 'at-least';
  const why = short ? ' (the generators sent less than offered and it carried all of it: a lower bound)'
    : capped ? ' (search ceiling reached: a lower bound)' : '';
  return found(total, `${relay} ${kpps(total)} in total over ${n} streams at ${kpps(median(t.repetitions.map((x) => x.throughputPps)))} offered per stream${why}`,
    short || capped ? 'lower' : undefined);
}

/**
 * The most a relay forwarded in any trial, summed over every output (RFC 2285's maximum forwarding
 * rate): what it carries when overloaded, whatever it dropped. Less sensitive than the zero-loss
 * throughput to a generator that cannot reach the offered rate.
 */
export function maxForwardingPps(r: Results, relay: RelayName): Found {
  const skip = skippedReason(r, relay);
  if (skip) return notFound(skip);
  const trials = r.tests.flatMap((t) => (t.relay !== relay ? [] : t.kind === 'throughput' ? t.repetitions.flatMap((x) => x.steps) : t.repetitions));
  if (trials.length === 0) return notFound(`no trial of ${relay} in ${r.scenario.name}`);
  const best = trials.reduce((a, b) => (b.deliveredPps > a.deliveredPps ? b : a));
  return found(best.deliveredPps, `${relay} delivered ${kpps(best.deliveredPps)} in total with ${kpps(best.achievedPps)} sent ` +
    `(${kpps(best.offeredPps)} offered per stream, loss ${(best.lossRatio * 100).toFixed(1)} % on the worst stream)`);
}

/** Duplicates and reordered datagrams summed over every output (stream) of every trial of `relay`. */
export function duplicatesAndReordered(r: Results, relay: RelayName): Found {
  const skip = skippedReason(r, relay);
  if (skip) return notFound(skip);
  const trials = r.tests.flatMap((t) => (t.relay !== relay ? [] : t.kind === 'throughput' ? t.repetitions.flatMap((x) => x.steps) : t.repetitions));
  if (trials.length === 0) return notFound(`no trial of ${relay} in ${r.scenario.name}`);
  let dup = 0;
  let reo = 0;
  for (const t of trials) for (const o of t.outputs) { dup += o.duplicates; reo += o.reordered; }
  const received = trials.reduce((n, t) => n + t.outputs.reduce((m, o) => m + o.received, 0), 0);
  return found(dup + reo, `${relay}: ${dup} duplicate(s), ${reo} reordered over ${trials.length} trial(s), ${streamsOf(r, relay)} streams, ${received} datagrams received`);
}

/**
 * A relay's worst p99 over every fixed-rate and latency test of a run, whatever the throughput: for
 * the latency suite (bench/latency.ts), whose rates (10k, 50k pps) are all well below any relay's
 * throughput in the placed chain run, so a queue here is one "below the throughput rate".
 */
export function worstP99Us(r: Results, relay: RelayName): Found {
  const skip = skippedReason(r, relay);
  if (skip) return notFound(skip);
  const all = latencyAt(r, relay, 'p99');
  if (all.length === 0) return notFound(`no ${relay} test with a p99 latency in ${r.scenario.name}`);
  const worst = all.reduce((a, b) => (b.value > a.value ? b : a));
  const ms = (ns: number): string => (ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : `${(ns / 1000).toFixed(0)} µs`);
  return {
    ok: true, value: worst.value / 1000,
    note: `${relay} ${worst.test} p99 ${ms(worst.value)} at ${kpps(worst.offeredPps)} (worst of ${all.map((x) => `${x.test} ${ms(x.value)}`).join(', ')})`,
    at: `at ${kpps(worst.offeredPps)} (${worst.test})`,
  };
}

/** Relay process CPU per forwarded packet (median of repetitions) at `pps` (within 1 %), in ns. */
export function processCpuAt(r: Results, relay: RelayName, pps: number): Found {
  const skip = skippedReason(r, relay);
  if (skip) return notFound(skip);
  const x = cpuAt(r, relay).find((c) => sameRate(c.offeredPps, pps));
  if (!x) return notFound(`no process CPU figure of ${relay} at ${kpps(pps)} in ${r.scenario.name}`);
  return found(x.value, `${relay} ${x.test}: ${(x.value / 1000).toFixed(1)} µs process CPU per packet`);
}

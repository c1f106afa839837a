/**
 * Statistics over repetitions and the builders that turn raw trials into the test records of
 * results.json (lab/results/types.ts). Every summary is median, min and max over repetitions, as the
 * issue asks; spread is shown, never averaged away. Covered by stats.test.ts.
 */
import type {
  FixedRateTest, LatencyNs, LatencyTest, RelayName, Summary, ThroughputRepetition, ThroughputTest, Trial,
} from '../results/types.js';

/**
 * Median, min, max, count and the quartiles (q1, q3: percentile() below) of a list of numbers.
 * The median of an even count is the mean of the middle two.
 * @throws RangeError on an empty list or a non-finite value (a summary of nothing would be a lie).
 */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new RangeError('summarize: no values to summarize (need at least one repetition)');
  for (const [i, v] of values.entries()) {
    if (!Number.isFinite(v)) throw new RangeError(`summarize: value [${i}] is ${String(v)}, expected a finite number`);
  }
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const mid = Math.floor(n / 2);
  const median = n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[n - 1]!, n, q1: percentile(sorted, 25), q3: percentile(sorted, 75) };
}

/**
 * The p-th percentile (0..100) by linear interpolation between closest ranks (the "type 7" rule of
 * R and NumPy's default), so percentile(v, 50) equals the median.
 * @throws RangeError on an empty list or p outside 0..100.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new RangeError('percentile: no values');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile: p must be within 0..100, got ${String(p)}`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const frac = rank - lo;
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * frac;
}

/** Percentiles the lab reports for latency, computed from raw samples (ns). */
export function latencyPercentiles(samplesNs: readonly number[]): LatencyNs {
  return {
    p50: percentile(samplesNs, 50),
    p90: percentile(samplesNs, 90),
    p99: percentile(samplesNs, 99),
    p999: percentile(samplesNs, 99.9),
    max: Math.max(...samplesNs),
  };
}

/**
 * A trial's latency is that of its worst output (highest value per percentile), matching how the
 * trial's lossRatio is the worst output's: a fan-out is as good as its slowest leg.
 * Undefined when no output received anything.
 */
export function trialLatency(t: Trial): LatencyNs | undefined {
  const lat = t.outputs.map((o) => o.latencyNs).filter((l): l is LatencyNs => l !== undefined);
  if (lat.length === 0) return undefined;
  return {
    p50: Math.max(...lat.map((l) => l.p50)),
    p90: Math.max(...lat.map((l) => l.p90)),
    p99: Math.max(...lat.map((l) => l.p99)),
    p999: Math.max(...lat.map((l) => l.p999)),
    max: Math.max(...lat.map((l) => l.max)),
  };
}

/** Summary over the repetitions that have the value; undefined when none has it. */
function summarizeSome(values: ReadonlyArray<number | undefined>): Summary | undefined {
  const present = values.filter((v): v is number => v !== undefined);
  return present.length === 0 ? undefined : summarize(present);
}

function requireTrials(what: string, name: string, relay: RelayName, n: number): void {
  if (n === 0) throw new RangeError(`${what} "${name}" for ${relay}: no repetitions to summarize`);
}

/** Fixed-rate test record: loss, delivered rate, latency and relay CPU per packet over repetitions. */
export function fixedRateTest(name: string, relay: RelayName, offeredPps: number, trials: Trial[]): FixedRateTest {
  requireTrials('fixed-rate test', name, relay, trials.length);
  const lat = trials.map(trialLatency);
  const summary: FixedRateTest['summary'] = {
    lossRatio: summarize(trials.map((t) => t.lossRatio)),
    deliveredPps: summarize(trials.map((t) => t.deliveredPps)),
  };
  const p50 = summarizeSome(lat.map((l) => l?.p50));
  const p99 = summarizeSome(lat.map((l) => l?.p99));
  const cpu = summarizeSome(trials.map((t) => t.relayCpuNsPerPacket));
  if (p50) summary.latencyP50Ns = p50;
  if (p99) summary.latencyP99Ns = p99;
  if (cpu) summary.relayCpuNsPerPacket = cpu;
  const core = summarizeSome(trials.map((t) => t.relayCoreNsPerPacket));
  if (core) summary.relayCoreNsPerPacket = core;
  const own = summarizeSome(trials.map((t) => t.relayCoreOwnNsPerPacket));
  if (own) summary.relayCoreOwnNsPerPacket = own;
  return { kind: 'fixed-rate', name, relay, offeredPps, repetitions: trials, summary };
}

/** Throughput test record: one search result per repetition, summarized by throughputPps; `search` says how it ran. */
export function throughputTest(
  name: string, relay: RelayName, lossTolerance: number, reps: ThroughputRepetition[], search?: ThroughputTest['search'],
): ThroughputTest {
  requireTrials('throughput test', name, relay, reps.length);
  return {
    kind: 'throughput', name, relay, lossTolerance, ...(search && { search }), repetitions: reps,
    summary: { throughputPps: summarize(reps.map((r) => r.throughputPps)) },
  };
}

const EMPTY: Summary = { median: 0, min: 0, max: 0, n: 0 };

/**
 * Latency test record. Percentiles come from the worst output of each repetition. Repetitions in which
 * nothing arrived have no latency; if none had any (e.g. socat with an unroutable source) every
 * summary has n = 0 and zeros, which reports render as "no data" rather than as 0 ns.
 */
export function latencyTest(
  name: string, relay: RelayName, offeredPps: number, loadFraction: number | undefined, trials: Trial[],
): LatencyTest {
  requireTrials('latency test', name, relay, trials.length);
  const lat = trials.map(trialLatency);
  const pick = (k: keyof LatencyNs): Summary => summarizeSome(lat.map((l) => l?.[k])) ?? { ...EMPTY };
  const test: LatencyTest = {
    kind: 'latency', name, relay, offeredPps, repetitions: trials,
    summary: { p50Ns: pick('p50'), p90Ns: pick('p90'), p99Ns: pick('p99'), p999Ns: pick('p999'), maxNs: pick('max') },
  };
  if (loadFraction !== undefined) test.loadFraction = loadFraction;
  return test;
}

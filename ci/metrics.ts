/**
 * The performance metrics of issue 4, as ratios so that they hold across machines: mcrd against the
 * kernel and socat measured side by side in one lab run, fan-out against mcrd's own 1:1 rate, latency
 * added over the bare path, CPU per packet against the kernel's.
 *
 * Input is any number of results.json files; a scenario is recognised by its name (or its file name),
 * and several files of one scenario (repeated runs) are combined by their median.
 * Covered by ci/compare.test.ts.
 */
import { basename, extname } from 'node:path';
import type { LoadedResults } from './results-file.js';
import {
  cpuPerPacketRatio, fanoutOutputPps, latencyAddedUs, LOSS_CHECK_PPS, lossAt, median, throughputCeiling, throughputPps, type Bound, type Found,
} from './quantities.js';
import type { RelayName, Results } from '../lab/results/types.js';

export type Direction = 'higher-is-better' | 'lower-is-better';

export interface MetricDef {
  id: string;
  title: string;
  unit: 'ratio' | 'µs' | 'loss';
  direction: Direction;
  /** The target, as a value of this metric. */
  target: number;
  /** Relative tolerance a fresh baseline gets; see docs/performance.md for why these widths. */
  defaultTolerance: number;
  /** Whether a fresh baseline fails the job when this metric cannot be computed. */
  defaultRequired: boolean;
  /** --update-baseline never records less than this (a loss of 0 would make any lost packet fail). */
  baselineFloor?: number;
  compute(files: LoadedResults[]): Found;
}

/** A metric as measured in this run. */
export interface Measured { def: MetricDef; found: Found }

export const SCENARIOS = { chain: 'chain', dualBridge: 'dual-bridge', fanout: 'fanout-50' } as const;

function scenarioMatches(r: Results, key: string): boolean {
  return r.scenario.name === key || basename(r.scenario.file, extname(r.scenario.file)) === key;
}

function filesOf(files: LoadedResults[], key: string): Results[] {
  return files.filter((f) => scenarioMatches(f.results, key)).map((f) => f.results);
}

/** Applies `per` to every file of a scenario and takes the median of what was found. */
function perFile(files: LoadedResults[], key: string, per: (r: Results) => Found): Found {
  const runs = filesOf(files, key);
  if (runs.length === 0) return { ok: false, reason: `no results for scenario ${key}` };
  const all = runs.map(per);
  const ok = all.filter((f): f is Extract<Found, { ok: true }> => f.ok);
  if (ok.length === 0) return all[0]!;
  const note = ok.length > 1 ? `median of ${ok.length} runs; first: ${ok[0]!.note}` : ok[0]!.note;
  // A median over runs keeps a bound only when every run has the same one.
  const bounds = new Set(ok.map((f) => f.bound));
  const bound = bounds.size === 1 ? ok[0]!.bound : 'unknown';
  return { ok: true, value: median(ok.map((f) => f.value)), note, ...(bound && { bound }) };
}

const FLIP: Record<Bound, Bound> = { lower: 'upper', upper: 'lower', unknown: 'unknown' };

/** The bound of a / b: a lower numerator or an upper divisor bounds it from below, and so on. */
function ratioBound(a: Bound | undefined, b: Bound | undefined): Bound | undefined {
  const fromB = b && FLIP[b];
  if (!a) return fromB;
  if (!fromB) return a;
  return a === fromB ? a : 'unknown';
}

function ratio(a: Found, b: Found): Found {
  if (!a.ok) return a;
  if (!b.ok) return b;
  if (b.value <= 0) return { ok: false, reason: `divisor is ${b.value} (${b.note})` };
  const bound = ratioBound(a.bound, b.bound);
  return { ok: true, value: a.value / b.value, note: `${a.note} / ${b.note}`, ...(bound && { bound }) };
}

/**
 * mcrd's throughput over another relay's. When the other relay lost too much even at the search's
 * lowest rate (throughput 0), that rate stands in for it: the ratio is then a lower bound, which is
 * what a "≥ 4 × socat" target needs, rather than a division by zero.
 */
function throughputRatio(key: string, a: RelayName, b: RelayName): MetricDef['compute'] {
  return (files) => perFile(files, key, (r) => {
    const divisor = throughputPps(r, b);
    const ceiling = throughputCeiling(r, b);
    if (!divisor.ok || divisor.value > 0 || ceiling === undefined) return ratio(throughputPps(r, a), divisor);
    return ratio(throughputPps(r, a), { ok: true, value: ceiling, bound: 'upper', note: `${b} < ${ceiling} pps (lost > 0.1 % even at the search's lowest rate)` });
  });
}

export const METRICS: MetricDef[] = [
  {
    id: 'chain.throughput.mcrd/kernel', title: 'Chain throughput, mcrd / kernel', unit: 'ratio',
    direction: 'higher-is-better', target: 0.85, defaultTolerance: 0.25, defaultRequired: false,
    compute: throughputRatio(SCENARIOS.chain, 'mcrd', 'kernel'),
  },
  {
    id: 'chain.throughput.mcrd/socat', title: 'Chain throughput, mcrd / socat', unit: 'ratio',
    direction: 'higher-is-better', target: 4, defaultTolerance: 0.25, defaultRequired: true,
    compute: throughputRatio(SCENARIOS.chain, 'mcrd', 'socat'),
  },
  {
    id: 'dual-bridge.throughput.mcrd/kernel', title: 'Dual-bridge throughput, mcrd / kernel', unit: 'ratio',
    direction: 'higher-is-better', target: 0.85, defaultTolerance: 0.25, defaultRequired: false,
    compute: throughputRatio(SCENARIOS.dualBridge, 'mcrd', 'kernel'),
  },
  {
    id: 'dual-bridge.throughput.mcrd/socat', title: 'Dual-bridge throughput, mcrd / socat', unit: 'ratio',
    direction: 'higher-is-better', target: 4, defaultTolerance: 0.25, defaultRequired: true,
    compute: throughputRatio(SCENARIOS.dualBridge, 'mcrd', 'socat'),
  },
  {
    id: 'fanout-50.output/chain', title: 'Fan-out 1→50 total output / mcrd 1:1 chain rate', unit: 'ratio',
    direction: 'higher-is-better', target: 0.9, defaultTolerance: 0.25, defaultRequired: true,
    // Medians taken per scenario first: the two scenarios are separate lab runs, not one side-by-side run.
    compute: (files) => ratio(
      perFile(files, SCENARIOS.fanout, (r) => fanoutOutputPps(r, 'mcrd')),
      perFile(files, SCENARIOS.chain, (r) => throughputPps(r, 'mcrd')),
    ),
  },
  {
    id: 'chain.latency.p50-added', title: 'Chain p50 latency added by mcrd (vs direct)', unit: 'µs',
    direction: 'lower-is-better', target: 20, defaultTolerance: 1, defaultRequired: true,
    compute: (files) => perFile(files, SCENARIOS.chain, (r) => latencyAddedUs(r, 'mcrd', 'p50')),
  },
  {
    id: 'chain.latency.p99-added', title: 'Chain p99 latency added by mcrd (vs direct)', unit: 'µs',
    direction: 'lower-is-better', target: 200, defaultTolerance: 1, defaultRequired: true,
    compute: (files) => perFile(files, SCENARIOS.chain, (r) => latencyAddedUs(r, 'mcrd', 'p99')),
  },
  {
    // Target: zero loss. The baseline allows 0.1 % (0.05 % + 100 %): one late burst on a shared VM
    // should not fail CI, a relay that cannot keep up at this rate loses far more. Being relative,
    // the tolerance also keeps 0 loss from reading as "improved" against a non-zero baseline.
    id: 'chain.loss-at-150k.mcrd', title: 'Chain loss of mcrd at 150k pps', unit: 'loss',
    direction: 'lower-is-better', target: 0, defaultTolerance: 1, defaultRequired: false, baselineFloor: 0.0005,
    compute: (files) => perFile(files, SCENARIOS.chain, (r) => lossAt(r, 'mcrd', LOSS_CHECK_PPS)),
  },
  {
    id: 'chain.cpu-per-packet.mcrd/kernel', title: 'Chain CPU per packet, mcrd / kernel', unit: 'ratio',
    direction: 'lower-is-better', target: 1.3, defaultTolerance: 0.3, defaultRequired: false,
    compute: (files) => perFile(files, SCENARIOS.chain, (r) => cpuPerPacketRatio(r, 'mcrd', 'kernel')),
  },
];

/** Computes every metric of METRICS from the given results files. */
export function measure(files: LoadedResults[]): Measured[] {
  return METRICS.map((def) => ({ def, found: def.compute(files) }));
}

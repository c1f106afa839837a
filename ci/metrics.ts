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
import { cpuPerPacketRatio, fanoutOutputPps, latencyAddedUs, median, throughputPps, type Found } from './quantities.js';
import type { RelayName, Results } from '../lab/results/types.js';

export type Direction = 'higher-is-better' | 'lower-is-better';

export interface MetricDef {
  id: string;
  title: string;
  unit: 'ratio' | 'µs';
  direction: Direction;
  /** The target, as a value of this metric. */
  target: number;
  /** Relative tolerance a fresh baseline gets; see docs/performance.md for why these widths. */
  defaultTolerance: number;
  /** Whether a fresh baseline fails the job when this metric cannot be computed. */
  defaultRequired: boolean;
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
  return { ok: true, value: median(ok.map((f) => f.value)), note };
}

function ratio(a: Found, b: Found): Found {
  if (!a.ok) return a;
  if (!b.ok) return b;
  if (b.value <= 0) return { ok: false, reason: `divisor is ${b.value} (${b.note})` };
  return { ok: true, value: a.value / b.value, note: `${a.note} / ${b.note}` };
}

function throughputRatio(key: string, a: RelayName, b: RelayName): MetricDef['compute'] {
  return (files) => perFile(files, key, (r) => ratio(throughputPps(r, a), throughputPps(r, b)));
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
    id: 'chain.cpu-per-packet.mcrd/kernel', title: 'Chain CPU per packet, mcrd / kernel', unit: 'ratio',
    direction: 'lower-is-better', target: 1.3, defaultTolerance: 0.3, defaultRequired: false,
    compute: (files) => perFile(files, SCENARIOS.chain, (r) => cpuPerPacketRatio(r, 'mcrd', 'kernel')),
  },
];

/** Computes every metric of METRICS from the given results files. */
export function measure(files: LoadedResults[]): Measured[] {
  return METRICS.map((def) => ({ def, found: def.compute(files) }));
}

/**
 * The macro half of `npm run bench`: chain, dual-bridge and fanout-50 through mcr-lab with mcrd,
 * socat, kernel forwarding and direct in one run each, reduced to the key numbers per relay and the
 * issue-4 ratios with their targets. Covered by bench/table.test.ts (on ci/ fixtures).
 */
import { measure } from '../ci/metrics.js';
import {
  cpuAt, latencyAt, nearestReference, throughputCeiling, throughputPps, throughputTestOf, type Bound, type Found,
} from '../ci/quantities.js';
import type { LoadedResults } from '../ci/results-file.js';
import type { RelayName, Results } from '../lab/results/types.js';

export const RELAYS: RelayName[] = ['direct', 'kernel', 'socat', 'mcrd'];

export interface RelayNumbers {
  relay: RelayName;
  /** Highest rate with < 0.1 % loss (input rate for fan-out). */
  throughputPps: number | null;
  throughputRange?: [number, number];
  /** The relay kept up with all that was offered (search ceiling, or a generator that fell short): throughputPps is a floor. */
  throughputCapped?: boolean;
  /** No searched rate passed (throughput 0): the lowest rate tried, which the real figure is below. */
  throughputBelow?: number;
  latencyP50Us: number | null;
  latencyP99Us: number | null;
  latencyPps: number | null;
  cpuNsPerPacket: number | null;
  /** Why the relay has no numbers, when it was skipped. */
  skipped?: string;
}

export interface ScenarioNumbers {
  scenario: string;
  file: string;
  outputs: number;
  quick: boolean;
  relays: RelayNumbers[];
}

export interface RatioRow {
  id: string; title: string; unit: string; value: number | null; target: number; direction: string; met: boolean | null; note: string;
  /** When value only bounds the truth (a search hit its top rate, or found nothing). */
  bound?: Bound;
}

export interface MacroSummary { scenarios: ScenarioNumbers[]; ratios: RatioRow[] }

const val = (f: Found): number | null => (f.ok ? f.value : null);

/** Latency at the rate nearest the 50k pps reference, the rate the latency targets use. */
function latencyOf(r: Results, relay: RelayName): Pick<RelayNumbers, 'latencyP50Us' | 'latencyP99Us' | 'latencyPps'> {
  const p50 = nearestReference(latencyAt(r, relay, 'p50'));
  if (!p50) return { latencyP50Us: null, latencyP99Us: null, latencyPps: null };
  const p99 = latencyAt(r, relay, 'p99').find((x) => x.test === p50.test);
  return { latencyP50Us: p50.value / 1000, latencyP99Us: p99 ? p99.value / 1000 : null, latencyPps: p50.offeredPps };
}

/** CPU per packet at the rate nearest 50k pps: at low rates fixed per-wakeup costs dominate. */
function cpuOf(r: Results, relay: RelayName): number | null {
  return nearestReference(cpuAt(r, relay))?.value ?? null;
}

/** Key numbers of one scenario's results, one row per relay in RELAYS order. */
export function scenarioNumbers(r: Results): ScenarioNumbers {
  const outputs = r.tests.reduce((n, t) => {
    const trials = t.kind === 'throughput' ? t.repetitions.flatMap((x) => x.steps) : t.repetitions;
    return trials.reduce((m, x) => Math.max(m, x.outputs.length), n);
  }, 0);
  const relays = RELAYS.map((relay): RelayNumbers => {
    const skip = r.skipped.find((s) => s.relay === relay);
    const tp = throughputPps(r, relay);
    const tpTest = throughputTestOf(r, relay);
    const below = throughputCeiling(r, relay);
    return {
      relay,
      throughputPps: val(tp),
      ...(below !== undefined && { throughputBelow: below }),
      ...(tpTest && { throughputRange: [tpTest.summary.throughputPps.min, tpTest.summary.throughputPps.max] as [number, number] }),
      ...(tp.ok && tp.bound === 'lower' && { throughputCapped: true }),
      ...latencyOf(r, relay),
      cpuNsPerPacket: cpuOf(r, relay),
      ...(skip && { skipped: skip.reason }),
    };
  });
  return { scenario: r.scenario.name, file: r.scenario.file, outputs, quick: r.scenario.quick, relays };
}

/** Key numbers and the issue-4 ratios (met = at or beyond the target, no tolerance). */
export function macroSummary(files: LoadedResults[]): MacroSummary {
  const ratios = measure(files).map(({ def, found }): RatioRow => {
    const value = val(found);
    const met = value === null ? null : def.direction === 'higher-is-better' ? value >= def.target : value <= def.target;
    return {
      id: def.id, title: def.title, unit: def.unit, value, target: def.target, direction: def.direction, met,
      note: found.ok ? found.note : found.reason, ...(found.ok && found.bound && { bound: found.bound }),
    };
  });
  return { scenarios: files.map((f) => scenarioNumbers(f.results)), ratios };
}

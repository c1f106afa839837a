/**
 * The macro half of `npm run bench`: chain, dual-bridge and fanout-50 through mcr-lab with mcrd,
 * socat, kernel forwarding and direct in one run each, reduced to the key numbers per relay and the
 * issue-4 ratios with their targets. Covered by bench/table.test.ts (on ci/ fixtures).
 */
import { measure } from '../ci/metrics.js';
import { throughputPps, type Found } from '../ci/quantities.js';
import type { LoadedResults } from '../ci/results-file.js';
import type { FixedRateTest, LatencyTest, RelayName, Results } from '../lab/results/types.js';

export const RELAYS: RelayName[] = ['direct', 'kernel', 'socat', 'mcrd'];

export interface RelayNumbers {
  relay: RelayName;
  /** Highest rate with < 0.1 % loss (input rate for fan-out). */
  throughputPps: number | null;
  throughputRange?: [number, number];
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

export interface RatioRow { id: string; title: string; unit: string; value: number | null; target: number; direction: string; met: boolean | null; note: string }

export interface MacroSummary { scenarios: ScenarioNumbers[]; ratios: RatioRow[] }

const val = (f: Found): number | null => (f.ok ? f.value : null);

function latencyOf(r: Results, relay: RelayName): Pick<RelayNumbers, 'latencyP50Us' | 'latencyP99Us' | 'latencyPps'> {
  const t = r.tests.find((x): x is LatencyTest => x.kind === 'latency' && x.relay === relay);
  if (t) return { latencyP50Us: t.summary.p50Ns.median / 1000, latencyP99Us: t.summary.p99Ns.median / 1000, latencyPps: t.offeredPps };
  const f = r.tests.find((x): x is FixedRateTest => x.kind === 'fixed-rate' && x.relay === relay && !!x.summary.latencyP50Ns);
  if (f) return { latencyP50Us: f.summary.latencyP50Ns!.median / 1000, latencyP99Us: (f.summary.latencyP99Ns?.median ?? Number.NaN) / 1000, latencyPps: f.offeredPps };
  return { latencyP50Us: null, latencyP99Us: null, latencyPps: null };
}

function cpuOf(r: Results, relay: RelayName): number | null {
  const f = r.tests.find((x): x is FixedRateTest => x.kind === 'fixed-rate' && x.relay === relay && !!x.summary.relayCpuNsPerPacket);
  if (f) return f.summary.relayCpuNsPerPacket!.median;
  const per = r.tests.filter((x): x is LatencyTest => x.kind === 'latency' && x.relay === relay)
    .flatMap((x) => x.repetitions.flatMap((t) => (t.relayCpuNsPerPacket === undefined ? [] : [t.relayCpuNsPerPacket])));
  if (per.length === 0) return null;
  return [...per].sort((a, b) => a - b)[Math.floor(per.length / 2)]!;
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
    const tpTest = r.tests.find((t) => t.kind === 'throughput' && t.relay === relay);
    return {
      relay,
      throughputPps: val(tp),
      ...(tpTest?.kind === 'throughput' && { throughputRange: [tpTest.summary.throughputPps.min, tpTest.summary.throughputPps.max] as [number, number] }),
      ...latencyOf(r, relay),
      cpuNsPerPacket: cpuOf(r, relay),
      ...(skip ? { skipped: skip.reason } : !r.relays.includes(relay) ? { skipped: 'not run' } : {}),
    };
  });
  return { scenario: r.scenario.name, file: r.scenario.file, outputs, quick: r.scenario.quick, relays };
}

/** Key numbers and the issue-4 ratios (met = at or beyond the target, no tolerance). */
export function macroSummary(files: LoadedResults[]): MacroSummary {
  const ratios = measure(files).map(({ def, found }): RatioRow => {
    const value = val(found);
    const met = value === null ? null : def.direction === 'higher-is-better' ? value >= def.target : value <= def.target;
    return { id: def.id, title: def.title, unit: def.unit, value, target: def.target, direction: def.direction, met, note: found.ok ? found.note : found.reason };
  });
  return { scenarios: files.map((f) => scenarioNumbers(f.results)), ratios };
}

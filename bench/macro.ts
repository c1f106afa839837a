/**
 * The macro half of `npm run bench`: chain, dual-bridge and fanout-50 through mcr-lab with mcrd,
 * socat, kernel forwarding and direct in one run each, and the scaling scenario with mcrd at 1 and 2
 * workers (direct as ceiling), reduced to the key numbers per relay and the issue-4 ratios with their
 * targets. Covered by bench/table.test.ts (on ci/ fixtures).
 */
import { measure, PLACED_LATENCY, SCENARIOS } from './metrics.js';
import {
  coreAt, cpuAt, latencyAt, LOSS_CHECK_PPS, maxForwardingPps, median, nearestReference, streamsOf, throughputPps,
  throughputTestOf, totalThroughputPps,
  type AtRate, type Bound, type Found,
} from '../lab/results/quantities.js';
import { BUSY_POLL_US, LATENCY_ADAPTIVE, LATENCY_BUSY_POLL, LATENCY_DEFAULT, LATENCY_RATES } from './latency.js';
import type { LoadedResults } from '../lab/results/validate.js';
import { throughputFigure, type ThroughputFigure } from '../lab/results/figures.js';
import type { Calibration, MachineLoad, RelayName, Results } from '../lab/results/types.js';

export const RELAYS: RelayName[] = ['direct', 'kernel', 'socat', 'mcrd'];

export interface RelayNumbers {
  relay: RelayName;
  /** Highest rate that passed (input rate for fan-out): the figure's value, null without a throughput test. */
  throughputPps: number | null;
  /** The throughput figure (lab/results/figures.ts): bracket, kind (resolved, bracket, at-least, below), spread, flags. */
  throughput?: ThroughputFigure;
  latencyP50Us: number | null;
  latencyP99Us: number | null;
  latencyPps: number | null;
  /** Relay process CPU (user+sys of its processes) per forwarded packet, at the rate nearest 50k pps. */
  cpuNsPerPacket: number | null;
  /** Busy time of the relay's core per forwarded packet (kernel forwarding included), at latencyPps and at 150k pps. */
  coreNsPerPacket: number | null;
  coreNsPerPacket150k: number | null;
  /** Why the relay has no numbers, when it was skipped. */
  skipped?: string;
}

export interface ScenarioNumbers {
  scenario: string;
  file: string;
  outputs: number;
  quick: boolean;
  relays: RelayNumbers[];
  /** The lab's own ceilings on this machine, measured before the relays (lab/run/calibrate.ts). */
  calibration?: Calibration;
  /** How busy the machine was during the run. */
  load?: MachineLoad;
  cpuCount?: number;
}

export interface RatioRow {
  id: string; title: string; unit: string; value: number | null; target: number; direction: string; met: boolean | null; note: string;
  /** The target excludes its own value (`< 1 ms`, `> 1×`). */
  strict?: boolean;
  /** When value only bounds the truth (a search hit its top rate, or found nothing). */
  bound?: Bound;
  /** When only an interval is known (a ratio of search brackets). */
  range?: [number, number];
  /** Built from figures whose repetitions spread too far. */
  unstable?: boolean;
  /** Where the value was seen (`at 121k pps (latency; throughput 241k pps)`), for the queue rows. */
  at?: string;
}

/** One run of the scaling scenario: a relay (mcrd at a worker count, or direct) and what it carried. */
export interface ScalingRow {
  relay: RelayName;
  /** mcrd worker count; absent for direct. */
  workers?: number;
  streams: number;
  /** Highest per-stream rate with every stream < 0.1 % loss; null when not found. */
  perStreamPps: number | null;
  /** A floor (search ceiling reached, or the generator fell short). */
  capped?: boolean;
  /** Zero-loss total over all streams, as the generators sent it (lab/results/quantities.ts totalThroughputPps). */
  totalPps: number | null;
  totalCapped?: boolean;
  /** Highest sum over streams that arrived in any trial. */
  maxForwardingPps: number | null;
  duplicates: number;
  reordered: number;
  /** Why there is no figure. */
  note?: string;
}

/** One relay configuration of the latency suite (bench/latency.ts) at one rate, medians over its runs. */
export interface LatencyRow {
  /** `mcrd`, `mcrd --busy-poll-us 200`, `kernel`, `direct`. */
  config: string;
  relay: RelayName;
  /** The suite's variant the row comes from (latency-default, latency-busy-poll). */
  run: string;
  pps: number;
  p50Us: number | null;
  p99Us: number | null;
  /** Over direct of the same variant at the same rate; null for direct itself. */
  p50AddedUs: number | null;
  p99AddedUs: number | null;
  /** Relay process CPU (user + sys) per forwarded packet; null for kernel and direct. */
  cpuNsPerPacket: number | null;
  /** Files (lab runs) the medians are over. */
  runs: number;
}

export interface MacroSummary { scenarios: ScenarioNumbers[]; ratios: RatioRow[]; scaling?: ScalingRow[]; latency?: LatencyRow[] }

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

/** Relay-core ns per packet at one rate (within 1 %), or null. */
function coreAtRate(list: AtRate[], pps: number | null): number | null {
  if (pps === null) return null;
  return list.find((x) => Math.abs(x.offeredPps - pps) <= 0.01 * pps)?.value ?? null;
}

/** Key numbers of one scenario's results, one row per relay in RELAYS order. */
export function scenarioNumbers(r: Results): ScenarioNumbers {
  const outputs = r.tests.reduce((n, t) => {
    const trials = t.kind === 'throughput' ? t.repetitions.flatMap((x) => x.steps) : t.repetitions;
    return trials.reduce((m, x) => Math.max(m, x.outputs.length), n);
  }, 0);
  const relays = RELAYS.map((relay): RelayNumbers => {
    const skip = r.skipped.find((s) => s.relay === relay);
    const tpTest = throughputTestOf(r, relay);
    const figure = tpTest && throughputFigure(tpTest);
    const latency = latencyOf(r, relay);
    const core = coreAt(r, relay);
    return {
      relay,
      throughputPps: figure ? figure.value : val(throughputPps(r, relay)),
      ...(figure && { throughput: figure }),
      ...latency,
      cpuNsPerPacket: cpuOf(r, relay),
      coreNsPerPacket: coreAtRate(core, latency.latencyPps ?? nearestReference(core)?.offeredPps ?? null),
      coreNsPerPacket150k: coreAtRate(core, LOSS_CHECK_PPS),
      ...(skip && { skipped: skip.reason }),
    };
  });
  const e = r.environment;
  return {
    scenario: r.scenario.name, file: r.scenario.file, outputs, quick: r.scenario.quick, relays,
    ...(e.calibration && { calibration: e.calibration }), ...(e.load && { load: e.load, cpuCount: e.cpus.count }),
  };
}

/** Whether a results file is one of the scaling runs (they get their own table). */
export function isScalingRun(r: Results): boolean {
  const name = r.scenario.name;
  return name === SCENARIOS.scaling1 || name === SCENARIOS.scaling2;
}

/** Whether a results file is one of the latency suite's runs (they get their own table). */
export function isLatencyRun(r: Results): boolean {
  return r.scenario.name === LATENCY_DEFAULT || r.scenario.name === LATENCY_BUSY_POLL || r.scenario.name === LATENCY_ADAPTIVE;
}

const medianOrNull = (xs: (number | null)[]): number | null => {
  const ok = xs.filter((x): x is number => x !== null);
  return ok.length === 0 ? null : median(ok);
};

/**
 * The latency suite by configuration and rate: direct, kernel and mcrd of the default variant, then
 * mcrd busy-polling and mcrd adaptive-polling (direct of those variants is their baseline, not repeated
 * as a row).
 */
export function latencyRows(files: LoadedResults[]): LatencyRow[] {
  const rows: LatencyRow[] = [];
  const plan = [
    [LATENCY_DEFAULT, 'direct', 'direct'], [LATENCY_DEFAULT, 'kernel', 'kernel'], [LATENCY_DEFAULT, 'mcrd', 'mcrd (defaults)'],
    [LATENCY_BUSY_POLL, 'mcrd', `mcrd --busy-poll-us ${BUSY_POLL_US}`],
    [LATENCY_ADAPTIVE, 'mcrd', 'mcrd --adaptive-poll on'],
  ] as const;
  for (const [run, relay, config] of plan) {
    const runs = files.map((f) => f.results).filter((r) => r.scenario.name === run && r.relays.includes(relay));
    if (runs.length === 0) continue;
    for (const pps of LATENCY_RATES) {
      const at = (list: AtRate[]): number | null => list.find((x) => Math.abs(x.offeredPps - pps) <= 0.01 * pps)?.value ?? null;
      const per = runs.map((r) => {
        const p50 = at(latencyAt(r, relay, 'p50'));
        const p99 = at(latencyAt(r, relay, 'p99'));
        const d50 = at(latencyAt(r, 'direct', 'p50'));
        const d99 = at(latencyAt(r, 'direct', 'p99'));
        return {
          p50, p99, cpu: relay === 'mcrd' ? at(cpuAt(r, relay)) : null,
          a50: relay === 'direct' || p50 === null || d50 === null ? null : p50 - d50,
          a99: relay === 'direct' || p99 === null || d99 === null ? null : p99 - d99,
        };
      });
      const us = (xs: (number | null)[]): number | null => { const m = medianOrNull(xs); return m === null ? null : m / 1000; };
      rows.push({
        config, relay, run, pps, runs: runs.length,
        p50Us: us(per.map((x) => x.p50)), p99Us: us(per.map((x) => x.p99)),
        p50AddedUs: us(per.map((x) => x.a50)), p99AddedUs: us(per.map((x) => x.a99)),
        cpuNsPerPacket: medianOrNull(per.map((x) => x.cpu)),
      });
    }
  }
  return rows;
}

/** One row per relay run of the scaling scenario: direct (ceiling), then mcrd by worker count. */
export function scalingRows(files: LoadedResults[]): ScalingRow[] {
  const rows: ScalingRow[] = [];
  for (const [name, workers] of [[SCENARIOS.scaling1, 1], [SCENARIOS.scaling2, 2]] as const) {
    for (const f of files.filter((x) => x.results.scenario.name === name)) {
      for (const relay of ['direct', 'mcrd'] as const) {
        if (!f.results.relays.includes(relay)) continue;
        const tp = throughputPps(f.results, relay);
        const total = totalThroughputPps(f.results, relay);
        const fwd = maxForwardingPps(f.results, relay);
        const trials = f.results.tests.filter((t) => t.relay === relay)
          .flatMap((t) => (t.kind === 'throughput' ? t.repetitions.flatMap((x) => x.steps) : t.repetitions));
        const sum = (k: 'duplicates' | 'reordered'): number => trials.reduce((n, t) => n + t.outputs.reduce((m, o) => m + o[k], 0), 0);
        rows.push({
          relay, ...(relay === 'mcrd' && { workers }), streams: streamsOf(f.results, relay),
          perStreamPps: tp.ok ? tp.value : null, ...(tp.ok && tp.bound === 'lower' && { capped: true }),
          totalPps: val(total), ...(total.ok && total.bound === 'lower' && { totalCapped: true }), maxForwardingPps: val(fwd),
          duplicates: sum('duplicates'), reordered: sum('reordered'),
          ...(!tp.ok && { note: tp.reason }),
        });
      }
    }
  }
  // direct first: it is the ceiling the mcrd rows are read against.
  return [...rows.filter((r) => r.relay === 'direct'), ...rows.filter((r) => r.relay !== 'direct')];
}

/** Key numbers and the issue-4 ratios (met = at or beyond the target, no tolerance). */
export function macroSummary(files: LoadedResults[]): MacroSummary {
  // The placed chain's latency is in the chain latency table; the latency targets are judged on the
  // latency suite (bench/metrics.ts PLACED_LATENCY says why), so it gets no target row of its own.
  const ratios = measure(files).filter(({ def }) => def.noBaseline !== PLACED_LATENCY).map(({ def, found }): RatioRow => {
    const value = val(found);
    const higher = def.direction === 'higher-is-better';
    const met = value === null ? null
      : def.strict ? (higher ? value > def.target : value < def.target) : (higher ? value >= def.target : value <= def.target);
    return {
      id: def.id, title: def.title, unit: def.unit, value, target: def.target, direction: def.direction, met,
      note: found.ok ? found.note : found.reason, ...(def.strict && { strict: true }), ...(found.ok && found.bound && { bound: found.bound }),
      ...(found.ok && found.range && { range: found.range }), ...(found.ok && found.unstable && { unstable: true }),
      ...(found.ok && found.at && { at: found.at }),
    };
  });
  const scaling = scalingRows(files);
  const latency = latencyRows(files);
  return {
    scenarios: files.filter((f) => !isScalingRun(f.results) && !isLatencyRun(f.results)).map((f) => scenarioNumbers(f.results)), ratios,
    ...(scaling.length > 0 && { scaling }),
    ...(latency.length > 0 && { latency }),
  };
}

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
import type { LoadedResults } from '../lab/results/validate.js';
import {
  coreRatio, duplicatesAndReordered, fanoutOutputPps, latencyAddedUs, LOSS_CHECK_PPS, lossAt, maxForwardingPps, median, intervalOf, ratioFound, throughputPps,
  processCpuAt, REFERENCE_PPS, totalThroughputPps, worstP99BelowThroughputUs, worstP99Us, type Bound, type Found,
} from '../lab/results/quantities.js';
import { BUSY_POLL_US, LATENCY_BUSY_POLL, LATENCY_DEFAULT } from './latency.js';
import type { RelayName, Results } from '../lab/results/types.js';

export type Direction = 'higher-is-better' | 'lower-is-better';

export interface MetricDef {
  id: string;
  title: string;
  unit: 'ratio' | 'µs' | 'loss' | 'count';
  direction: Direction;
  /** The target, as a value of this metric. */
  target: number;
  /** The target excludes its own value (`< 1 ms`, `rises` = `> 1×`); default: it includes it. */
  strict?: boolean;
  /** Relative tolerance a fresh baseline gets; see docs/performance.md for why these widths. */
  defaultTolerance: number;
  /** Whether a fresh baseline fails the job when this metric cannot be computed. */
  defaultRequired: boolean;
  /** --update-baseline never records less than this (a loss of 0 would make any lost packet fail). */
  baselineFloor?: number;
  /** Why this metric is reported but kept out of ci/baseline.json (too unstable to guard), if it is. */
  noBaseline?: string;
  compute(files: LoadedResults[]): Found;
}

/** A metric as measured in this run. */
export interface Measured { def: MetricDef; found: Found }

export const SCENARIOS = {
  chain: 'chain', dualBridge: 'dual-bridge', fanout: 'fanout-50',
  // scenarios/scaling.yaml, run once per mcrd worker count (bench/scaling.ts: scenarios/bench/scaling-*.yaml).
  scaling1: 'scaling-1w', scaling2: 'scaling-2w',
  // scenarios/chain.yaml at fixed rates without CPU placement, mcrd default and busy-polling (bench/latency.ts: scenarios/bench/latency-*.yaml).
  latencyDefault: LATENCY_DEFAULT, latencyBusyPoll: LATENCY_BUSY_POLL,
} as const;

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
  if (ok.length === 1) return ok[0]!;
  const note = `median of ${ok.length} runs; first: ${ok[0]!.note}`;
  // A median over runs keeps a bound only when every run has the same one; the interval is the median of the ends.
  const bounds = new Set(ok.map((f) => f.bound));
  const bound = bounds.size === 1 ? ok[0]!.bound : 'unknown';
  const ends = ok.map(intervalOf);
  const range: [number, number] = [median(ends.map((e) => e[0])), median(ends.map((e) => e[1]))];
  const ranged = bound === 'unknown' && range[0] > 0 && Number.isFinite(range[1]) && range[0] < range[1];
  return {
    ok: true, value: median(ok.map((f) => f.value)), note, ...(bound && { bound }), ...(ranged && { range }),
    ...(ok.some((f) => f.unstable) && { unstable: true }),
  };
}

/**
 * mcrd's throughput over another relay's, as far as their figures allow (lab/results/quantities.ts
 * ratioFound): a value between resolved figures, a range from brackets, a bound from bounds (a relay
 * that failed even the search's lowest rate gives a lower bound, what a "≥ 4 × socat" target needs).
 */
function throughputRatio(key: string, a: RelayName, b: RelayName): MetricDef['compute'] {
  return (files) => perFile(files, key, (r) => ratioFound(throughputPps(r, a), throughputPps(r, b)));
}

/**
 * Why the 2-worker/1-worker ratios are reported but not guarded: on a 2-vCPU machine the second
 * worker shares its core with the generators and the sink, the four UDP generators fall short of the
 * offered rate well before the relay does, and PACKET_FANOUT_HASH places the four flows on the two
 * workers anew each trial (all on one worker one time in eight), so the ratio swings by more than
 * any tolerance that would still catch a regression.
 */
/**
 * Why the placed chain's latency is not guarded: with traffic on one vCPU and the relay on the other,
 * each cross-CPU hop wakes an idle vCPU through the hypervisor, and those wake-ups, not the relay, set
 * the figure (docs/performance.md). The latency suite (bench/latency.ts) measures the target without them.
 */
export const PLACED_LATENCY = 'with CPU placement idle-vCPU wake-ups dominate; the latency suite (no placement) is guarded instead';

const SCALING_UNSTABLE = 'too unstable to guard on a 2-vCPU box (generator-bound, flows hashed onto workers anew each trial)';

/**
 * Latency added at 50k pps, with the relay's process CPU per packet at that rate in `at`: the price
 * of a configuration (busy polling spins a core) shows next to what it buys.
 */
function addedWithCpu(key: string, relay: RelayName, pct: 'p50' | 'p99'): MetricDef['compute'] {
  return (files) => {
    const added = perFile(files, key, (r) => latencyAddedUs(r, relay, pct));
    // Medians over runs of each separately: perFile keeps `at` only for a single run.
    const cpu = perFile(files, key, (r) => processCpuAt(r, relay, REFERENCE_PPS));
    if (!added.ok || !cpu.ok) return added;
    return { ...added, at: `(${relay} process CPU ${(cpu.value / 1000).toFixed(1)} µs per packet at ${REFERENCE_PPS / 1000}k pps)` };
  };
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
    compute: (files) => ratioFound(
      perFile(files, SCENARIOS.fanout, (r) => fanoutOutputPps(r, 'mcrd')),
      perFile(files, SCENARIOS.chain, (r) => throughputPps(r, 'mcrd')),
    ),
  },
  // Latency targets come from the latency suite (no CPU placement: placed, every cross-CPU hop wakes
  // an idle vCPU through the hypervisor and that, not the relay, sets the figure). The baselines sit
  // at the targets with wide tolerances: mcrd's defaults measure about +41 µs p50 on this VM because
  // of the idle-vCPU wake-up (limit 80 µs, 4×); without placement the relay, the generator and the
  // sink share two vCPUs with whatever else runs, which moves a p99 by up to a couple of ms between
  // runs (seen: +0.58 and +1.9 ms for the defaults), so p99 limits are 2 ms and the queue limits 3 ms.
  // A relay that queues for real moves them by more.
  {
    id: 'latency.p50-added.mcrd', title: 'Chain p50 latency added by mcrd, defaults (vs direct; 50k pps, no CPU placement)', unit: 'µs',
    direction: 'lower-is-better', target: 20, defaultTolerance: 3, defaultRequired: true,
    compute: addedWithCpu(SCENARIOS.latencyDefault, 'mcrd', 'p50'),
  },
  {
    id: 'latency.p99-added.mcrd', title: 'Chain p99 latency added by mcrd, defaults (vs direct; 50k pps, no CPU placement)', unit: 'µs',
    direction: 'lower-is-better', target: 200, defaultTolerance: 9, defaultRequired: true,
    compute: (files) => perFile(files, SCENARIOS.latencyDefault, (r) => latencyAddedUs(r, 'mcrd', 'p99')),
  },
  {
    id: 'latency.p50-added.mcrd-busy-poll', title: `Chain p50 latency added by mcrd --busy-poll-us ${BUSY_POLL_US} (vs direct; 50k pps, no CPU placement)`, unit: 'µs',
    direction: 'lower-is-better', target: 20, defaultTolerance: 2, defaultRequired: false,
    compute: addedWithCpu(SCENARIOS.latencyBusyPoll, 'mcrd', 'p50'),
  },
  {
    id: 'latency.p99-added.mcrd-busy-poll', title: `Chain p99 latency added by mcrd --busy-poll-us ${BUSY_POLL_US} (vs direct; 50k pps, no CPU placement)`, unit: 'µs',
    direction: 'lower-is-better', target: 200, defaultTolerance: 9, defaultRequired: false,
    compute: (files) => perFile(files, SCENARIOS.latencyBusyPoll, (r) => latencyAddedUs(r, 'mcrd', 'p99')),
  },
  {
    id: 'latency.p50-added.kernel', title: 'Context: chain p50 latency added by kernel forwarding (vs direct; 50k pps, no CPU placement)', unit: 'µs',
    direction: 'lower-is-better', target: 20, defaultTolerance: 1, defaultRequired: false,
    noBaseline: 'context only: kernel forwarding is the reference, not the code under test',
    compute: (files) => perFile(files, SCENARIOS.latencyDefault, (r) => latencyAddedUs(r, 'kernel', 'p50')),
  },
  {
    // Kept for the record and for comparisons with older runs; the target is judged on the latency suite.
    id: 'chain.latency.p50-added', title: 'Chain p50 latency added by mcrd, with CPU placement (vs direct)', unit: 'µs',
    direction: 'lower-is-better', target: 20, defaultTolerance: 1, defaultRequired: false, noBaseline: PLACED_LATENCY,
    compute: (files) => perFile(files, SCENARIOS.chain, (r) => latencyAddedUs(r, 'mcrd', 'p50')),
  },
  {
    id: 'chain.latency.p99-added', title: 'Chain p99 latency added by mcrd, with CPU placement (vs direct)', unit: 'µs',
    direction: 'lower-is-better', target: 200, defaultTolerance: 1, defaultRequired: false, noBaseline: PLACED_LATENCY,
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
    // 150k pps: below both relays' throughput, and 3× the packets of 50k over which the relay core's
    // idle overhead and other tenants' stray work are spread, so the ratio is the forwarding cost.
    id: 'chain.relay-core-per-packet.mcrd/kernel@150k', title: 'Chain relay-core CPU per packet at 150k pps, mcrd / kernel', unit: 'ratio',
    direction: 'lower-is-better', target: 1.3, defaultTolerance: 0.4, defaultRequired: false,
    compute: (files) => perFile(files, SCENARIOS.chain, (r) => coreRatio(r, 'mcrd', 'kernel', LOSS_CHECK_PPS)),
  },
  {
    id: 'chain.relay-core-per-packet.mcrd/kernel@50k', title: 'Chain relay-core CPU per packet at 50k pps, mcrd / kernel', unit: 'ratio',
    direction: 'lower-is-better', target: 1.3, defaultTolerance: 0.5, defaultRequired: false,
    compute: (files) => perFile(files, SCENARIOS.chain, (r) => coreRatio(r, 'mcrd', 'kernel', 50_000)),
  },
  {
    // "No multi-millisecond queues below the throughput rate": < 1 ms; the baseline's 100 % lets a
    // shared VM's scheduling hiccup through and fails at 2 ms, a queue by any reading.
    id: 'chain.queue.mcrd-worst-p99-below-throughput', title: 'Chain: mcrd worst p99 at any tested rate below its throughput', unit: 'µs',
    direction: 'lower-is-better', target: 1000, strict: true, defaultTolerance: 1, defaultRequired: true,
    compute: (files) => perFile(files, SCENARIOS.chain, (r) => worstP99BelowThroughputUs(r, 'mcrd')),
  },
  {
    id: 'dual-bridge.queue.mcrd-worst-p99-below-throughput', title: 'Dual-bridge: mcrd worst p99 at any tested rate below its throughput', unit: 'µs',
    direction: 'lower-is-better', target: 1000, strict: true, defaultTolerance: 1, defaultRequired: false,
    compute: (files) => perFile(files, SCENARIOS.dualBridge, (r) => worstP99BelowThroughputUs(r, 'mcrd')),
  },
  {
    // The same queue criterion (< 1 ms) on the latency suite: every rate there (10k, 50k pps) is far
    // below mcrd's chain throughput, so its worst p99 anywhere is a queue below the throughput rate.
    id: 'latency-default.queue.mcrd-worst-p99', title: 'Chain, no CPU placement, mcrd defaults: worst p99 at 10k and 50k pps', unit: 'µs',
    direction: 'lower-is-better', target: 1000, strict: true, defaultTolerance: 2, defaultRequired: false,
    compute: (files) => perFile(files, SCENARIOS.latencyDefault, (r) => worstP99Us(r, 'mcrd')),
  },
  {
    id: 'latency-busy-poll.queue.mcrd-worst-p99', title: `Chain, no CPU placement, mcrd --busy-poll-us ${BUSY_POLL_US}: worst p99 at 10k and 50k pps`, unit: 'µs',
    direction: 'lower-is-better', target: 1000, strict: true, defaultTolerance: 2, defaultRequired: false,
    compute: (files) => perFile(files, SCENARIOS.latencyBusyPoll, (r) => worstP99Us(r, 'mcrd')),
  },
  {
    // Two separate lab runs (1 and 2 workers); medians per run count first.
    id: 'scaling.throughput.mcrd-2w/1w', title: 'Scaling: total throughput over 4 streams, mcrd 2 workers / 1 worker', unit: 'ratio',
    direction: 'higher-is-better', target: 1, strict: true, defaultTolerance: 0.25, defaultRequired: false, noBaseline: SCALING_UNSTABLE,
    compute: (files) => ratioFound(
      perFile(files, SCENARIOS.scaling2, (r) => totalThroughputPps(r, 'mcrd')),
      perFile(files, SCENARIOS.scaling1, (r) => totalThroughputPps(r, 'mcrd')),
    ),
  },
  {
    id: 'scaling.forwarding.mcrd-2w/1w', title: 'Scaling: most forwarded in any trial over 4 streams, mcrd 2 workers / 1 worker', unit: 'ratio',
    direction: 'higher-is-better', target: 1, strict: true, defaultTolerance: 0.25, defaultRequired: false, noBaseline: SCALING_UNSTABLE,
    compute: (files) => ratioFound(
      perFile(files, SCENARIOS.scaling2, (r) => maxForwardingPps(r, 'mcrd')),
      perFile(files, SCENARIOS.scaling1, (r) => maxForwardingPps(r, 'mcrd')),
    ),
  },
  {
    // Any duplicate or reordering within a stream is a bug (a packet seen by both workers, a flow
    // split across them), not noise: the baseline of 0 with a relative tolerance allows none.
    id: 'scaling.dup-reorder.mcrd-2w', title: 'Scaling: duplicates + reordered within a stream, mcrd 2 workers, all trials', unit: 'count',
    direction: 'lower-is-better', target: 0, defaultTolerance: 0, defaultRequired: false,
    compute: (files) => perFile(files, SCENARIOS.scaling2, (r) => duplicatesAndReordered(r, 'mcrd')),
  },
];

/** Computes every metric of METRICS from the given results files. */
export function measure(files: LoadedResults[]): Measured[] {
  return METRICS.map((def) => ({ def, found: def.compute(files) }));
}

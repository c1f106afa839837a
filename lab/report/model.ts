/**
 * What the reports show, picked from results.json: tests by kind and name, the ratios between relays
 * and the latency each relay adds over the direct path. Throughput and every ratio built on it are
 * interpreted by lab/results/figures.ts, the one place that does so for the report, the bench and CI.
 */
import type {
  FixedRateTest, LatencyTest, RelayName, Results, Summary, TestResult, ThroughputTest,
} from '../results/types.js';
import { isUnstable, ratioOf, throughputFigure, type RatioFigure } from '../results/figures.js';

export const RELAY_ORDER: RelayName[] = ['mcrd', 'frr', 'socat', 'kernel', 'direct'];

/** Relays in a stable order: mcrd first, then the ones it is compared with. */
export function relaysOf(r: Results): RelayName[] {
  const present = new Set<RelayName>([...r.relays, ...r.tests.map((t) => t.relay)]);
  return RELAY_ORDER.filter((x) => present.has(x));
}

/** Test names in the order they first appear. */
export function testNames(r: Results, kind?: TestResult['kind']): string[] {
  return [...new Set(r.tests.filter((t) => !kind || t.kind === kind).map((t) => t.name))];
}

export function findTest<K extends TestResult['kind']>(r: Results, kind: K, name: string, relay: RelayName): Extract<TestResult, { kind: K }> | undefined {
  return r.tests.find((t) => t.kind === kind && t.name === name && t.relay === relay) as Extract<TestResult, { kind: K }> | undefined;
}

export const throughputTests = (r: Results): ThroughputTest[] => r.tests.filter((t): t is ThroughputTest => t.kind === 'throughput');
export const fixedTests = (r: Results): FixedRateTest[] => r.tests.filter((t): t is FixedRateTest => t.kind === 'fixed-rate');
export const latencyTests = (r: Results): LatencyTest[] => r.tests.filter((t): t is LatencyTest => t.kind === 'latency');

/** The p50 or p99 latency summary of a fixed-rate or latency test, if it has one with data. */
export function latencySummary(t: TestResult, which: 'p50' | 'p99'): Summary | undefined {
  let s: Summary | undefined;
  if (t.kind === 'fixed-rate') s = which === 'p50' ? t.summary.latencyP50Ns : t.summary.latencyP99Ns;
  else if (t.kind === 'latency') s = which === 'p50' ? t.summary.p50Ns : t.summary.p99Ns;
  return s && s.n > 0 ? s : undefined;
}

export interface RatioRow {
  label: string;
  test: string;
  /** relay → mcrd / relay as far as the figures allow (lab/results/figures.ts): a value, a range, a bound or none. */
  ratios: Partial<Record<RelayName, RatioFigure>>;
}

/** A plain ratio of two medians, marked unstable when either spread too far; none when either is missing or zero. */
function medianRatio(a: Summary | undefined, b: Summary | undefined): RatioFigure {
  if (!a || !b || a.n === 0 || b.n === 0 || b.median === 0) return { kind: 'none', reason: 'missing or zero' };
  return { kind: 'value', value: a.median / b.median, unstable: isUnstable(a) || isUnstable(b) };
}

/**
 * mcrd / other: throughput (through the figures, so an unresolved search gives a range or a bound,
 * never a single number), delivered rate at each fixed rate, and CPU per packet.
 */
export function ratioRows(r: Results): RatioRow[] {
  const others = relaysOf(r).filter((x) => x !== 'mcrd');
  const rows: RatioRow[] = [];
  for (const name of testNames(r, 'throughput')) {
    const mt = findTest(r, 'throughput', name, 'mcrd');
    const ratios: RatioRow['ratios'] = {};
    for (const o of others) {
      const ot = findTest(r, 'throughput', name, o);
      ratios[o] = mt && ot ? ratioOf(throughputFigure(mt), throughputFigure(ot)) : { kind: 'none', reason: 'not measured' };
    }
    rows.push({ label: name === 'throughput' ? 'throughput' : `throughput (${name})`, test: name, ratios });
  }
  for (const name of testNames(r, 'fixed-rate')) {
    const m = findTest(r, 'fixed-rate', name, 'mcrd');
    rows.push({ label: `delivered pps (${name})`, test: name, ratios: Object.fromEntries(others.map((o) => [o, medianRatio(m?.summary.deliveredPps, findTest(r, 'fixed-rate', name, o)?.summary.deliveredPps)])) });
  }
  for (const [key, what] of [['relayCpuNsPerPacket', 'CPU'], ['relayCoreNsPerPacket', 'core CPU'], ['relayCoreOwnNsPerPacket', 'own core CPU']] as const) {
    for (const name of testNames(r, 'fixed-rate')) {
      const m = findTest(r, 'fixed-rate', name, 'mcrd')?.summary[key];
      if (m === undefined) continue;
      // direct's core figure is the idle core's background: a ratio to it means nothing.
      const ratios = Object.fromEntries(others.map((o) => [o, o === 'direct' && key !== 'relayCpuNsPerPacket' ? { kind: 'none', reason: 'background' } as RatioFigure
        : medianRatio(m, findTest(r, 'fixed-rate', name, o)?.summary[key])]));
      rows.push({ label: `${what} per packet (${name})`, test: name, ratios });
    }
  }
  return rows.filter((row) => Object.values(row.ratios).some((v) => v.kind !== 'none'));
}

export { addedLatency } from '../results/quantities.js';

/** Per-output median delivery ratio (1 - loss) over repetitions, for outputs of a fixed-rate test. */
export function outputDelivery(t: FixedRateTest): Array<{ name: string; group: string; delivered: number; minDelivered: number; maxDelivered: number }> {
  const names = t.repetitions[0]?.outputs.map((o) => ({ name: o.name, group: o.group })) ?? [];
  return names.map(({ name, group }) => {
    const d = t.repetitions.map((rep) => 1 - (rep.outputs.find((o) => o.name === name)?.lossRatio ?? 1)).sort((a, b) => a - b);
    const mid = Math.floor(d.length / 2);
    const median = d.length % 2 ? d[mid]! : (d[mid - 1]! + d[mid]!) / 2;
    return { name, group, delivered: median, minDelivered: d[0]!, maxDelivered: d[d.length - 1]! };
  });
}

/** Every (offered rate, loss) point a relay was measured at: throughput-search steps and fixed-rate and latency trials. */
export function lossPoints(r: Results, relay: RelayName): Array<{ pps: number; loss: number; source: string }> {
  const pts: Array<{ pps: number; loss: number; source: string }> = [];
  for (const t of r.tests) {
    if (t.relay !== relay) continue;
    if (t.kind === 'throughput') for (const rep of t.repetitions) for (const s of rep.steps) pts.push({ pps: s.offeredPps, loss: s.lossRatio, source: t.name });
    else for (const s of t.repetitions) pts.push({ pps: s.offeredPps, loss: s.lossRatio, source: t.name });
  }
  return pts.sort((a, b) => a.pps - b.pps);
}

/**
 * The report's tables as data (head + cells), built once from results.json and rendered by both
 * markdown.ts (pipes) and html.ts (<table> with data-* attributes a test or script can query), so
 * report.md and report.html can never disagree about a number.
 */
import type { FixedRateTest, LatencyTest, MachineLoad, RelayName, Results, Summary, ThroughputTest } from '../results/types.js';
import { noisyBecause } from '../measure/machine-load.js';
import { fmtBytes, fmtLoss, fmtMetric, fmtNs, fmtPps, fmtRatio, fmtSummary } from './format.js';
import { describePlacement, formatCpuList } from '../run/placement.js';
import { formatFigure, formatRatio, isUnstable, throughputFigure, UNSTABLE_MARK, UNSTABLE_SPREAD, type ThroughputFigure } from '../results/figures.js';
import {
  addedLatency, findTest, fixedTests, latencySummary, latencyTests, outputDelivery, ratioRows, relaysOf, testNames, throughputTests,
} from './model.js';

/** One table cell: its text, plus attributes that carry the raw value for machines. */
export interface Cell {
  text: string;
  attrs?: Record<string, string | number>;
}

export interface TableModel {
  id: string;
  title?: string;
  note?: string;
  head: string[];
  /** 'l' or 'r' per column; default: first left, rest right. */
  align?: Array<'l' | 'r'>;
  rows: Cell[][];
}

export const DASH = '–';
const c = (text: string, attrs?: Cell['attrs']): Cell => (attrs ? { text, attrs } : { text });

/**
 * A summary cell: "median (min–max)" text, marked unstable when the repetitions spread too far (loss
 * excepted: its median is usually 0), raw median/min/max/quartiles as attributes.
 */
function sc(s: Summary | undefined, f: (v: number) => string, attrs: Record<string, string | number>): Cell {
  if (!s || s.n === 0) return c(s ? 'no data' : DASH, attrs);
  const unstable = attrs['data-metric'] !== 'lossRatio' && isUnstable(s);
  return c(`${fmtSummary(s, f)}${unstable ? UNSTABLE_MARK : ''}`, {
    ...attrs, 'data-value': s.median, 'data-min': s.min, 'data-max': s.max, 'data-n': s.n,
    ...(s.q1 !== undefined && s.q3 !== undefined && { 'data-q1': s.q1, 'data-q3': s.q3 }), ...(unstable && { 'data-unstable': 'true' }),
  });
}

/** A throughput cell: the figure as lab/results/figures.ts prints it ("196k", "10k–107k", "≥ 450k", "< 10k"), its ends as attributes. */
function figureCell(f: ThroughputFigure, attrs: Record<string, string | number>): Cell {
  const spread = f.spread.n > 1 && f.spread.min !== f.spread.max ? ` (${fmtPps(f.spread.min)}–${fmtPps(f.spread.max)})` : '';
  return c(`${formatFigure(f, fmtPps)}${spread}`, {
    ...attrs, 'data-value': f.value, 'data-kind': f.kind, 'data-low': f.low, ...(f.high !== null && { 'data-high': f.high }),
    'data-min': f.spread.min, 'data-max': f.spread.max, 'data-n': f.spread.n,
    ...(f.kind === 'at-least' && { 'data-bound': '>=' }), ...(f.kind === 'below' && { 'data-bound': '<' }),
    ...(f.generatorLimited && { 'data-generator-limited': 'true' }), ...(f.unstable && { 'data-unstable': 'true' }),
  });
}

const label = (kind: string, name: string): string => (name === kind ? kind : `${kind} (${name})`);

export function summaryTable(r: Results): TableModel {
  const relays = relaysOf(r);
  const tp = testNames(r, 'throughput')[0];
  const fixed = testNames(r, 'fixed-rate');
  // Added latency only compares like with like: the first fixed-rate test with latency data, where
  // every relay was offered the same rate as the direct path.
  const latFixed = fixed.find((n) => relays.some((x) => findTest(r, 'fixed-rate', n, x)?.summary.latencyP50Ns));
  const cpuFixed = fixed.find((n) => relays.some((x) => findTest(r, 'fixed-rate', n, x)?.summary.relayCpuNsPerPacket));
  // The relay-core figure is compared at the busiest fixed rate: at low rates the core's background dominates it.
  const coreFixed = [...fixed].reverse().find((n) => relays.some((x) => findTest(r, 'fixed-rate', n, x)?.summary.relayCoreNsPerPacket) &&
    relays.every((x) => (findTest(r, 'fixed-rate', n, x)?.summary.lossRatio.median ?? 0) < 0.5)) ??
    fixed.find((n) => relays.some((x) => findTest(r, 'fixed-rate', n, x)?.summary.relayCoreNsPerPacket));
  const head = ['relay'];
  if (tp) head.push(`${label('throughput', tp)}, pps`);
  for (const f of fixed) head.push(`loss @ ${f}`);
  if (latFixed) head.push(`latency p50 / p99 @ ${latFixed}`, `p50 added vs direct @ ${latFixed}`);
  if (cpuFixed) head.push(`CPU / packet @ ${cpuFixed}`);
  if (coreFixed) head.push(`core CPU / packet @ ${coreFixed}`, `own core CPU / packet @ ${coreFixed}`);
  const rows = relays.map((relay) => {
    const a = (test: string, metric: string) => ({ 'data-relay': relay, 'data-test': test, 'data-metric': metric });
    const row: Cell[] = [c(relay, { 'data-relay': relay })];
    if (tp) {
      const t = findTest(r, 'throughput', tp, relay);
      row.push(t ? figureCell(throughputFigure(t), a(tp, 'throughputPps')) : c(DASH));
    }
    for (const f of fixed) row.push(sc(findTest(r, 'fixed-rate', f, relay)?.summary.lossRatio, fmtLoss, a(f, 'lossRatio')));
    if (latFixed) {
      const t = findTest(r, 'fixed-rate', latFixed, relay);
      const p50 = t && latencySummary(t, 'p50');
      const p99 = t && latencySummary(t, 'p99');
      row.push(p50 && p99 ? c(`${fmtNs(p50.median)} / ${fmtNs(p99.median)}`, { ...a(latFixed, 'latencyP50Ns'), 'data-value': p50.median, 'data-p99': p99.median }) : c(DASH));
      const added = t && relay !== 'direct' ? addedLatency(r, t).p50 : null;
      row.push(added === null ? c(DASH) : c(`${added >= 0 ? '+' : ''}${fmtNs(added)}`, { ...a(latFixed, 'latencyAddedP50Ns'), 'data-value': added }));
    }
    if (cpuFixed) row.push(sc(findTest(r, 'fixed-rate', cpuFixed, relay)?.summary.relayCpuNsPerPacket, fmtNs, a(cpuFixed, 'relayCpuNsPerPacket')));
    if (coreFixed) {
      const s = findTest(r, 'fixed-rate', coreFixed, relay)?.summary;
      row.push(sc(s?.relayCoreNsPerPacket, fmtNs, a(coreFixed, 'relayCoreNsPerPacket')), sc(s?.relayCoreOwnNsPerPacket, fmtNs, a(coreFixed, 'relayCoreOwnNsPerPacket')));
    }
    return row;
  });
  return {
    id: 'summary', head, rows,
    note: `Median over repetitions, (min–max) when they differ; "(unstable)" when they spread by more than ${Math.round(UNSTABLE_SPREAD * 100)} % of the median. ` +
      'Throughput as its search bracket where the search did not resolve it ("10k–107k"), ≥ where nothing failed. Loss is the worst output\'s.',
  };
}

export function ratioTable(r: Results): TableModel | undefined {
  const others = relaysOf(r).filter((x) => x !== 'mcrd');
  const rows = ratioRows(r);
  if (rows.length === 0 || others.length === 0) return undefined;
  return {
    id: 'ratios', title: 'Ratios (mcrd / other, medians)',
    head: ['metric', ...others.map((o) => `mcrd/${o}`)],
    note: 'A ratio is a single number only between resolved figures; from a search bracket it is the range the brackets allow, from a bound a bound (≥, ≤), from a generator-limited figure none (–).',
    rows: rows.map((row) => [c(row.label), ...others.map((o) => {
      const v = row.ratios[o];
      if (!v || v.kind === 'none') return c(DASH);
      const value = v.kind === 'range' ? v.low : v.value;
      return c(formatRatio(v, fmtRatio), {
        'data-ratio': `mcrd/${o}`, 'data-test': row.test, 'data-value': value, 'data-kind': v.kind,
        ...(v.kind === 'range' && { 'data-high': v.high }), ...(v.kind === 'at-least' && { 'data-bound': '>=' }), ...(v.kind === 'at-most' && { 'data-bound': '<=' }),
      });
    })]),
  };
}

export function throughputTable(r: Results, name: string): TableModel {
  const tests = throughputTests(r).filter((t) => t.name === name);
  const tol = tests[0]?.lossTolerance ?? 0;
  const figures = tests.map((t) => ({ t, f: throughputFigure(t) }));
  const capped = figures.filter(({ f }) => f.kind === 'at-least' && !f.generatorLimited).map(({ t }) => t.relay);
  const limited = figures.filter(({ f }) => f.generatorLimited).map(({ t }) => t.relay);
  const open = figures.filter(({ f }) => f.kind === 'bracket').map(({ t }) => t.relay);
  // RFC 3918's aggregated forwarding rate: for a fan-out, what leaves the relay is N times the input.
  const outputs = tests[0]?.repetitions[0]?.steps[0]?.outputs.length ?? 1;
  const notes = [
    ...(capped.length ? [`≥: ${capped.join(', ')} passed at the highest rate probed (the test's maxPps), so the real limit is higher; raise maxPps to measure it.`] : []),
    ...(limited.length ? [`generator-limited: for ${limited.join(', ')} the generator could not offer more than it did, so the figure is the generator's; no ratio is taken from it (mcr-lab calibrate measures the generator).`] : []),
    ...(open.length ? [`${open.join(', ')}: the search ran out of steps before its bracket [highest pass, lowest fail] narrowed to the resolution; the bracket is shown and ratios against it are ranges.`] : []),
    ...(outputs > 1 ? [`Rates are input rates; each input datagram leaves on ${outputs} outputs, so the total output rate is ${outputs} × the input rate.`] : []),
  ];
  return {
    id: `test-${name}`, title: `${name}: RFC 2544 throughput (loss ≤ ${fmtLoss(tol)})`,
    ...(notes.length ? { note: notes.join(' ') } : {}),
    head: ['relay', 'throughput', 'bracket [pass, fail]', 'median pps', 'min', 'max', 'IQR', ...(outputs > 1 ? [`total output pps (× ${outputs})`] : []), 'repetitions', 'trials per search'],
    rows: figures.map(({ t, f }) => {
      const s = f.spread;
      const a = { 'data-relay': t.relay, 'data-test': name };
      const iqr = s.q1 !== undefined && s.q3 !== undefined && s.n > 1 ? `${fmtPps(s.q1)}–${fmtPps(s.q3)}` : DASH;
      return [c(t.relay), figureCell(f, { ...a, 'data-metric': 'throughputPps' }),
        c(`${fmtPps(f.low)}, ${f.high === null ? 'none' : fmtPps(f.high)}`, { ...a, 'data-metric': 'bracket', 'data-value': f.low, ...(f.high !== null && { 'data-high': f.high }) }),
        c(fmtPps(s.median), { ...a, 'data-value': s.median }), c(fmtPps(s.min), { ...a, 'data-value': s.min }), c(fmtPps(s.max), { ...a, 'data-value': s.max }), c(iqr),
        ...(outputs > 1 ? [c(fmtPps(f.value * outputs), { ...a, 'data-metric': 'outputPps', 'data-value': f.value * outputs })] : []),
        c(String(s.n)), c(t.repetitions.map((rep) => rep.steps.length).join(', '))];
    }),
  };
}

export function fixedTable(r: Results, name: string): TableModel {
  const tests = fixedTests(r).filter((t) => t.name === name);
  return {
    id: `test-${name}`, title: `${name}: fixed rate ${fmtPps(tests[0]?.offeredPps ?? 0)} pps offered`,
    head: ['relay', 'loss (worst output)', 'delivered pps (all outputs)', 'latency p50', 'latency p99', 'CPU / packet', 'core CPU / packet', 'own core CPU / packet', 'repetitions'],
    rows: tests.map((t: FixedRateTest) => {
      const a = (metric: string) => ({ 'data-relay': t.relay, 'data-test': name, 'data-metric': metric });
      return [c(t.relay), sc(t.summary.lossRatio, fmtLoss, a('lossRatio')), sc(t.summary.deliveredPps, fmtPps, a('deliveredPps')),
        sc(t.summary.latencyP50Ns, fmtNs, a('latencyP50Ns')), sc(t.summary.latencyP99Ns, fmtNs, a('latencyP99Ns')),
        sc(t.summary.relayCpuNsPerPacket, fmtNs, a('relayCpuNsPerPacket')), sc(t.summary.relayCoreNsPerPacket, fmtNs, a('relayCoreNsPerPacket')),
        sc(t.summary.relayCoreOwnNsPerPacket, fmtNs, a('relayCoreOwnNsPerPacket')), c(String(t.repetitions.length))];
    }),
  };
}

/** Per-output loss of a fan-out (more than one output), or undefined for a 1:1 test. */
export function perOutputTable(r: Results, name: string): TableModel | undefined {
  const tests = fixedTests(r).filter((t) => t.name === name);
  const first = tests[0];
  if (!first || (first.repetitions[0]?.outputs.length ?? 0) < 2) return undefined;
  const per = tests.map((t) => new Map(outputDelivery(t).map((o) => [o.name, o])));
  return {
    id: `outputs-${name}`, title: `${name}: per-output loss (RFC 3918), median over repetitions`,
    head: ['output', 'group', ...tests.map((t) => t.relay)], align: ['l', 'l', ...tests.map(() => 'r' as const)],
    rows: outputDelivery(first).map((o) => [c(o.name), c(o.group), ...per.map((m, i) => {
      const d = m.get(o.name);
      return d ? c(fmtLoss(1 - d.delivered), { 'data-relay': tests[i]!.relay, 'data-test': name, 'data-output': o.name, 'data-metric': 'lossRatio', 'data-value': 1 - d.delivered }) : c(DASH);
    })]),
  };
}

export function latencyTable(r: Results, name: string): TableModel {
  const tests = latencyTests(r).filter((t) => t.name === name);
  return {
    id: `test-${name}`, title: `${name}: latency (one-way, generator → sink, worst output)`,
    head: ['relay', 'offered pps', 'p50', 'p90', 'p99', 'p99.9', 'max', 'p50 added', 'p99 added'],
    rows: tests.map((t: LatencyTest) => {
      const s = t.summary;
      // At a fraction of each relay's own throughput the rates differ, so "added" would mislead.
      const added = t.relay === 'direct' ? null : addedLatency(r, t);
      const a = (metric: string) => ({ 'data-relay': t.relay, 'data-test': name, 'data-metric': metric });
      const addedCell = (v: number | null | undefined, m: string) => (v === null || v === undefined ? c(DASH) : c(fmtNs(v), { ...a(m), 'data-value': v }));
      return [c(t.relay), c(`${fmtPps(t.offeredPps)}${t.loadFraction !== undefined ? ` (${Math.round(t.loadFraction * 100)} % of throughput)` : ''}`, { ...a('offeredPps'), 'data-value': t.offeredPps }),
        sc(s.p50Ns, fmtNs, a('p50Ns')), sc(s.p90Ns, fmtNs, a('p90Ns')), sc(s.p99Ns, fmtNs, a('p99Ns')), sc(s.p999Ns, fmtNs, a('p999Ns')), sc(s.maxNs, fmtNs, a('maxNs')),
        addedCell(added?.p50, 'latencyAddedP50Ns'), addedCell(added?.p99, 'latencyAddedP99Ns')];
    }),
  };
}

export function thresholdTable(r: Results): TableModel {
  const failed = r.thresholds.filter((x) => !x.pass).length;
  return {
    id: 'thresholds', head: ['result', 'check', 'actual', 'limit'], align: ['l', 'l', 'r', 'r'],
    note: r.thresholds.length === 0 ? 'None defined in the scenario.' : failed === 0 ? 'All passed.' : `${failed} of ${r.thresholds.length} failed.`,
    rows: r.thresholds.map((t, i) => [
      c(t.pass ? 'PASS' : 'FAIL', { 'data-pass': String(t.pass), 'data-threshold': i }),
      c(t.description),
      t.actual === null ? c('no data', { 'data-value': 'null' }) : c(fmtMetric(t.metric, t.actual), { 'data-value': t.actual }),
      c(fmtMetric(t.metric, t.limit), { 'data-value': t.limit }),
    ]),
  };
}

/** "steal 0.4 %, all CPUs 63 % busy, load average 3.2 → 5.1, CPU 2596 MHz over 412 s", and why that is noisy. */
export function describeLoad(l: MachineLoad, cpus: number): string {
  const pct = (x: number): string => `${(x * 100).toFixed(x < 0.1 ? 1 : 0)} %`;
  const mhz = l.cpuMhz ? `, CPU ${l.cpuMhz[0] === l.cpuMhz[1] ? l.cpuMhz[0] : `${l.cpuMhz[0]}–${l.cpuMhz[1]}`} MHz` : '';
  const noisy = noisyBecause(l, cpus);
  return `steal ${pct(l.stealRatio)}, all CPUs ${pct(l.busyRatio)} busy, load average ${l.loadavg1[0].toFixed(1)} → ${l.loadavg1[1].toFixed(1)}${mhz} over ${l.seconds} s` +
    (noisy ? `; ${noisy}` : '');
}

export function environmentTable(r: Results): TableModel {
  const e = r.environment;
  const rows: Array<[string, string]> = [
    ['host', e.hostname], ['kernel', e.kernel], ['CPU', `${e.cpus.count} × ${e.cpus.model}`], ['memory', fmtBytes(e.memoryBytes)],
    ...(e.placement ? [['CPU placement', describePlacement(e.placement)] as [string, string]] : []),
    ...(e.mcrdOptions ? [['mcrd options', Object.entries(e.mcrdOptions).map(([k, v]) => `${k} ${v}`).join(', ')] as [string, string]] : []),
    ...(e.load ? [['machine load during the run', describeLoad(e.load, e.cpus.count)] as [string, string]] : []),
    ...Object.entries(e.versions).map(([k, v]): [string, string] => [`version: ${k}`, v]),
    ...Object.entries(e.sysctls),
  ];
  return { id: 'environment', head: ['item', 'value'], align: ['l', 'l'], rows: rows.map(([k, v]) => [c(k), c(v)]) };
}

/** All per-test tables in test order (throughput, fixed-rate + per-output, latency). */
export function testTables(r: Results): TableModel[] {
  const out: TableModel[] = [];
  for (const n of testNames(r)) {
    const kind = r.tests.find((t) => t.name === n)!.kind;
    if (kind === 'throughput') out.push(throughputTable(r, n));
    else if (kind === 'latency') out.push(latencyTable(r, n));
    else {
      out.push(fixedTable(r, n));
      const per = perOutputTable(r, n);
      if (per) out.push(per);
    }
  }
  return out;
}

/** How the numbers were obtained: the RFC 2544/3918 method and this run's parameters. */
export function methodNotes(r: Results): string[] {
  const notes: string[] = [];
  for (const name of testNames(r, 'throughput')) {
    const tests = throughputTests(r).filter((x) => x.name === name);
    const all = tests.flatMap((x) => x.repetitions.flatMap((rep) => rep.steps.map((s) => s.offeredPps)));
    const dur = tests[0]?.repetitions[0]?.steps[0]?.durationS;
    const range = all.length ? `rates probed between ${fmtPps(Math.min(...all))} and ${fmtPps(Math.max(...all))} pps` : 'no trials recorded';
    notes.push(`Throughput (${name}): RFC 2544 §26.1 binary search for the highest offered rate whose worst-output loss is ≤ ${fmtLoss(tests[0]?.lossTolerance ?? 0)}; ` +
      `${range}${dur ? `, ${dur} s per trial` : ''}. The maximum is probed first; a failing rate is retried once and fails only if the retry fails too; ` +
      `${tests[0]?.summary.throughputPps.n ?? 0} repetition(s) of the whole search, reported as median (min–max).`);
  }
  const lat = latencyTests(r)[0];
  if (lat) {
    notes.push(lat.loadFraction !== undefined
      ? `Latency (${lat.name}): measured at ${Math.round(lat.loadFraction * 100)} % of each relay's own median throughput (RFC 2544 §26.2 measures at the throughput rate; a fraction keeps queue build-up out of the figure), so relays are measured at different rates there; added latency is compared at a fixed rate instead. One-way, from the send timestamp in each datagram to its arrival at the sink; percentiles of the worst output per repetition.`
      : `Latency (${lat.name}): measured at a fixed offered rate; one-way, send timestamp to sink arrival; percentiles of the worst output per repetition.`);
  }
  if (fixedTests(r).some((t) => (t.repetitions[0]?.outputs.length ?? 0) > 1)) {
    notes.push('Fan-out: loss is counted per output against what the generator sent (RFC 3918 per-output loss); a trial\'s loss is its worst output\'s, delivered pps sums all outputs.');
  }
  notes.push('Loss counts every datagram sent and not received (duplicates do not make up for losses). Latency "added" is a relay\'s median minus the direct path\'s median on the same test at the same offered rate (lab/results/quantities.ts addedLatency, as the bench and CI compute it).');
  notes.push('CPU per packet: user + system time of the relay\'s whole process tree (all threads, reaped children included) from /proc during the trial, divided by datagrams delivered over all outputs. Kernel forwarding runs in softirq context and direct has no relay process, so neither has a figure.');
  const p = r.environment.placement;
  notes.push(p?.pinned
    ? `Core CPU per packet: busy time (user + nice + system + irq + softirq + steal, /proc/stat) of the relay CPU${p.relay.length > 1 ? 's' : ''} ${formatCpuList(p.relay)} from the generators' start to the end of the settle pause, divided by datagrams delivered over all outputs. Generators and sinks ran pinned to CPU ${formatCpuList(p.traffic)} and RPS steered the relay host's receive work to the relay CPU${p.relay.length > 1 ? 's' : ''}, so this counts the relay's processes and the kernel work done for it alike (kernel forwarding included); for direct it is the core's background. 10 ms tick resolution: short low-rate trials are coarse, and other load on that CPU counts too. Own core CPU per packet leaves other programs' user time out: the user time of the relay's processes plus the system, irq and softirq time of the relay CPUs, per packet.`
    : `Core CPU per packet: not measured (${p ? `no CPU placement: ${p.note ?? p.source}` : 'no CPU placement recorded'}).`);
  const reps = [...new Set(r.tests.map((t) => t.repetitions.length))].sort((a, b) => a - b);
  notes.push(`Repetitions per point: ${reps.join(', ')}${r.scenario.quick ? ' (--quick run: fewer and shorter trials, indicative only)' : ''}.`);
  return notes;
}

/** Header lines: verdict, scenario file, run id and times, relays, skipped relays. */
export function headerLines(r: Results): string[] {
  const failed = r.thresholds.filter((x) => !x.pass).length;
  return [
    `Result: ${r.pass ? 'PASS' : 'FAIL'} (${r.thresholds.length - failed} of ${r.thresholds.length} thresholds passed${r.skipped.length ? `, ${r.skipped.length} relay(s) skipped` : ''})`,
    `Scenario file: ${r.scenario.file}${r.scenario.quick ? ' (quick mode)' : ''}`,
    `Run ${r.runId}: ${r.startedAt} → ${r.finishedAt}`,
    `Relays: ${relaysOf(r).join(', ')}; ${r.tool.name} ${r.tool.version}`,
    ...r.skipped.map((s) => `Skipped ${s.relay}: ${s.reason}`),
  ];
}

export type { RelayName };

/**
 * Renders a bench run (bench/record.ts) as the Markdown of bench/results/latest.md, which is also
 * what `npm run bench -- --update-readme` puts into README.md's performance section.
 * Covered by bench/table.test.ts.
 */
import { formatBounded, formatKernel, formatPps, formatValue } from '../ci/format.js';
import { cell } from '../ci/markdown.js';
import type { RatioRow, RelayNumbers, ScenarioNumbers } from './macro.js';
import type { BenchRecord, Machine } from './record.js';

const dash = '–';

const when = (iso: string): string => `${iso.slice(0, 16).replace('T', ' ')} UTC`;

/** One sentence describing the machine, e.g. `bench-vm: 2 × AMD EPYC 7B13, 3.8 GiB, Linux 6.1.0-26-amd64`. */
export function machineSentence(m: Machine): string {
  const gib = (m.memoryBytes / 2 ** 30).toFixed(1);
  const versions = Object.entries(m.versions).filter(([k]) => k !== 'node').map(([k, v]) => `${k} ${v}`);
  return `${m.hostname}: ${m.cpuCount} × ${m.cpuModel}, ${gib} GiB, ${formatKernel(m.kernel)}; node ${m.node}` +
    (versions.length ? `; ${versions.join(', ')}` : '');
}

function throughputCell(r: RelayNumbers | undefined, outputs: number): string {
  if (!r) return dash;
  if (r.skipped) return `skipped (${cell(r.skipped)})`;
  if (r.throughputPps === null) return dash;
  if (r.throughputBelow !== undefined) return `< ${formatPps(r.throughputBelow)}`;
  const total = outputs > 1 ? ` (${formatPps(r.throughputPps * outputs)} out)` : '';
  return `${r.throughputCapped ? '≥ ' : ''}${formatPps(r.throughputPps)}${total}`;
}

/**
 * mcrd's throughput over another relay's, marked `≥` or `≤` when one side is only a bound: the other
 * relay passed nothing (its figure is an upper bound) or one search hit its top rate (a lower bound).
 */
function ratioOf(mcrd: RelayNumbers | undefined, other: RelayNumbers | undefined): string {
  const a = mcrd?.throughputPps;
  if (a == null || !other) return dash;
  if (other.throughputBelow !== undefined) return `≥ ${formatValue(a / other.throughputBelow, 'ratio')}`;
  const b = other.throughputPps;
  if (b == null || b <= 0) return dash;
  if (mcrd?.throughputCapped && other.throughputCapped) return 'n/a (both only floors)';
  const mark = mcrd?.throughputCapped ? '≥ ' : other.throughputCapped ? '≤ ' : '';
  return `${mark}${formatValue(a / b, 'ratio')}`;
}

function throughputTable(scenarios: ScenarioNumbers[]): string[] {
  const seen = new Map<string, number>();
  const repeated = new Set(scenarios.filter((s, i) => scenarios.findIndex((o) => o.scenario === s.scenario) !== i).map((s) => s.scenario));
  const rows = scenarios.map((s) => {
    const by = (name: string): RelayNumbers | undefined => s.relays.find((r) => r.relay === name);
    const run = (seen.get(s.scenario) ?? 0) + 1;
    seen.set(s.scenario, run);
    const label = `${s.scenario}${repeated.has(s.scenario) ? ` run ${run}` : ''}${s.outputs > 1 ? ` (1 → ${s.outputs}, input rate)` : ''}`;
    const mcrd = by('mcrd');
    return `| ${cell(label)} | ${['direct', 'kernel', 'socat', 'mcrd'].map((n) => throughputCell(by(n), s.outputs)).join(' | ')} | ` +
      `${ratioOf(mcrd, by('kernel'))} | ${ratioOf(mcrd, by('socat'))} |`;
  });
  return [
    '| scenario | direct | kernel | socat | mcrd | mcrd / kernel | mcrd / socat |',
    '|---|---|---|---|---|---|---|',
    ...rows,
  ];
}

function latencyTable(chain: ScenarioNumbers | undefined): string[] {
  if (!chain) return [];
  const direct = chain.relays.find((r) => r.relay === 'direct');
  const rows = chain.relays.filter((r) => r.latencyP50Us !== null).map((r) => {
    const added = (mine: number | null, base: number | null | undefined): string =>
      r.relay === 'direct' || mine === null || base == null || direct?.latencyPps !== r.latencyPps ? dash : formatValue(mine - base, 'µs');
    const ns = r.cpuNsPerPacket === null ? dash : `${Math.round(r.cpuNsPerPacket)} ns`;
    return `| ${r.relay} | ${r.latencyPps === null ? dash : formatPps(r.latencyPps)} | ${formatValue(r.latencyP50Us, 'µs')} | ` +
      `${formatValue(r.latencyP99Us, 'µs')} | ${added(r.latencyP50Us, direct?.latencyP50Us)} | ${added(r.latencyP99Us, direct?.latencyP99Us)} | ${ns} |`;
  });
  if (rows.length === 0) return [];
  return [
    '',
    'Latency (generator → sink, medians of repetitions) and relay CPU per forwarded packet, chain, at the measured rate nearest 50k pps:',
    '',
    '| relay | at | p50 | p99 | p50 added | p99 added | CPU / packet |',
    '|---|---|---|---|---|---|---|',
    ...rows,
  ];
}

function targetsTable(ratios: RatioRow[]): string[] {
  const rows = ratios.map((r) => {
    const op = r.direction === 'higher-is-better' ? '≥' : '≤';
    const met = r.met === null ? `not measured (${cell(r.note)})` : r.met ? '✅ met' : '❌ not met';
    // A figure that only bounds the truth says so, and "met" on a bound pointing the wrong way is not proof.
    const unsure = r.met !== null && r.bound !== undefined &&
      !(r.bound === 'lower' && r.direction === 'higher-is-better' && r.met) && !(r.bound === 'upper' && r.direction === 'higher-is-better' && !r.met);
    return `| ${cell(r.title)} | ${op} ${formatValue(r.target, r.unit)} | ${formatBounded(r.value, r.unit, r.bound)} | ${met}${unsure ? ' (bound only: see note in the record)' : ''} |`;
  });
  return ['', 'Targets of issue 4:', '', '| ratio | target | measured | |', '|---|---|---|---|', ...rows];
}

/** A per-call time: `930 ns`, `11.3 µs`, `93.6 µs`, `1.2 ms`. */
export function formatNs(ns: number): string {
  if (!Number.isFinite(ns)) return dash;
  if (ns < 1000) return `${ns.toFixed(ns < 100 ? 1 : 0)} ns`;
  if (ns < 1e6) return `${(ns / 1000).toFixed(ns < 1e4 ? 2 : 1)} µs`;
  return `${(ns / 1e6).toFixed(2)} ms`;
}

function microTable(record: BenchRecord): string[] {
  if (record.micro.length === 0) return [];
  const rows = record.micro.flatMap((s) => s.skipped
    ? [`| ${s.suite} | skipped: ${cell(s.skipped)} | | | |`]
    : s.results.map((r) => `| ${s.suite} | ${cell(r.task)} | ${formatNs(r.meanNs)} | ${formatNs(r.p99Ns)} | ${Math.round(r.opsPerSec).toLocaleString('en-US')} |`));
  return ['', 'Micro-benchmarks (tinybench; time per call, mean and p99 over samples):', '', '| suite | task | mean | p99 | calls/s |', '|---|---|---|---|---|', ...rows];
}

/**
 * Renders the whole table block.
 * @param record the bench run
 * @param heading the Markdown heading level prefix to use ('##' in latest.md, '###' under README's section)
 */
export function renderBenchMarkdown(record: BenchRecord, heading = '##'): string {
  const lines = [
    `${heading} mcr performance`,
    '',
    `Measured ${when(record.macro?.measuredAt ?? record.startedAt)}${record.quick ? ' (quick mode)' : ''} on ${machineSentence(record.machine)}` +
      (record.macro && record.micro.length > 0 && when(record.macro.measuredAt) !== when(record.startedAt) ? `; micro-benchmarks ${when(record.startedAt)}.` : '.'),
    'Generated by `npm run bench` from bench/results; throughput = highest offered rate with < 0.1 % loss (≥: the relay kept up with everything offered, at the search\'s top rate or the most the generator could send, so its limit is higher).',
    '',
  ];
  if (record.macro) {
    if (record.macroError) lines.push(`Some lab runs failed, their rows are missing: ${cell(record.macroError)}`, '');
    lines.push(...throughputTable(record.macro.scenarios));
    lines.push(...latencyTable(record.macro.scenarios.find((s) => s.scenario === 'chain')));
    lines.push(...targetsTable(record.macro.ratios));
  } else {
    lines.push(`Macro suite not run: ${record.macroError ?? 'skipped (--micro-only)'}`);
  }
  lines.push(...microTable(record), '');
  return lines.join('\n');
}

/**
 * Renders a bench run (bench/record.ts) as the Markdown of bench/results/latest.md, which is also
 * what `npm run bench -- --update-readme` puts into README.md's performance section.
 * Covered by bench/table.test.ts.
 */
import { cell, formatBounded, formatKernel, formatPps, formatValue } from './format.js';
import { formatFigure, formatRatio, ratioOf as figureRatio } from '../lab/results/figures.js';
import { describeLoad } from '../lab/report/tables.js';
import { BUSY_POLL_US, LATENCY_REPETITIONS } from './latency.js';
import type { LatencyRow, RatioRow, RelayNumbers, ScalingRow, ScenarioNumbers } from './macro.js';
import type { BenchRecord, Machine } from './record.js';
import { renderVerdict } from '../soak/table.js';

const dash = '–';

/** Long reasons (a lab error quoting a whole command line) cut for a table cell; the record keeps them whole. */
export function short(text: string, max = 160): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length <= max ? one : `${one.slice(0, max - 1).trimEnd()}…`;
}

const when = (iso: string): string => `${iso.slice(0, 16).replace('T', ' ')} UTC`;

/** One sentence describing the machine, e.g. `bench-vm: 2 × AMD EPYC 7B13, 3.8 GiB, Linux 6.1.0-26-amd64`. */
export function machineSentence(m: Machine): string {
  const gib = (m.memoryBytes / 2 ** 30).toFixed(1);
  const versions = Object.entries(m.versions).filter(([k]) => k !== 'node').map(([k, v]) => `${k} ${v}`);
  return `${m.hostname}: ${m.cpuCount} × ${m.cpuModel}, ${gib} GiB, ${formatKernel(m.kernel)}; node ${m.node}` +
    (versions.length ? `; ${versions.join(', ')}` : '');
}

/**
 * A relay's throughput as the figure says it (lab/results/figures.ts): `196k pps`, a bracket
 * `10k–107k pps` where the search did not resolve it, `≥ 450k pps`, `< 10k pps`, with the spread over
 * repetitions `(153k–242k)` and the unstable and generator-limited markers.
 */
function throughputCell(r: RelayNumbers | undefined, outputs: number): string {
  if (!r) return dash;
  if (r.skipped) return `skipped (${cell(short(r.skipped))})`;
  const f = r.throughput;
  if (!f) return r.throughputPps === null ? dash : formatPps(r.throughputPps);
  const bare = (pps: number): string => formatPps(pps).replace(/ pps$/, '');
  const spread = f.spread.n > 1 && f.spread.min !== f.spread.max ? ` (${bare(f.spread.min)}–${bare(f.spread.max)})` : '';
  const total = outputs > 1 && f.kind !== 'below' ? ` (${formatPps(f.value * outputs)} out)` : '';
  return `${formatFigure(f, formatPps)}${spread}${total}`;
}

/** mcrd's throughput over another relay's, as far as their figures allow (figures.ts ratioOf). */
function ratioOf(mcrd: RelayNumbers | undefined, other: RelayNumbers | undefined): string {
  if (!mcrd?.throughput || !other?.throughput || other.skipped) return dash;
  const r = figureRatio(mcrd.throughput, other.throughput);
  return r.kind === 'none' ? `– (${r.reason.split(':')[0]})` : formatRatio(r, (v) => formatValue(v, 'ratio'));
}

function throughputTable(scenarios: ScenarioNumbers[]): string[] {
  const seen = new Map<string, number>();
  const repeated = new Set(scenarios.filter((s, i) => scenarios.findIndex((o) => o.scenario === s.scenario) !== i).map((s) => s.scenario));
  const rows = scenarios.map((s) => {
    const by = (name: string): RelayNumbers | undefined => s.relays.find((r) => r.relay === name);
    const run = (seen.get(s.scenario) ?? 0) + 1;
    seen.set(s.scenario, run);
    const label = `${s.scenario}${repeated.has(s.scenario) ? ` run ${run}` : ''}${s.quick && repeated.has(s.scenario) ? ' (quick)' : ''}` +
      `${s.outputs > 1 ? ` (1 → ${s.outputs}, input rate)` : ''}`;
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

/**
 * What the lab itself could do on this machine and how busy the machine was, per scenario run: the
 * figures above are only as good as these margins (issue 12: the lab states its own ceilings).
 */
function labTable(scenarios: ScenarioNumbers[]): string[] {
  const rows = scenarios.filter((s) => s.calibration || s.load).map((s) => {
    const c = s.calibration;
    const us = (ns: number): string => `${(ns / 1000).toFixed(1)} µs`;
    const gen = c ? `${formatPps(c.generatorPps)} (${c.tx}, ${us(c.generatorNsPerPacket)} per datagram)` : dash;
    const direct = c ? `${formatPps(c.directPps)} (sink ${us(c.sinkNsPerPacket)} per datagram)` : dash;
    return `| ${cell(s.scenario)} | ${gen} | ${direct} | ${s.load ? cell(describeLoad(s.load, s.cpuCount ?? 2)) : dash} |`;
  });
  if (rows.length === 0) return [];
  return [
    '',
    'The lab\'s own ceilings (`mcr-lab calibrate`, measured before the relays: unpaced generators into the relay host, and the direct path with ' +
      'generator and sink sharing the traffic CPU) and the machine\'s load during each run. A relay figure near a ceiling is the lab\'s, ' +
      'and is marked generator-limited when the generator could not offer the rate:',
    '',
    '| scenario | generators offer up to | direct path carries | machine during the run |',
    '|---|---|---|---|',
    ...rows,
  ];
}

function latencyTable(chain: ScenarioNumbers | undefined): string[] {
  if (!chain) return [];
  const direct = chain.relays.find((r) => r.relay === 'direct');
  const ns = (v: number | null): string => (v === null ? dash : `${Math.round(v)} ns`);
  const rows = chain.relays.filter((r) => r.latencyP50Us !== null).map((r) => {
    const added = (mine: number | null, base: number | null | undefined): string =>
      r.relay === 'direct' || mine === null || base == null || direct?.latencyPps !== r.latencyPps ? dash : formatValue(mine - base, 'µs');
    return `| ${r.relay} | ${r.latencyPps === null ? dash : formatPps(r.latencyPps)} | ${formatValue(r.latencyP50Us, 'µs')} | ` +
      `${formatValue(r.latencyP99Us, 'µs')} | ${added(r.latencyP50Us, direct?.latencyP50Us)} | ${added(r.latencyP99Us, direct?.latencyP99Us)} | ` +
      `${ns(r.cpuNsPerPacket)} | ${ns(r.coreNsPerPacket)} | ${ns(r.coreNsPerPacket150k)} |`;
  });
  if (rows.length === 0) return [];
  const background = direct?.coreNsPerPacket ?? null;
  const caveat = background === null ? [] : [
    '',
    `direct forwards nothing, so its relay-core figure is that core's background (other processes, timer ticks) spread over the same ` +
      `packets: ${ns(background)} per packet here. A relay's figure near it measures the machine, not the relay; the CPU ratios in ` +
      'the targets below are only as good as that margin.',
  ];
  return [
    '',
    'Latency (generator → sink, medians of repetitions) and CPU per forwarded packet, chain, at the measured rate nearest 50k pps. ' +
      '"process CPU": user + system time of the relay\'s processes (none for kernel forwarding); "relay core": busy time of the core the ' +
      'relay is placed on, whatever ran there (softirq included), the same measure for every relay (direct: that core\'s background):',
    '',
    '| relay | at | p50 | p99 | p50 added | p99 added | process CPU / packet | relay core / packet | relay core / packet at 150k pps |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
    ...caveat,
  ];
}

function latencySuiteTable(rows: LatencyRow[] | undefined): string[] {
  if (!rows || rows.length === 0) return [];
  const ns = (v: number | null): string => (v === null ? dash : `${Math.round(v)} ns`);
  const body = rows.map((r) => `| ${cell(r.config)} | ${formatPps(r.pps)} | ${formatValue(r.p50Us, 'µs')} | ${formatValue(r.p99Us, 'µs')} | ` +
    `${formatValue(r.p50AddedUs, 'µs')} | ${formatValue(r.p99AddedUs, 'µs')} | ${ns(r.cpuNsPerPacket)} |`);
  const runs = Math.max(...rows.map((r) => r.runs));
  return [
    '',
    `Latency suite (bench/latency.ts: the chain at fixed rates **without CPU placement** (\`cpus: false\`), ${LATENCY_REPETITIONS} repetitions per ` +
      `rate, medians${runs > 1 ? `, then the median over ${runs} runs` : ''}; added = over direct of the same run at the same rate). mcrd runs with its ` +
      `defaults, with \`--busy-poll-us ${BUSY_POLL_US}\`, which spins its core to skip the idle-vCPU wake-up, and with \`--adaptive-poll on\`, which spins ` +
      'only while frames keep coming; "process CPU" is what each costs:',
    '',
    '| relay | at | p50 | p99 | p50 added | p99 added | process CPU / packet |',
    '|---|---|---|---|---|---|---|',
    ...body,
  ];
}

function scalingTable(rows: ScalingRow[] | undefined): string[] {
  if (!rows || rows.length === 0) return [];
  const body = rows.map((r) => {
    const who = r.relay === 'direct' ? 'direct (ceiling)' : `mcrd, ${r.workers} worker${r.workers === 1 ? '' : 's'}`;
    const per = r.perStreamPps === null ? `${dash}${r.note ? ` (${cell(short(r.note))})` : ''}` : `${r.capped ? '≥ ' : ''}${formatPps(r.perStreamPps)}`;
    const total = r.totalPps === null ? dash : `${r.totalCapped ? '≥ ' : ''}${formatPps(r.totalPps)}`;
    const fwd = r.maxForwardingPps === null ? dash : formatPps(r.maxForwardingPps);
    return `| ${who} | ${r.streams} | ${per} | ${total} | ${fwd} | ${r.duplicates} | ${r.reordered} |`;
  });
  return [
    '',
    'Scaling (scenarios/scaling.yaml: the chain topology with 4 streams of 64-byte datagrams, one generator per stream; ' +
      'zero-loss = every stream < 0.1 % loss, the total is what the generators actually sent at that step (≥: they sent less than offered, ' +
      'and all of it arrived); most forwarded = the highest sum over streams that arrived in any trial, overloaded or not; ' +
      'duplicates and reordered summed over every stream of every trial). On a 2-CPU machine the second worker shares its CPU with ' +
      'the generators and the sink, so this shows whether a second worker helps there, not how mcrd scales on free cores:',
    '',
    '| run | streams | zero-loss rate per stream offered | zero-loss total | most forwarded, total | duplicates | reordered |',
    '|---|---|---|---|---|---|---|',
    ...body,
  ];
}

function targetsTable(ratios: RatioRow[]): string[] {
  const rows = ratios.map((r) => {
    const op = r.direction === 'higher-is-better' ? (r.strict ? '>' : '≥') : (r.strict ? '<' : '≤');
    const met = r.met === null ? `not measured (${cell(short(r.note))})` : r.met ? '✅ met' : '❌ not met';
    // A figure that only bounds the truth says so, and "met" on a bound pointing the wrong way is not proof.
    const unsure = r.met !== null && r.bound !== undefined &&
      !(r.bound === 'lower' && r.direction === 'higher-is-better' && r.met) && !(r.bound === 'upper' && r.direction === 'higher-is-better' && !r.met);
    return `| ${cell(r.title)} | ${op} ${formatValue(r.target, r.unit)} | ${formatBounded(r.value, r.unit, r.bound, { ...(r.range && { range: r.range }), ...(r.unstable && { unstable: true }) })}${r.at ? ` ${cell(r.at)}` : ''} | ${met}${unsure ? ' (bound only: see note in the record)' : ''} |`;
  });
  return [
    '', 'Targets of issue 4. Throughput, loss and CPU rows: the chain, dual-bridge and fan-out runs with CPU placement (traffic on one ' +
      'CPU, the relay on the other). Latency-added rows: the latency suite, without placement, at 50k pps, mcrd with its defaults and with ' +
      `--busy-poll-us ${BUSY_POLL_US} (its process CPU per packet in brackets), kernel for context. Queues: the worst of mcrd's p99 latencies ` +
      '(each the worst output\'s p99 as the median over repetitions) must stay under 1 ms, over every fixed-rate and latency test offered ' +
      'below mcrd\'s own measured throughput in the placed runs, and at 10k and 50k pps (all below it) in the latency suite without placement:', '',
    '| ratio | target | measured | |', '|---|---|---|---|', ...rows,
  ];
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
    : s.results.flatMap((r) => r.timedIn === 'native' ? [] : [
      `| ${s.suite} | ${cell(r.task)} | ${formatNs(r.meanNs)} | ${formatNs(r.p99Ns)} | ${Math.round(r.opsPerSec).toLocaleString('en-US')} |`]));
  return [
    '', 'Micro-benchmarks (tinybench; time per call, mean and p99 over samples):', '', '| suite | task | mean | p99 | calls/s |', '|---|---|---|---|---|',
    ...rows, ...nativeTable(record),
  ];
}

/**
 * Tasks timed inside C++: not comparable with the tinybench rows (no N-API call in them), so they
 * get their own table saying how they were timed.
 */
function nativeTable(record: BenchRecord): string[] {
  const results = record.micro.flatMap((s) => s.results.flatMap((r) => (r.timedIn === 'native' ? [r] : [])));
  if (results.length === 0) return [];
  const perCall = [...new Set(results.map((r) => `${r.opsPerCall.toLocaleString('en-US')} ${r.unit}`))].join(' or ');
  const rows = results.map((r) => `| ${r.suite} | ${cell(r.task)} | ${formatNs(r.medianNs)} | ${formatNs(r.minNs)} – ${formatNs(r.maxNs)} | ${r.calls} | ` +
    `${(r.opsPerSec / 1e6).toFixed(1)} M |`);
  return [
    '', `Timed inside C++ (a JS call per operation would time N-API, not the code): each call times ${perCall} in a loop; ` +
      'ns per operation is the median over the calls (one warm-up call not counted), with the fastest and slowest call:', '',
    '| suite | task | ns per operation (median) | range over calls | calls | operations/s |', '|---|---|---|---|---|---|', ...rows,
  ];
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
    'Generated by `npm run bench` from bench/results; throughput = highest offered rate that passed (loss < 0.1 %, the generator reached 97 % of ' +
      'the rate, p99 < 20 ms), median over repetitions with (min–max); a bracket "10k–107k" where the search ran out of steps before narrowing ' +
      'to its resolution; ≥ where nothing failed (the search\'s top rate, or generator-limited: the generator could not offer more); ' +
      '"(unstable)" where repetitions spread by more than 25 % of the median. Ratios are single numbers only between resolved figures, ' +
      'ranges or bounds otherwise, none from a generator-limited figure.',
    '',
  ];
  if (record.macro) {
    if (record.macroError) lines.push(`Some lab runs failed, their rows are missing: ${cell(short(record.macroError, 400))}`, '');
    lines.push(...throughputTable(record.macro.scenarios));
    lines.push(...labTable(record.macro.scenarios));
    lines.push(...latencyTable(record.macro.scenarios.find((s) => s.scenario === 'chain')));
    lines.push(...latencySuiteTable(record.macro.latency));
    lines.push(...scalingTable(record.macro.scaling));
    lines.push(...targetsTable(record.macro.ratios));
  } else {
    lines.push(`Macro suite not run: ${record.macroError ?? 'skipped (--micro-only)'}`);
  }
  lines.push(...microTable(record), '');
  if (record.soak) lines.push(`${heading}# soak, ${record.soak.minutes} min`, '', '```', renderVerdict(record.soak.verdict), '```', '');
  return lines.join('\n');
}

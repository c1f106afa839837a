// The bench's Markdown (bench/results/latest.md and README's performance section), rendered from the
// ci/ results fixtures, and the README marker replacement.
import { describe, expect, test } from 'vitest';
import { buildResults, FIXTURES } from '../lab/results/fixtures/build.js';
import type { LoadedResults } from '../lab/results/validate.js';
import { macroSummary } from './macro.js';
import { PERF_END, PERF_START, replacePerfSection } from './readme.js';
import { describeMachine, type BenchRecord } from './record.js';
import { formatNs, renderBenchMarkdown, short } from './table.js';
import { judge } from '../soak/verdict.js';

const files: LoadedResults[] = ['chain.json', 'dual-bridge.json', 'fanout-50.json', 'scaling-1w.json', 'scaling-2w.json', 'latency-default.json', 'latency-busy-poll.json']
  .map((n) => ({ path: n, results: buildResults(FIXTURES[n]!) }));

function record(over: Partial<BenchRecord> = {}): BenchRecord {
  return {
    kind: 'mcr-bench', version: 1, startedAt: '2026-11-22T05:00:00.000Z', finishedAt: '2026-11-22T05:10:00.000Z', quick: true,
    machine: describeMachine(files[0]!.results.environment),
    micro: [
      { suite: 'parser', results: [{ suite: 'parser', task: 'parseFrame plain', opsPerSec: 5_000_000, meanNs: 200, p99Ns: 450, rmePct: 1, samples: 100 }] },
      { suite: 'engine counters', results: [], skipped: 'no Engine export' },
      {
        suite: 'rule lookup', results: [
          { suite: 'rule lookup', task: '1,000 any-source', timedIn: 'native', medianNs: 6.2, minNs: 5.9, maxNs: 9.1, calls: 9, opsPerCall: 1_000_000, unit: 'lookups', opsPerSec: 1e9 / 6.2 },
        ],
      },
    ],
    macro: { ...macroSummary(files), results: files.map((f) => f.path), measuredAt: '2026-11-22T04:00:00.000Z' },
    ...over,
  };
}

describe('bench table', () => {
  const md = renderBenchMarkdown(record());

  test('describes the machine from the lab environment', () => {
    expect(md).toContain('Measured 2026-11-22 04:00 UTC (quick mode) on fixture-vm: 2 × Fixture vCPU, 4.0 GiB, Linux 6.1.0-fixture;');
    // The lab ran earlier than the micro-benchmarks (--results): both times are given.
    expect(md).toContain('; micro-benchmarks 2026-11-22 05:00 UTC.');
    expect(md).toContain('mcrd 0.1.0, socat 1.7.4.4');
  });

  test('one throughput row per scenario with every relay and the mcrd ratios', () => {
    // Each figure with its spread over the repetitions (min–max).
    expect(md).toContain('| chain | 290k pps (284k–296k) | 300k pps (294k–306k) | 60k pps (59k–61k) | 270k pps (265k–275k) | 0.900× | 4.50× |');
    expect(md).toContain('| dual-bridge | – | 187k pps (183k–191k) | 39k pps (38k–40k) | 170k pps (167k–173k) | 0.909× | 4.36× |');
    expect(md).toContain('| fanout-50 (1 → 50, input rate) | – | – | 1.0k pps (1.0k–1.0k) (50k pps out) | 5.0k pps (4.9k–5.1k) (250k pps out) | – | 5.00× |');
  });

  test('latency and CPU per packet rows for the chain, with latency added over direct and the relay core\'s cost for every relay', () => {
    expect(md).toContain('| relay | at | p50 | p99 | p50 added | p99 added | process CPU / packet | relay core / packet | relay core / packet at 150k pps |');
    expect(md).toContain('| mcrd | 50k pps | 35.0 µs | 150.0 µs | 15.0 µs | 90.0 µs | 4000 ns | 4200 ns | 3600 ns |');
    // Kernel forwarding has no process, but its relay core has a cost.
    expect(md).toContain('| kernel | 50k pps | 23.0 µs | 70.0 µs | 3.0 µs | 10.0 µs | – | 3300 ns | 3000 ns |');
    expect(md).toContain('| direct | 50k pps | 20.0 µs | 60.0 µs | – | – | – | – | – |');
    // The fixtures give direct no relay-core figure: no background sentence.
    expect(md).not.toContain('background (other processes');
  });

  test('direct\'s relay-core figure is named as the core\'s background, so a reader can weigh the CPU ratios', () => {
    const r = buildResults(FIXTURES['chain.json']!);
    for (const t of r.tests) {
      if (t.kind === 'latency' && t.relay === 'direct') for (const x of t.repetitions) x.relayCoreNsPerPacket = 900;
    }
    const text = renderBenchMarkdown(record({ macro: { ...macroSummary([{ path: 'x', results: r }]), results: [], measuredAt: '2026-11-22T04:00:00.000Z' } }));
    expect(text).toContain('| direct | 50k pps | 20.0 µs | 60.0 µs | – | – | – | 900 ns | – |');
    expect(text).toContain('its relay-core figure is that core\'s background (other processes, timer ticks) spread over the same packets: 900 ns per packet here.');
  });

  test('the scaling runs get their own table, direct first, not rows of the throughput table', () => {
    expect(md).toContain('| run | streams | zero-loss rate per stream offered | zero-loss total | most forwarded, total | duplicates | reordered |');
    expect(md).toContain('| direct (ceiling) | 4 | 150k pps | 600k pps | 734k pps | 0 | 0 |');
    expect(md).toContain('| mcrd, 1 worker | 4 | 60k pps | 240k pps |');
    expect(md).toContain('| mcrd, 2 workers | 4 | 90k pps | 360k pps |');
    expect(md).not.toMatch(/^\| scaling/m);
  });

  test('new issue-4 targets: relay-core cost, queues below the throughput, scaling, with the exact criteria', () => {
    expect(md).toContain('| Chain relay-core CPU per packet at 150k pps, mcrd / kernel | ≤ 1.30× | 1.20× | ✅ met |');
    expect(md).toContain('| Chain relay-core CPU per packet at 50k pps, mcrd / kernel | ≤ 1.30× | 1.27× | ✅ met |');
    expect(md).toContain('| Chain: mcrd worst p99 at any tested rate below its throughput | < 1.00 ms | 800.0 µs at 150k pps (fixed-150k; throughput 270k pps) | ✅ met |');
    expect(md).toContain('| Scaling: total throughput over 4 streams, mcrd 2 workers / 1 worker | > 1.00× | 1.50× | ✅ met |');
    expect(md).toContain('| Scaling: duplicates + reordered within a stream, mcrd 2 workers, all trials | ≤ 0 | 0 | ✅ met |');
    expect(md).toContain('must stay under 1 ms');
  });

  test('a strict target is not met at its own value: equal throughput with 2 workers is no rise', () => {
    const same = [files[3]!, { path: 'w2', results: buildResults({ ...FIXTURES['scaling-2w.json']!, relays: { mcrd: { throughputPps: 60_000 } } }) }];
    const text = renderBenchMarkdown(record({ macro: { ...macroSummary(same), results: [], measuredAt: '2026-11-22T04:00:00.000Z' } }));
    expect(text).toContain('| Scaling: total throughput over 4 streams, mcrd 2 workers / 1 worker | > 1.00× | 1.00× | ❌ not met |');
  });

  test('each issue-4 target says met or not met with the measured figure', () => {
    expect(md).toContain('| Chain throughput, mcrd / kernel | ≥ 0.850× | 0.900× | ✅ met |');
    expect(md).toContain('| Chain throughput, mcrd / socat | ≥ 4.00× | 4.50× | ✅ met |');
    expect(md).toContain('| Chain p50 latency added by mcrd, defaults (vs direct; 50k pps, no CPU placement) | ≤ 20.0 µs | 12.0 µs (mcrd process CPU 6.5 µs per packet at 50k pps) | ✅ met |');
  });

  test('the latency targets come from the latency suite, per mcrd configuration with its CPU cost, kernel for context; the placed chain\'s are not targets', () => {
    expect(md).toContain('| Chain p99 latency added by mcrd, defaults (vs direct; 50k pps, no CPU placement) | ≤ 200.0 µs | 140.0 µs | ✅ met |');
    expect(md).toContain('| Chain p50 latency added by mcrd --busy-poll-us 200 (vs direct; 50k pps, no CPU placement) | ≤ 20.0 µs | 4.0 µs (mcrd process CPU 20.0 µs per packet at 50k pps) | ✅ met |');
    expect(md).toContain('| Chain p99 latency added by mcrd --busy-poll-us 200 (vs direct; 50k pps, no CPU placement) | ≤ 200.0 µs | 60.0 µs | ✅ met |');
    expect(md).toContain('| Context: chain p50 latency added by kernel forwarding (vs direct; 50k pps, no CPU placement) | ≤ 20.0 µs | 6.0 µs | ✅ met |');
    expect(md).toContain('| Chain, no CPU placement, mcrd defaults: worst p99 at 10k and 50k pps | < 1.00 ms | 200.0 µs at 50k pps (fixed-50k) | ✅ met |');
    expect(md).toContain('| Chain, no CPU placement, mcrd --busy-poll-us 200: worst p99 at 10k and 50k pps | < 1.00 ms | 120.0 µs at 50k pps (fixed-50k) | ✅ met |');
    expect(md).not.toContain('with CPU placement (vs direct)');
    expect(md).toContain('Latency-added rows: the latency suite, without placement, at 50k pps');
  });

  test('the latency suite gets its own table: each configuration at 10k and 50k pps, added over direct, process CPU; no throughput rows', () => {
    expect(md).toContain('the chain at fixed rates **without CPU placement** (`cpus: false`), 3 repetitions per rate');
    expect(md).toContain('| relay | at | p50 | p99 | p50 added | p99 added | process CPU / packet |');
    expect(md).toContain('| direct | 50k pps | 10.0 µs | 60.0 µs | – | – | – |');
    expect(md).toContain('| kernel | 50k pps | 16.0 µs | 100.0 µs | 6.0 µs | 40.0 µs | – |');
    expect(md).toContain('| mcrd (defaults) | 10k pps | 20.0 µs | 150.0 µs | 12.0 µs | 110.0 µs | – |');
    expect(md).toContain('| mcrd (defaults) | 50k pps | 22.0 µs | 200.0 µs | 12.0 µs | 140.0 µs | 6500 ns |');
    expect(md).toContain('| mcrd --busy-poll-us 200 | 50k pps | 14.0 µs | 120.0 µs | 4.0 µs | 60.0 µs | 20000 ns |');
    expect(md).not.toMatch(/^\| latency-/m);
  });

  test('a target below its figure reads not met, an unmeasured one says why', () => {
    const r = record({ macro: { ...macroSummary(files.slice(0, 2)), results: [], measuredAt: '2026-11-22T04:00:00.000Z' } });
    const text = renderBenchMarkdown(r);
    expect(text).toContain('| Fan-out 1→50 total output / mcrd 1:1 chain rate | ≥ 0.900× | – | not measured (no results for scenario fanout-50) |');
    const slow: LoadedResults[] = [{ path: 'x', results: buildResults(FIXTURES['chain-regressed.json']!) }];
    expect(renderBenchMarkdown(record({ macro: { ...macroSummary(slow), results: [], measuredAt: '2026-11-22T04:00:00.000Z' } }))).toContain('| Chain throughput, mcrd / kernel | ≥ 0.850× | 0.500× | ❌ not met |');
  });

  test('a search ceiling reached reads ≥, a search that found nothing reads < its lowest rate', () => {
    const r = buildResults(FIXTURES['chain.json']!);
    for (const t of r.tests) {
      if (t.kind !== 'throughput') continue;
      if (t.relay === 'kernel') for (const rep of t.repetitions) rep.steps = rep.steps.filter((s) => s.offeredPps <= rep.throughputPps);
      if (t.relay === 'socat') for (const rep of t.repetitions) for (const s of rep.steps) s.lossRatio = 0.5;
    }
    const text = renderBenchMarkdown(record({ macro: { ...macroSummary([{ path: 'x', results: r }]), results: [], measuredAt: '2026-11-22T04:00:00.000Z' } }));
    expect(text).toContain('| chain | 290k pps (284k–296k) | ≥ 300k pps (294k–306k) | < 60k pps | 270k pps (265k–275k) | ≤ 0.900× | ≥ 4.50× |');
    expect(text).toContain('| Chain throughput, mcrd / socat | ≥ 4.00× | ≥ 4.50× | ✅ met |');
    // kernel's figure is a floor, so mcrd / kernel is a ceiling: "met" on it is no proof.
    expect(text).toContain('| Chain throughput, mcrd / kernel | ≥ 0.850× | ≤ 0.900× | ✅ met (bound only: see note in the record) |');
  });

  test('repeated runs of a scenario get one numbered row each', () => {
    const twice = [files[0]!, files[0]!, files[1]!];
    const text = renderBenchMarkdown(record({ macro: { ...macroSummary(twice), results: [], measuredAt: '2026-11-22T04:00:00.000Z' } }));
    expect(text).toContain('| chain run 1 (quick) | 290k pps (284k–296k) |');
    expect(text).toContain('| chain run 2 (quick) | 290k pps (284k–296k) |');
    expect(text).toContain('| dual-bridge | – |');
  });

  test('micro results and skipped suites are listed', () => {
    expect(md).toContain('| parser | parseFrame plain | 200 ns | 450 ns | 5,000,000 |');
    expect(md).toContain('| engine counters | skipped: no Engine export | | | |');
  });

  test('tasks timed in C++ get their own table saying how they were timed, not tinybench columns', () => {
    expect(md).toContain('Timed inside C++ (a JS call per operation would time N-API, not the code): each call times 1,000,000 lookups in a loop; ' +
      'ns per operation is the median over the calls (one warm-up call not counted), with the fastest and slowest call:');
    expect(md).toContain('| rule lookup | 1,000 any-source | 6.2 ns | 5.9 ns – 9.1 ns | 9 | 161.3 M |');
    expect(md).not.toMatch(/\| rule lookup \| 1,000 any-source \| [^|]+ \| [^|]+ \| [\d,]+ \|$/m);
  });

  test('a partly failed macro run shows what it has and says which runs failed', () => {
    const text = renderBenchMarkdown(record({ macroError: 'fanout-50: mcr-lab run fanout-50 wrote no results.json' }));
    expect(text).toContain('Some lab runs failed, their rows are missing: fanout-50: mcr-lab run fanout-50 wrote no results.json');
    expect(text).toContain('| chain | 290k pps (284k–296k) |');
  });

  test('without a macro run the table says why', () => {
    const { macro: _drop, ...rest } = record();
    expect(renderBenchMarkdown({ ...rest, macroError: 'needs root' })).toContain('Macro suite not run: needs root');
  });

  test('a long reason is cut for its table cell', () => {
    expect(short(`mcr-sink failed: ${'x'.repeat(300)}`)).toHaveLength(160);
    expect(short(`mcr-sink failed: ${'x'.repeat(300)}`)).toMatch(/^mcr-sink failed: x+…$/);
    expect(short('kernel:  no\nMFC')).toBe('kernel: no MFC');
  });

  test.each([[12.34, '12.3 ns'], [930, '930 ns'], [11_287, '11.3 µs'], [9_500, '9.50 µs'], [2_500_000, '2.50 ms']])('%d ns reads %s', (ns, text) => {
    expect(formatNs(ns)).toBe(text);
  });

  test('a --soak run appends the soak verdict as its own section; without it there is none', () => {
    const verdict = judge({
      startMs: 0, warmupMs: 0, streamPps: 1, faults: [],
      samples: [0, 10_000].map((atMs) => ({ atMs, rules: 1, processes: [{ role: 'supervisor' as const, pid: 1, rssKiB: 9, anonKiB: 5, fds: 9, sockets: 3 }, { role: 'worker' as const, pid: 2, rssKiB: 9, anonKiB: 5, fds: 9, sockets: 3 }] })),
      segments: [{ index: 0, startMs: 0, endMs: 10_000, outputs: { 'g:1@r1': { stream: 1, sent: 10, received: 10, sendErrors: 0 } }, countedDrops: 0 }], lateCountedDrops: 0,
      finalRules: { expected: ['s1'], actual: ['s1'] }, finalIgmp: { expected: [], actual: [] }, errorLines: [],
    });
    const text = renderBenchMarkdown(record({ soak: { minutes: 30, verdict } }));
    expect(text).toContain('### soak, 30 min\n\n```\nwindow');
    expect(text).toContain('verdict: PASS\n```');
    expect(md).not.toContain('soak');
  });
});

describe('README performance section', () => {
  const readme = `# mcr\n\nintro\n\n## Performance\n\n${PERF_START}\nold table\n${PERF_END}\n\n## License\n`;

  test('only the text between the markers is replaced; the markers stay', () => {
    expect(replacePerfSection(readme, '### new\n| a |\n')).toBe(`# mcr\n\nintro\n\n## Performance\n\n${PERF_START}\n### new\n| a |\n${PERF_END}\n\n## License\n`);
  });

  test.each([
    ['# mcr\n', `README.md: no ${PERF_START} marker`],
    [`${PERF_START}\n`, `README.md: no ${PERF_END} marker`],
    [`${PERF_END}\n${PERF_START}\n`, `README.md: ${PERF_END} comes before ${PERF_START}`],
    [`${PERF_START}\n${PERF_END}\n${PERF_START}\n`, `README.md: ${PERF_START} appears more than once`],
  ])('%j is refused: %s', (text, message) => {
    expect(() => replacePerfSection(text, 'x')).toThrow(message);
  });
});

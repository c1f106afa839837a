// The bench's Markdown (bench/results/latest.md and README's performance section), rendered from the
// ci/ results fixtures, and the README marker replacement.
import { describe, expect, test } from 'vitest';
import { buildResults, FIXTURES } from '../ci/fixtures/build.js';
import type { LoadedResults } from '../ci/results-file.js';
import { macroSummary } from './macro.js';
import { PERF_END, PERF_START, replacePerfSection } from './readme.js';
import { describeMachine, type BenchRecord } from './record.js';
import { formatNs, renderBenchMarkdown } from './table.js';

const files: LoadedResults[] = ['chain.json', 'dual-bridge.json', 'fanout-50.json'].map((n) => ({ path: n, results: buildResults(FIXTURES[n]!) }));

function record(over: Partial<BenchRecord> = {}): BenchRecord {
  return {
    kind: 'mcr-bench', version: 1, startedAt: '2026-11-22T05:00:00.000Z', finishedAt: '2026-11-22T05:10:00.000Z', quick: true,
    machine: describeMachine(files[0]!.results.environment),
    micro: [
      { suite: 'parser', results: [{ suite: 'parser', task: 'parseFrame plain', opsPerSec: 5_000_000, meanNs: 200, p99Ns: 450, rmePct: 1, samples: 100 }] },
      { suite: 'rule lookup', results: [], skipped: 'no JS surface' },
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
    expect(md).toContain('| chain | 290k pps | 300k pps | 60k pps | 270k pps | 0.900× | 4.50× |');
    expect(md).toContain('| dual-bridge | – | 187k pps | 39k pps | 170k pps | 0.909× | 4.36× |');
    expect(md).toContain('| fanout-50 (1 → 50, input rate) | – | – | 1.0k pps (50k pps out) | 5.0k pps (250k pps out) | – | 5.00× |');
  });

  test('latency and CPU per packet rows for the chain, with latency added over direct', () => {
    expect(md).toContain('| mcrd | 50k pps | 35.0 µs | 150.0 µs | 15.0 µs | 90.0 µs | 4000 ns |');
    expect(md).toContain('| direct | 50k pps | 20.0 µs | 60.0 µs | – | – | – |');
  });

  test('each issue-4 target says met or not met with the measured figure', () => {
    expect(md).toContain('| Chain throughput, mcrd / kernel | ≥ 0.850× | 0.900× | ✅ met |');
    expect(md).toContain('| Chain throughput, mcrd / socat | ≥ 4.00× | 4.50× | ✅ met |');
    expect(md).toContain('| Chain p50 latency added by mcrd (vs direct) | ≤ 20.0 µs | 15.0 µs | ✅ met |');
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
      if (t.relay === 'socat') {
        for (const rep of t.repetitions) rep.throughputPps = 0;
        t.summary.throughputPps = { median: 0, min: 0, max: 0, n: 3 };
      }
    }
    const text = renderBenchMarkdown(record({ macro: { ...macroSummary([{ path: 'x', results: r }]), results: [], measuredAt: '2026-11-22T04:00:00.000Z' } }));
    expect(text).toContain('| chain | 290k pps | ≥ 300k pps | < 59k pps | 270k pps | ≤ 0.900× | ≥ 4.59× |');
    expect(text).toContain('| Chain throughput, mcrd / socat | ≥ 4.00× | ≥ 4.59× | ✅ met |');
    // kernel's figure is a floor, so mcrd / kernel is a ceiling: "met" on it is no proof.
    expect(text).toContain('| Chain throughput, mcrd / kernel | ≥ 0.850× | ≤ 0.900× | ✅ met (bound only: see note in the record) |');
  });

  test('repeated runs of a scenario get one numbered row each', () => {
    const twice = [files[0]!, files[0]!, files[1]!];
    const text = renderBenchMarkdown(record({ macro: { ...macroSummary(twice), results: [], measuredAt: '2026-11-22T04:00:00.000Z' } }));
    expect(text).toContain('| chain run 1 | 290k pps |');
    expect(text).toContain('| chain run 2 | 290k pps |');
    expect(text).toContain('| dual-bridge | – |');
  });

  test('micro results and skipped suites are listed', () => {
    expect(md).toContain('| parser | parseFrame plain | 200 ns | 450 ns | 5,000,000 |');
    expect(md).toContain('| rule lookup | skipped: no JS surface | | | |');
  });

  test('a partly failed macro run shows what it has and says which runs failed', () => {
    const text = renderBenchMarkdown(record({ macroError: 'fanout-50: mcr-lab run fanout-50 wrote no results.json' }));
    expect(text).toContain('Some lab runs failed, their rows are missing: fanout-50: mcr-lab run fanout-50 wrote no results.json');
    expect(text).toContain('| chain | 290k pps |');
  });

  test('without a macro run the table says why', () => {
    const { macro: _drop, ...rest } = record();
    expect(renderBenchMarkdown({ ...rest, macroError: 'needs root' })).toContain('Macro suite not run: needs root');
  });

  test.each([[12.34, '12.3 ns'], [930, '930 ns'], [11_287, '11.3 µs'], [9_500, '9.50 µs'], [2_500_000, '2.50 ms']])('%d ns reads %s', (ns, text) => {
    expect(formatNs(ns)).toBe(text);
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

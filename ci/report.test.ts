// Markdown summary and JUnit XML rendering of a performance comparison.
import { describe, expect, test } from 'vitest';
import type { Baseline } from './baseline.js';
import { compare, type Report } from './compare.js';
import { buildResults, FIXTURES } from '../lab/results/fixtures/build.js';
import { cell, formatBounded, formatKernel, formatPps, formatValue } from '../bench/format.js';
import { formatExpected } from './format.js';
import { renderJunit, xml } from './junit.js';
import { headline, renderMarkdown } from './markdown.js';
import type { LoadedResults } from '../lab/results/validate.js';

const load = (...names: string[]): LoadedResults[] => names.map((n) => ({ path: `lab/results/fixtures/${n}`, results: buildResults(FIXTURES[n]!) }));
const baseline: Baseline = {
  'chain.throughput.mcrd/kernel': { value: 0.85, tolerance: 0.25, direction: 'higher-is-better' },
  'chain.throughput.mcrd/socat': { value: 4, tolerance: 0.25, direction: 'higher-is-better' },
  'fanout-50.output/chain': { value: 0.9, tolerance: 0.25, direction: 'higher-is-better', required: true },
  'chain.latency.p50-added': { value: 20, tolerance: 1, direction: 'lower-is-better' },
  'chain.relay-core-per-packet.mcrd/kernel@150k': { value: 1.3, tolerance: 0.4, direction: 'lower-is-better' },
};
/** Chain regressed, dual-bridge and fan-out absent, one metric without baseline: most verdicts at once. */
function mixed(): { report: Report; files: LoadedResults[] } {
  const files = load('chain-regressed.json');
  return { report: compare(files, baseline), files };
}

/** Each <testcase …>…</testcase> block of a JUnit document, by name. */
function testcases(doc: string): Map<string, string> {
  return new Map([...doc.matchAll(/<testcase [^>]*name="([^"]+)"[^>]*>([\s\S]*?)<\/testcase>/g)].map((m) => [m[1]!, m[2]!]));
}

describe('formatting', () => {
  test.each([
    [0.9, 'ratio', '0.900×'], [4.5, 'ratio', '4.50×'], [12.25, 'ratio', '12.3×'], [15, 'µs', '15.0 µs'],
    [null, 'ratio', '–'], [Number.NaN, 'µs', '–'], [999.94, 'µs', '999.9 µs'], [11_501.6, 'µs', '11.50 ms'], [1234, 'count', '1,234'], [0, 'count', '0'],
  ] as const)('%s %s reads %s', (v, unit, text) => expect(formatValue(v, unit)).toBe(text));

  test('expected values show the limit and where it comes from', () => {
    expect(formatExpected(baseline['chain.throughput.mcrd/socat'], 'ratio')).toBe('≥ 3.00× (4.00× −25 %)');
    expect(formatExpected(baseline['chain.latency.p50-added'], 'µs')).toBe('≤ 40.0 µs (20.0 µs +100 %)');
  });

  test.each([['lower', '≥ 4.50×'], ['upper', '≤ 4.50×'], ['unknown', '≈ 4.50×'], [undefined, '4.50×']] as const)('a %s bound reads %s', (bound, text) => {
    expect(formatBounded(4.5, 'ratio', bound)).toBe(text);
  });

  test('a kernel is prefixed Linux once, whether the lab recorded uname -r or uname -a', () => {
    expect(formatKernel('6.1.0-26-amd64')).toBe('Linux 6.1.0-26-amd64');
    expect(formatKernel('Linux 6.18.44 #1 SMP x86_64')).toBe('Linux 6.18.44 #1 SMP x86_64');
  });

  test.each([[290_000, '290k pps'], [5_000, '5.0k pps'], [1_234_000, '1.23M pps']])('%d pps reads %s', (pps, text) => expect(formatPps(pps)).toBe(text));

  test('table cells and XML escape what would break them', () => {
    expect(cell('a|b\nc')).toBe('a\\|b c');
    expect(xml(`<a href="x">&'\u0001`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;');
  });
});

describe('markdown summary', () => {
  test('the headline counts each verdict and says FAIL on a regression', () => {
    const { report } = mixed();
    expect(headline(report)).toBe('FAIL: 2 regressions, 1 required metric missing, 2 pass, 13 missing (not required), 4 without baseline');
  });

  test('one row per metric with this run, the expectation and the verdict; the machine is described', () => {
    const { report, files } = mixed();
    const md = renderMarkdown(report, files);
    expect(md).toContain('| Chain throughput, mcrd / socat | 2.50× | ≥ 3.00× (4.00× −25 %) | ❌ regression | mcrd throughput 150k pps / socat throughput 60k pps |');
    expect(md).toContain('| Fan-out 1→50 total output / mcrd 1:1 chain rate | – | ≥ 0.675× (0.900× −25 %) | ❌ missing (required) | no results for scenario fanout-50 |');
    expect(md).toContain('| Dual-bridge throughput, mcrd / socat | – | no baseline | ⚠️ missing | no results for scenario dual-bridge |');
    expect(md).toContain('machine: fixture-vm, 2 × Fixture vCPU, Linux 6.1.0-fixture');
    expect(md).toContain('- `lab/results/fixtures/chain-regressed.json`: chain (quick), relays direct, kernel, socat, mcrd');
    expect(md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| metric')).length).toBe(report.comparisons.length);
  });
});

describe('JUnit XML', () => {
  test('one testcase per metric; regressions and required missing metrics are failures with have/expected/tolerance', () => {
    const { report } = mixed();
    const doc = renderJunit(report, '2026-11-22T04:00:00Z');
    const cases = testcases(doc);
    expect(cases.size).toBe(report.comparisons.length);
    expect(doc).toContain(`<testsuites name="mcr performance" tests="${report.comparisons.length}" failures="3" errors="0" skipped="13">`);
    expect(cases.get('chain.throughput.mcrd/socat')).toContain(
      '<failure type="regression" message="have 2.50×, expected ≥ 3.00× (baseline 4.00×, tolerance 25 %, higher-is-better)">');
    expect(cases.get('fanout-50.output/chain')).toContain(
      '<failure type="missing" message="missing (required): no results for scenario fanout-50; expected ≥ 0.675× (baseline 0.900×, tolerance 25 %, higher-is-better)">');
    expect(cases.get('dual-bridge.throughput.mcrd/kernel')).toContain('<skipped message="missing (not required): no results for scenario dual-bridge"/>');
    expect(cases.get('chain.latency.p50-added')).not.toMatch(/<failure|<skipped/);
  });

  test('a passing report has no failure element', () => {
    const doc = renderJunit(compare(load('chain.json'), { 'chain.throughput.mcrd/socat': baseline['chain.throughput.mcrd/socat']! }), 't');
    expect(doc).not.toContain('<failure');
    expect(doc).toContain('failures="0"');
  });
});

// One results pipeline (issue 12): the lab's report, the bench table and the CI metrics read the same
// throughput figures and ratios from the same results file, through lab/results/figures.ts. Run on both
// former interpreters' fixtures: lab/report/fixtures/results.json (the report's) and
// lab/results/fixtures/*.json (the CI job's). Lives in ci/ because it imports all three (ci → bench → lab).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { macroSummary, scenarioNumbers } from '../bench/macro.js';
import { measure } from '../bench/metrics.js';
import { throughputTest } from '../lab/measure/stats.js';
import { makeTrial } from '../lab/measure/testing.js';
import { ratioRows } from '../lab/report/model.js';
import { ratioTable, summaryTable } from '../lab/report/tables.js';
import { throughputFigure } from '../lab/results/figures.js';
import { buildResults, FIXTURES } from '../lab/results/fixtures/build.js';
import { throughputPps } from '../lab/results/quantities.js';
import type { RelayName, Results, ThroughputTest } from '../lab/results/types.js';
import { parseResults } from '../lab/results/validate.js';

const search = { minPps: 10_000, maxPps: 450_000, resolutionPps: 5_000, maxSteps: 6, minAchievedRatio: 0.97 };
const tp = (steps: Array<[number, number] | [number, number, number]>): ThroughputTest =>
  throughputTest('throughput', 'mcrd', 0.001, [{
    throughputPps: 0, steps: steps.map(([pps, loss, achieved]) => makeTrial(pps, loss, achieved === undefined ? {} : { achievedPps: achieved })),
  }], search);

function results(tests: Partial<Record<RelayName, ThroughputTest>>): Results {
  const base = buildResults(FIXTURES['chain.json']!);
  return { ...base, relays: Object.keys(tests) as RelayName[], tests: Object.entries(tests).map(([relay, t]) => ({ ...t!, relay: relay as RelayName })) };
}

describe('one pipeline: the report, the bench table and CI read the same figures from the same file', () => {
  const reportFixture = parseResults(JSON.parse(readFileSync(join(import.meta.dirname, '../lab/report/fixtures/results.json'), 'utf8')), 'report fixture');
  const ciFixtures = Object.keys(FIXTURES).filter((n) => !n.startsWith('latency')).map((n) => buildResults(FIXTURES[n]!));

  test.each([['report', reportFixture], ...ciFixtures.map((r) => [r.scenario.name + ' (CI fixture)', r] as const)] as Array<[string, Results]>)(
    '%s: throughput per relay and mcrd\'s ratios agree between report, bench and CI', (_name, r) => {
      const report = summaryTable(r);
      const bench = scenarioNumbers(r);
      for (const t of r.tests.filter((x): x is ThroughputTest => x.kind === 'throughput' && x.name === 'throughput')) {
        const f = throughputFigure(t);
        // Report: the summary cell carries the figure's value and kind.
        const row = report.rows.find((cells) => cells[0]!.text === t.relay)!;
        expect(row[1]!.attrs).toMatchObject({ 'data-value': f.value, 'data-kind': f.kind });
        // Bench: the same figure.
        expect(bench.relays.find((x) => x.relay === t.relay)!.throughput).toEqual(f);
        // CI (through quantities): the same value, or the same reason when none.
        const found = throughputPps(r, t.relay);
        if (f.generatorLimited) expect(found.ok).toBe(false);
        else expect(found.ok && (f.kind === 'below' ? found.value === f.high : found.value === f.value)).toBe(true);
      }
      // mcrd's throughput ratios: the report's row and the CI metric are one number (or one range).
      const metric = measure([{ path: 'x', results: r }]);
      const row = ratioRows(r).find((x) => x.test === 'throughput');
      for (const other of ['kernel', 'socat'] as const) {
        const id = `${r.scenario.name}.throughput.mcrd/${other}`;
        const m = metric.find((x) => x.def.id === id);
        const inReport = row?.ratios[other];
        if (!m || !inReport) continue;
        if (inReport.kind === 'value') expect(m.found.ok && m.found.value).toBeCloseTo(inReport.value, 10);
        else if (inReport.kind === 'range') expect(m.found.ok && m.found.range).toEqual([inReport.low, inReport.high]);
        else if (inReport.kind === 'none') expect(m.found.ok).toBe(false);
        else expect(m.found.ok && m.found.value).toBeCloseTo(inReport.value, 10);
      }
    });

  test('tables never print a single ratio from an unresolved figure', () => {
    const r = results({
      mcrd: tp([[450_000, 0.5], [200_000, 0], [205_000, 0.1]]),
      socat: tp([[450_000, 0.9], [10_000, 0], [205_000, 0.8], [107_000, 0.5]]),
      kernel: tp([[450_000, 0, 180_000]]),
    });
    const table = ratioTable(r)!;
    const tpRow = table.rows.find((cells) => cells[0]!.text === 'throughput')!;
    const cells = Object.fromEntries(table.head.slice(1).map((h, i) => [h, tpRow[i + 1]!.text]));
    expect(cells['mcrd/socat']).toBe('1.87–20.0×');
    expect(cells['mcrd/kernel']).toBe('–');
    const bench = macroSummary([{ path: 'x', results: r }]);
    expect(bench.ratios.find((x) => x.id === 'chain.throughput.mcrd/socat')).toMatchObject({ range: [200_000 / 107_000, 20] });
  });
});

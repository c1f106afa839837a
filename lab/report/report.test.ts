import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fixedRateTest, latencyTest, throughputTest } from '../measure/stats.js';
import { makeTrial } from '../measure/testing.js';
import type { Results, ThroughputTest } from '../results/types.js';
import { readResults } from '../results/validate.js';
import { fmtLoss, fmtNs, fmtPps, fmtSummary } from './format.js';
import { renderConsoleTable, renderHtml, renderMarkdown, writeReports } from './index.js';

const FIXTURE = path.join(import.meta.dirname, 'fixtures/results.json');
let fixture: Results;
let dir: string;
beforeAll(async () => {
  fixture = await readResults(FIXTURE);
  dir = await mkdtemp(path.join(os.tmpdir(), 'mcr-report-'));
});
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

const tp = (r: Results): ThroughputTest[] => r.tests.filter((t): t is ThroughputTest => t.kind === 'throughput');

describe('writeReports', () => {
  test('writes results.json (round-trips), report.md and report.html into the directory', async () => {
    const files = await writeReports(fixture, path.join(dir, 'out'));
    expect(JSON.parse(await readFile(files.json, 'utf8'))).toEqual(fixture);
    expect(await readFile(files.md, 'utf8')).toBe(renderMarkdown(fixture));
    expect(await readFile(files.html, 'utf8')).toBe(renderHtml(fixture));
  });

  test('refuses invalid results before writing anything', async () => {
    const bad = { ...fixture, relays: ['vpp'] } as unknown as Results;
    await expect(writeReports(bad, path.join(dir, 'bad'))).rejects.toThrow(/relays\.0/);
    await expect(readFile(path.join(dir, 'bad', 'report.md'))).rejects.toThrow(/ENOENT/);
  });
});

describe('report.md', () => {
  test('has a row per relay in the throughput table with the median, min and max of results.json', () => {
    const md = renderMarkdown(fixture);
    for (const t of tp(fixture)) {
      const s = t.summary.throughputPps;
      // The fixture fans out to 6 outputs: total output rate = 6 × input rate; IQR from the quartiles.
      expect(md).toContain(`| ${fmtPps(s.median)} | ${fmtPps(s.min)} | ${fmtPps(s.max)} | ${fmtPps(s.q1!)}–${fmtPps(s.q3!)} | ${fmtPps(s.median * 6)} | ${s.n} |`);
      expect(md).toMatch(new RegExp(`\\| ${t.relay} \\| ${fmtPps(s.median)}( \\(|\\s\\|)`));
    }
  });

  test('summary rows start with the relay and its throughput, and ratios are mcrd over each other relay', () => {
    const md = renderMarkdown(fixture);
    const mcrd = tp(fixture).find((t) => t.relay === 'mcrd')!.summary.throughputPps;
    const socat = tp(fixture).find((t) => t.relay === 'socat')!.summary.throughputPps;
    expect(md).toContain(`| mcrd | ${fmtSummary(mcrd, fmtPps)} |`);
    expect(md).toMatch(/\| metric \| mcrd\/socat \| mcrd\/kernel \| mcrd\/direct \|/);
    expect(md).toContain(`| throughput | ${(mcrd.median / socat.median).toFixed(2)}× |`);
  });

  test('lists per-output loss for the fan-out and every threshold with its verdict', () => {
    const md = renderMarkdown(fixture);
    const fixed = fixture.tests.find((t) => t.kind === 'fixed-rate')!;
    for (const o of fixed.repetitions[0]!.outputs) expect(md).toMatch(new RegExp(`^\\| ${o.name} \\| ${o.group.replaceAll('.', '\\.')} \\|`, 'm'));
    for (const c of fixture.thresholds) expect(md).toContain(`| ${c.pass ? 'PASS' : 'FAIL'} | ${c.description} |`);
    expect(md).toContain(fixture.pass ? '**Result: PASS' : '**Result: FAIL');
  });

  test('states the method: RFC 2544 search, tolerance and repetitions', () => {
    const md = renderMarkdown(fixture);
    expect(md).toContain('## Method');
    expect(md).toContain(`RFC 2544 §26.1 binary search for the highest offered rate whose worst-output loss is ≤ ${fmtLoss(tp(fixture)[0]!.lossTolerance)}`);
    expect(md).toContain('Repetitions per point: 3.');
  });
});

describe('relay-core CPU per packet', () => {
  const core = (relay: string, test = 'fixed-50k') => {
    const t = fixture.tests.find((x) => x.kind === 'fixed-rate' && x.relay === relay && x.name === test);
    return t?.kind === 'fixed-rate' ? t.summary.relayCoreNsPerPacket! : undefined;
  };

  test('every relay, kernel included, has a core CPU / packet cell in the fixed-rate tables, and the placement is stated', () => {
    const md = renderMarkdown(fixture);
    expect(md).toMatch(/\| relay \| loss \(worst output\) \| delivered pps \(all outputs\) \| latency p50 \| latency p99 \| CPU \/ packet \| core CPU \/ packet \| own core CPU \/ packet \| repetitions \|/);
    for (const relay of ['mcrd', 'socat', 'kernel', 'direct']) {
      expect(md).toMatch(new RegExp(`^\\| ${relay} \\|.*\\| ${fmtSummary(core(relay)!, fmtNs).replace(/[.()–]/g, '\\$&')} \\| [^|]+ \\| 3 \\|$`, 'm'));
    }
    expect(md).toContain('| CPU placement | traffic CPU 0, relay CPU 1 (default); RPS masks traffic 1, relay 2 |');
    expect(md).toContain('Core CPU per packet: busy time');
  });

  test('the ratio table compares mcrd with kernel and socat on the core figure, never with direct\'s idle background', () => {
    const md = renderMarkdown(fixture);
    const row = md.split('\n').find((l) => l.startsWith('| core CPU per packet (fixed-50k) |'))!;
    expect(row).toBe(`| core CPU per packet (fixed-50k) | ${(core('mcrd')!.median / core('socat')!.median).toFixed(2)}× | ${(core('mcrd')!.median / core('kernel')!.median).toFixed(2)}× | – |`);
  });

  test('the console table has a core CPU/pkt column with the kernel\'s figure', () => {
    const out = renderConsoleTable(fixture);
    expect(out.split('\n')[1]).toMatch(/CPU\/pkt +core CPU\/pkt +own\/pkt$/);
    const kernel = out.split('\n').find((l) => l.startsWith('fixed-50k') && l.includes(' kernel '))!;
    expect(kernel).toMatch(new RegExp(` ${fmtNs(core('kernel')!.median).replace('.', '\\.')} \\(`));
  });

  test('results without a placement (older files, cpus: false) say the core figure was not measured', () => {
    const { placement: _, ...env } = fixture.environment;
    const md = renderMarkdown({ ...fixture, environment: env });
    expect(md).toContain('Core CPU per packet: not measured (no CPU placement recorded).');
  });
});

describe('console table', () => {
  test('shows every relay × test with aligned columns and each threshold as PASS/FAIL', () => {
    const out = renderConsoleTable(fixture);
    const lines = out.split('\n');
    const table = lines.slice(1, 1 + 1 + fixture.tests.length);
    expect(new Set(table.map((l) => [...l].length)).size).toBe(1);
    for (const t of fixture.tests) expect(table.some((l) => l.startsWith(t.name) && l.includes(` ${t.relay} `))).toBe(true);
    for (const c of fixture.thresholds) expect(out).toMatch(new RegExp(`^${c.pass ? 'PASS' : 'FAIL'}  ${c.description.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`, 'm'));
    expect(lines.at(-1)).toMatch(/^FAIL: 7\/8 thresholds passed$/);
  });
});

describe('report.html', () => {
  test('is self-contained: no scripts, no external resources', () => {
    const html = renderHtml(fixture);
    expect(html).not.toMatch(/<script|<link|\bsrc=|@import|url\(/i);
    expect(html.match(/https?:\/\/[^"]+/g)?.filter((u) => u !== 'http://www.w3.org/2000/svg') ?? []).toEqual([]);
  });

  test('escapes every string taken from results.json', () => {
    const evil: Results = structuredClone(fixture);
    evil.scenario.name = '<script>alert(1)</script>';
    evil.scenario.description = 'a "quoted" & <b>bold</b> one';
    evil.environment.hostname = '<img src=x onerror=alert(1)>';
    evil.runId = '"><svg onload=alert(1)>';
    const html = renderHtml(evil);
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('"><svg onload');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('a &quot;quoted&quot; &amp; &lt;b&gt;bold&lt;/b&gt; one');
  });

  test('has one chart per kind of figure, each with its numbers as text', () => {
    const html = renderHtml(fixture);
    expect(html.match(/<svg [^>]*class="chart"/g)).toHaveLength(6);
    for (const id of ['chart-loss', 'chart-throughput-throughput', 'chart-latency-fixed-50k', 'chart-latency-latency', 'chart-outputs-fixed-50k', 'chart-outputs-fixed-150k']) {
      expect(html).toContain(`id="${id}"`);
    }
    for (const t of tp(fixture)) {
      expect(html).toContain(`data-relay="${t.relay}" data-value="${t.summary.throughputPps.median}"`);
      expect(html).toContain(`>${fmtPps(t.summary.throughputPps.median)}</td>`);
    }
  });
});

describe('throughput figures that only bound or bracket the truth', () => {
  const search = { minPps: 10_000, maxPps: 400_000, resolutionPps: 5_000, maxSteps: 6, minAchievedRatio: 0.97 };
  const results = (tests: Results['tests']): Results => ({ ...structuredClone(fixture), relays: ['mcrd', 'kernel'], tests, thresholds: [] });

  test('a search whose top rate passed is a lower bound, and ratios against it are bounds', () => {
    const r = results([
      // mcrd: max failed, resolved at 200k (205k failed). kernel: passed at max (400k) on the first probe.
      throughputTest('throughput', 'mcrd', 0.001, [{ throughputPps: 200_000, steps: [makeTrial(400_000, 0.5), makeTrial(190_000, 0), makeTrial(200_000, 0), makeTrial(205_000, 0.2)] }], search),
      throughputTest('throughput', 'kernel', 0.001, [{ throughputPps: 400_000, steps: [makeTrial(400_000, 0)] }], search),
    ]);
    const md = renderMarkdown(r);
    expect(md).toContain('| kernel | ≥ 400.0k | 400.0k, none | 400.0k | 400.0k | 400.0k | – | 1 | 1 |');
    expect(md).toContain('| mcrd | 200.0k | 200.0k, 205.0k | 200.0k | 200.0k | 200.0k | – | 1 | 4 |');
    expect(md).toContain('| throughput | ≤ 0.50× |');
    expect(md).toContain('≥: kernel passed at the highest rate probed');
    expect(renderHtml(r)).toContain('data-bound="&gt;="');
    expect(renderConsoleTable(r)).toMatch(/throughput\s+kernel\s+≥ 400\.0k/);
  });

  test('a search that ran out of steps prints its bracket, and the ratio only as the range the brackets allow', () => {
    const r = results([
      // socat-like: 400k failed, 10k passed, 205k and 107k failed, out of steps: [10k, 107k].
      throughputTest('throughput', 'kernel', 0.001, [{ throughputPps: 10_000, steps: [makeTrial(400_000, 0.9), makeTrial(10_000, 0), makeTrial(205_000, 0.8), makeTrial(107_000, 0.5)] }], search),
      throughputTest('throughput', 'mcrd', 0.001, [{ throughputPps: 200_000, steps: [makeTrial(400_000, 0.5), makeTrial(200_000, 0), makeTrial(205_000, 0.2)] }], search),
    ]);
    const md = renderMarkdown(r);
    expect(md).toContain('| kernel | 10.0k–107.0k | 10.0k, 107.0k |');
    // 200k / [10k, 107k] = [1.87, 20]: no single number.
    expect(md).toContain('| throughput | 1.87–20.0× |');
    expect(md).not.toMatch(/\| throughput \| 20\.0× \|/);
    expect(renderConsoleTable(r)).toMatch(/throughput\s+kernel\s+10\.0k–107\.0k/);
  });

  test('a generator-limited figure is flagged and gives no ratio', () => {
    const r = results([
      throughputTest('throughput', 'kernel', 0.001, [{ throughputPps: 180_000, steps: [makeTrial(400_000, 0, { achievedPps: 180_000 }), makeTrial(400_000, 0, { achievedPps: 180_000 })] }], search),
      throughputTest('throughput', 'mcrd', 0.001, [{ throughputPps: 200_000, steps: [makeTrial(400_000, 0.5), makeTrial(200_000, 0), makeTrial(205_000, 0.2)] }], search),
    ]);
    const md = renderMarkdown(r);
    expect(md).toContain('| kernel | ≥ 180.0k (generator-limited) |');
    expect(md).toContain('generator-limited: for kernel the generator could not offer more');
    expect(md).not.toMatch(/\| throughput \| [\d≥≤]/);
  });

  test('repetitions spread over more than 25 % of their median are marked unstable, and so is the ratio', () => {
    const rep = (tp: number) => ({ throughputPps: tp, steps: [makeTrial(tp, 0), makeTrial(tp + 5_000, 0.3)] });
    const r = results([
      throughputTest('throughput', 'kernel', 0.001, [rep(100_000), rep(150_000), rep(200_000)], search),
      throughputTest('throughput', 'mcrd', 0.001, [rep(200_000), rep(205_000), rep(210_000)], search),
    ]);
    const md = renderMarkdown(r);
    expect(md).toContain('| kernel | 150.0k (unstable) (100.0k–200.0k) |');
    expect(md).toContain('| throughput | 1.37× (unstable) |');
  });
});

describe('reports with gaps', () => {
  test('a relay that delivered nothing and a skipped relay render as "no data" and a note, not as zeros', () => {
    const r: Results = {
      ...structuredClone(fixture),
      scenario: { name: 'unroutable-source', file: 'scenarios/unroutable-source.yaml', quick: true },
      relays: ['mcrd', 'socat', 'direct'],
      tests: [
        throughputTest('throughput', 'mcrd', 0, [{ throughputPps: 90_000, steps: [makeTrial(100_000, 0.1), makeTrial(90_000, 0)] }]),
        throughputTest('throughput', 'socat', 0, [{ throughputPps: 0, steps: [makeTrial(100_000, 1), makeTrial(10_000, 1)] }]),
        fixedRateTest('fixed-1k', 'mcrd', 1000, [makeTrial(1000, 0, { latency: { p50: 20e3, p90: 30e3, p99: 50e3, p999: 80e3, max: 1e5 } })]),
        fixedRateTest('fixed-1k', 'socat', 1000, [makeTrial(1000, 1)]),
        latencyTest('latency', 'socat', 1000, undefined, [makeTrial(1000, 1)]),
      ],
      thresholds: [],
      skipped: [{ relay: 'kernel', reason: 'source 10.99.0.1 is not routable: kernel forwarding needs a route back to the source' }],
      pass: false,
    };
    const md = renderMarkdown(r);
    expect(md).toContain('- Skipped kernel: source 10.99.0.1 is not routable');
    expect(md).toMatch(/\| socat \| 100 % \| /);
    expect(md).toMatch(/\| socat \| 1\.0k \| no data \| no data \|/);
    expect(md).toContain('None defined in the scenario.');
    const html = renderHtml(r);
    expect(html).toContain('Skipped kernel');
    expect(html).toContain('id="chart-loss"');
    expect(renderConsoleTable(r)).toContain('skipped kernel: source 10.99.0.1');
  });
});

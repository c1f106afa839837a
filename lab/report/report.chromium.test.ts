/**
 * Renders report.html from the fixture in headless Chromium (Debian `chromium`) and checks that the
 * browser's DOM shows the numbers that are in results.json, and that a screenshot has real content.
 * Skips, saying why, when chromium is not installed.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Results } from '../results/types.js';
import { readResults } from '../results/validate.js';
import { fmtPps } from './format.js';
import { writeReports } from './index.js';

const run = promisify(execFile);
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.log(`skipping headless Chromium report tests: ${CHROMIUM} not found (apt-get install chromium, or set CHROMIUM=/path)`);

let dir: string;
let fixture: Results;
let htmlFile: string;

/** Runs chromium headless with a fresh profile; the flags keep it off the network and quiet. */
async function chromium(args: string[]): Promise<string> {
  const profile = await mkdtemp(path.join(dir, 'profile-'));
  const { stdout } = await run(CHROMIUM, [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, ...args,
  ], { timeout: 90_000, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

describe.skipIf(!haveChromium)('report.html in headless Chromium', () => {
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mcr-chromium-'));
    fixture = await readResults(path.join(import.meta.dirname, 'fixtures/results.json'));
    htmlFile = (await writeReports(fixture, path.join(dir, 'report'))).html;
  });
  afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

  test('the rendered DOM shows each relay, its throughput from results.json and an SVG per chart', async () => {
    const dom = await chromium(['--dump-dom', `file://${htmlFile}`]);
    expect(dom).toContain('<h1>mcr-lab report: dual-bridge</h1>');
    for (const t of fixture.tests) {
      if (t.kind !== 'throughput') continue;
      const median = t.summary.throughputPps.median;
      // The throughput table cell: raw value and figure kind as attributes, formatted value as text (then its spread).
      const cell = new RegExp(`<td class="r" data-relay="${t.relay}" data-test="${t.name}" data-metric="throughputPps" data-value="${median}" data-kind="resolved"[^>]*>(<span class="main">)?${fmtPps(median).replace('.', '\\.')}[ <]`);
      expect(dom).toMatch(cell);
      // The bar in the chart carries the same number.
      expect(dom).toContain(`data-relay="${t.relay}" data-value="${median}" data-min="${t.summary.throughputPps.min}"`);
    }
    for (const relay of fixture.relays) expect(dom).toContain(`<td data-relay="${relay}">${relay}</td>`);
    const charts = dom.match(/<svg [^>]*class="chart"/g) ?? [];
    expect(charts).toHaveLength(6);
    // Legend, axis titles and tick labels are real text nodes in the rendered SVG.
    expect(dom).toContain('offered rate (packets/s)');
    expect(dom).toContain('loss, worst output (%)');
    expect(dom).toMatch(/<g class="legend">.*>mcrd<\/text>.*>socat<\/text>/);
    // Each threshold's verdict is rendered.
    for (const [i, c] of fixture.thresholds.entries()) {
      expect(dom).toContain(`data-pass="${c.pass}" data-threshold="${i}">${c.pass ? 'PASS' : 'FAIL'}</td>`);
    }
    // Per-output fan-out delivery: one bar per output and relay.
    const outputs = fixture.tests.find((t) => t.kind === 'fixed-rate')!.repetitions[0]!.outputs.length;
    const fan = /<svg id="chart-outputs-fixed-50k"[\s\S]*?<\/svg>/.exec(dom)?.[0] ?? '';
    expect(fan.match(/<rect [^>]*data-output=/g)).toHaveLength(outputs * fixture.relays.length);
  });

  test('a screenshot is a real PNG with content', async () => {
    const png = path.join(dir, 'report.png');
    await chromium(['--window-size=1280,2400', '--hide-scrollbars', `--screenshot=${png}`, `file://${htmlFile}`]);
    const buf = await readFile(png);
    expect(buf.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    // IHDR: width and height as asked for.
    expect([buf.readUInt32BE(16), buf.readUInt32BE(20)]).toEqual([1280, 2400]);
    // A blank page of this size compresses to a few kB; text, tables and charts do not.
    expect((await stat(png)).size).toBeGreaterThan(60_000);
  });
});

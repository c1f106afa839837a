// The compiled bench (dist/bench/run.js) as `npm run bench` runs it: micro suites for real, the macro
// half through a stand-in lab CLI (lab/results/fixtures/writes-results.mjs) so it runs in seconds, and the
// README section regenerated in a copy. Needs `npm run build:ts` first (npm test does it).
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { BenchRecord } from './record.js';

const root = join(import.meta.dirname, '..');
const script = join(root, 'dist/bench/run.js');
const isRoot = process.getuid?.() === 0;
let tmp: string;

beforeAll(async () => {
  if (!existsSync(script)) throw new Error(`${script} missing: run npm run build:ts first`);
  const built = statSync(script).mtimeMs;
  for (const dir of ['bench', 'bench/micro', 'ci']) {
    for (const f of await readdir(join(root, dir))) {
      if (f.endsWith('.ts') && !f.endsWith('.test.ts') && statSync(join(root, dir, f)).mtimeMs > built) {
        throw new Error(`${dir}/${f} is newer than ${script}: run npm run build:ts first`);
      }
    }
  }
  tmp = await mkdtemp(join(tmpdir(), 'mcr-bench-test-'));
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function records(dir: string): Promise<BenchRecord[]> {
  const names = (await readdir(dir)).filter((f) => f.endsWith('.json'));
  return Promise.all(names.map(async (f) => JSON.parse(await readFile(join(dir, f), 'utf8')) as BenchRecord));
}

describe('npm run bench', () => {
  test('--micro-only runs the micro suites and writes the record and latest.md', async () => {
    const out = join(tmp, 'micro');
    const r = await execa(process.execPath, [script, '--micro-only', '--micro-time', '20', '--out', out], { reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
    const [rec] = await records(out);
    expect(rec).toMatchObject({ kind: 'mcr-bench', version: 1, quick: false });
    expect(rec!.micro.map((s) => s.suite)).toEqual(['parser', 'rule lookup', 'engine counters', 'rule update', 'control protocol', 'rule schema']);
    // Rule changes need AF_PACKET sockets: measured as root, else skipped saying why.
    const update = rec!.micro.find((s) => s.suite === 'rule update')!;
    if (isRoot) {
      expect(update.results.map((t) => t.task)).toEqual(['updateRules: add+remove one rule on a 10,000-rule table',
        'updateRules: join+leave, first route on its input (no socket yet)', 'updateRules: join+leave, first route on its input (held interface)']);
    }
    else expect(update.skipped).toBeDefined();
    const control = rec!.micro.find((s) => s.suite === 'control protocol')!;
    expect(control.skipped).toBeUndefined();
    expect(control.results.map((t) => t.task)).toContain('add line end to end (split, parse, validate, reply)');
    expect(control.results.every((t) => t.timedIn === undefined && t.meanNs > 0 && t.opsPerSec > 0)).toBe(true);
    // Rule lookup is timed in C++ (the addon's benchRuleLookup), 1 to 100 000 rules, with and without source rules.
    const lookup = rec!.micro.find((s) => s.suite === 'rule lookup')!;
    expect(lookup.skipped).toBeUndefined();
    expect(lookup.results.map((t) => t.task)).toEqual([
      '1 any-source', '1,000 any-source', '100,000 any-source',
      '1 any-source + 1 source-specific', '1,000 any-source + 1,000 source-specific', '100,000 any-source + 100,000 source-specific',
    ]);
    for (const t of lookup.results) {
      expect(t).toMatchObject({ timedIn: 'native', opsPerCall: 1_000_000, unit: 'lookups' });
      if (t.timedIn === 'native') expect(t.minNs > 0 && t.minNs <= t.medianNs && t.medianNs <= t.maxNs && t.calls >= 5).toBe(true);
    }
    const md = await readFile(join(out, 'latest.md'), 'utf8');
    expect(md).toContain('| control protocol | add line end to end (split, parse, validate, reply) |');
    expect(md).toContain('each call times 1,000,000 lookups in a loop');
    expect(md).toMatch(/\| rule lookup \| 100,000 any-source \| [\d.]+ ns \| [\d.]+ ns – [\d.]+ ns \| \d+ \|/);
    expect(r.stdout.trim()).toBe(md.trim());
  });

  test.skipIf(!isRoot)('the macro half runs each scenario through the lab and regenerates the README section', async () => {
    const out = join(tmp, 'macro');
    const readme = join(tmp, 'README.md');
    await writeFile(readme, '# mcr\n\n<!-- perf:start -->\nold\n<!-- perf:end -->\n\nrest\n');
    const lab = join(root, 'lab/results/fixtures/writes-results.mjs');
    const r = await execa(process.execPath, [script, '--macro-only', '--quick', '--lab', lab, '--out', out, '--update-readme', '--readme', readme], { reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
    const [rec] = await records(out);
    expect(rec!.macro!.scenarios.map((s) => s.scenario)).toEqual(['chain', 'dual-bridge', 'fanout-50']);
    expect(rec!.macro!.results.map((p) => p.slice(out.length))).toEqual(
      ['chain', 'dual-bridge', 'fanout-50', 'scaling-1w', 'scaling-2w', 'latency-default', 'latency-busy-poll', 'latency-adaptive'].map((s) => expect.stringMatching(new RegExp(`^/runs/[^/]+/${s}/results\\.json$`))));
    expect(rec!.macro!.scaling!.map((r) => [r.relay, r.workers])).toEqual([['direct', undefined], ['mcrd', 1], ['mcrd', 2]]);
    const text = await readFile(readme, 'utf8');
    expect(text).toMatch(/^# mcr\n\n<!-- perf:start -->\n### mcr performance\n/);
    expect(text).toContain('| chain | 290k pps (284k–296k) | 300k pps (294k–306k) | 60k pps (59k–61k) | 270k pps (265k–275k) | 0.900× | 4.50× |');
    expect(text).toContain('| mcrd, 2 workers | 4 | 90k pps | 360k pps |');
    expect(text).toContain('| mcrd --busy-poll-us 200 | 50k pps | 14.0 µs | 120.0 µs | 4.0 µs | 60.0 µs | 20000 ns |');
    expect(text).toMatch(/<!-- perf:end -->\n\nrest\n$/);
    expect(text).not.toContain('old');
  });

  test('--results renders the macro table from existing lab results without running the lab', async () => {
    const out = join(tmp, 'from-results');
    const files = ['chain.json', 'dual-bridge.json', 'fanout-50.json'].map((f) => join(root, 'lab/results/fixtures', f));
    const r = await execa(process.execPath, [script, '--macro-only', '--results', files.join(','), '--out', out], { reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
    const [rec] = await records(out);
    expect(rec!.macro!.results).toEqual(files);
    expect(rec!.machine).toMatchObject({ hostname: 'fixture-vm', cpuCount: 2, cpuModel: 'Fixture vCPU' });
    expect(await readFile(join(out, 'latest.md'), 'utf8')).toContain('| Fan-out 1→50 total output / mcrd 1:1 chain rate | ≥ 0.900× | 0.926× | ✅ met |');
  });

  test('a lab that writes nothing makes the bench exit 1 with the record saying why, and leaves the README alone', async () => {
    const out = join(tmp, 'nolab');
    const readme = join(tmp, 'README-kept.md');
    const before = '# mcr\n<!-- perf:start -->\nlast good table\n<!-- perf:end -->\n';
    await writeFile(readme, before);
    const r = await execa(process.execPath, [script, '--macro-only', '--lab', join(tmp, 'missing-lab.js'), '--out', out, '--update-readme', '--readme', readme], { reject: false });
    expect(r.exitCode).toBe(1);
    const [rec] = await records(out);
    expect(rec!.macroError).toMatch(isRoot ? /missing-lab\.js not found/ : /needs root/);
    expect(await readFile(readme, 'utf8')).toBe(before);
    expect(r.stderr).toContain('left as it was: the macro suite did not complete');
  });

  test.each([
    [['--micro-only', '--macro-only'], '--micro-only and --macro-only exclude each other'],
    [['--micro-only', '--results', 'a.json'], '--results gives the macro results; it makes no sense with --micro-only'],
    [['--repeat', 'x'], '--repeat: expected an integer 1-20, got "x"'],
    [['--micro-only', '--update-readme'], '--update-readme needs the macro results; drop --micro-only (or give --results)'],
  ])('%j is a usage error', async (args, message) => {
    const r = await execa(process.execPath, [script, ...args], { reject: false });
    expect(r.exitCode).toBe(64);
    expect(r.stderr).toContain(message);
  });
});

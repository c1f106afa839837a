// The CI job against the real lab (root, namespaces): a quick run of chain.yaml with mcrd, socat and
// direct yields every chain metric those relays can give, so the job's reading of results.json
// matches what mcr-lab actually writes. Whether mcrd meets its targets is not asserted here (that is
// the job's verdict, and it depends on the machine); that the numbers exist and are sane is.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, test } from 'vitest';
import type { Report } from './compare.js';

const root = join(import.meta.dirname, '..');
const script = join(root, 'dist/ci/perf-regression.js');
const lab = join(root, 'dist/lab/cli/mcr-lab.js');
const mcrd = join(root, 'dist/relay/cli/mcrd.js');
const skip = process.getuid?.() !== 0 ? 'not root'
  : !existsSync(script) || !existsSync(lab) ? 'dist/ci or dist/lab not built (npm run build:ts)'
    : !existsSync(mcrd) ? 'mcrd not built' : undefined;
if (skip) process.stderr.write(`perf-regression e2e skipped: ${skip}\n`);

let tmp: string | undefined;
afterAll(async () => { if (tmp) await rm(tmp, { recursive: true, force: true }); });

describe.skipIf(skip !== undefined)('perf-regression on a real quick lab run', () => {
  test('a quick chain run with mcrd, socat and direct gives the throughput and latency metrics', async () => {
    tmp = await mkdtemp(join(tmpdir(), 'mcr-perf-e2e-'));
    const baseline = join(tmp, 'baseline.json');
    await writeFile(baseline, JSON.stringify({
      'chain.throughput.mcrd/socat': { value: 4, tolerance: 0.25, direction: 'higher-is-better', required: true },
      'chain.latency.p50-added': { value: 20, tolerance: 1, direction: 'lower-is-better', required: true },
    }));
    const out = join(tmp, 'out');
    const r = await execa(process.execPath, [script, '--scenarios', 'chain', '--relays', 'mcrd,socat,direct', '--baseline', baseline, '--out', out],
      { reject: false, timeout: 570_000, cwd: root });
    // 0 or 1 are verdicts; anything else means the job could not measure.
    expect([0, 1], `${r.stderr}\n${r.stdout}`).toContain(r.exitCode);
    const report = JSON.parse(await readFile(join(out, 'comparison.json'), 'utf8')) as Report;
    const byId = new Map(report.comparisons.map((c) => [c.id, c]));
    const socat = byId.get('chain.throughput.mcrd/socat')!;
    // A ratio, a range or a bound when the figures allow one (lab/results/figures.ts); on a machine so
    // loaded that both relays failed even the lowest rate, none, and the note says why.
    if (socat.have === null) expect(socat.note).toMatch(/both figures are bounds that say nothing about their ratio|generator-limited/);
    else expect(socat.have).toBeGreaterThan(0);
    const p50 = byId.get('chain.latency.p50-added')!;
    expect(p50.have, p50.note).not.toBeNull();
    // Latency added is a difference of two medians: it may be slightly negative, never absurd.
    expect(Math.abs(p50.have!)).toBeLessThan(1_000_000);
    // kernel was not asked for: its ratios are missing, reported, and not fatal.
    expect(byId.get('chain.throughput.mcrd/kernel')).toMatchObject({ verdict: 'missing', failed: false });
    expect(await readFile(join(out, 'junit.xml'), 'utf8')).toContain('<testcase classname="mcr.perf.chain" name="chain.throughput.mcrd/socat"');
  }, 600_000);
});

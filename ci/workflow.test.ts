// .github/workflows/perf-regression.yml parses and wires the job as docs/performance.md says:
// self-hosted Linux runner, root check, system packages, npm ci, the compiled job, artifacts and
// JUnit published even when the job fails.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, test } from 'vitest';

interface Step { name?: string; uses?: string; run?: string; if?: string; with?: Record<string, unknown> }

describe('perf-regression workflow', async () => {
  const doc = parse(await readFile(join(import.meta.dirname, '../.github/workflows/perf-regression.yml'), 'utf8'), { strict: true });
  const job = doc.jobs.perf as { 'runs-on': string[]; steps: Step[] };
  const runs = job.steps.map((s) => s.run ?? '').join('\n');

  test('runs on a self-hosted Linux runner and refuses to run without root', () => {
    expect(job['runs-on']).toEqual(['self-hosted', 'linux']);
    expect(job.steps[0]!.run).toContain('id -u');
  });

  test('installs the relays under test, builds with npm ci, then runs the compiled job', () => {
    expect(runs).toMatch(/apt-get install .*socat smcroute iproute2/);
    const order = ['npm ci', 'node dist/ci/perf-regression.js'].map((s) => runs.indexOf(s));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect(order[0]!).toBeLessThan(order[1]!);
  });

  test('uploads ci/out and publishes junit.xml even when the check fails', () => {
    const upload = job.steps.find((s) => s.uses?.startsWith('actions/upload-artifact'))!;
    const junit = job.steps.find((s) => s.uses?.startsWith('mikepenz/action-junit-report'))!;
    expect(upload).toMatchObject({ if: 'always()', with: { path: 'ci/out/' } });
    expect(junit).toMatchObject({ if: 'always()', with: { report_paths: 'ci/out/junit.xml' } });
  });
});

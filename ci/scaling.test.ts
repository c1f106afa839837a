// The scaling variants: scenarios/scaling.yaml rewritten once per mcrd worker count, each a scenario
// the lab's own loader accepts, named so its results say which worker count they are.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadScenarioText } from '../lab/scenario/load.js';
import { isScaling, planScaling } from './scaling.js';

const file = join(import.meta.dirname, '../scenarios/scaling.yaml');
let tmp: string;
beforeAll(async () => { tmp = await mkdtemp(join(tmpdir(), 'mcr-scaling-test-')); });
afterAll(async () => { await rm(tmp, { recursive: true, force: true }); });

describe('scenarios/scaling.yaml', () => {
  test('is a valid scenario: 4 streams of 64-byte datagrams on the chain topology, one output each', async () => {
    const { scenario } = loadScenarioText(await readFile(file, 'utf8'), file);
    expect(scenario.streams.map((s) => [s.group, s.outputs.map((o) => o.group)])).toEqual(
      [1, 2, 3, 4].map((i) => [`239.1.1.${i}`, [`239.9.9.${i}`]]));
    expect(scenario.traffic.payloadBytes).toBe(64);
    expect(scenario.tests.map((t) => t.kind)).toEqual(['throughput', 'fixed-rate']);
  });
});

describe('planScaling', () => {
  test('writes one variant per worker count, each valid, named and with relay.mcrd.workers set; direct runs once', async () => {
    const runs = await planScaling(file, ['mcrd', 'socat', 'kernel', 'direct'], join(tmp, 'v'));
    expect(runs).toEqual([
      { name: 'scaling-1w', file: join(tmp, 'v', 'scaling-1w.yaml'), relays: ['mcrd', 'direct'] },
      { name: 'scaling-2w', file: join(tmp, 'v', 'scaling-2w.yaml'), relays: ['mcrd'] },
    ]);
    for (const [i, run] of runs.entries()) {
      const text = await readFile(run.file, 'utf8');
      expect(text).toContain(`Generated from ${file} by ci/scaling.ts: mcrd with ${i + 1} worker(s).`);
      const { scenario } = loadScenarioText(text, run.file);
      expect(scenario.name).toBe(run.name);
      expect(scenario.relay).toEqual({ host: 'relay', mcrd: { workers: i + 1 } });
      expect(scenario.streams).toHaveLength(4);
    }
  });

  test('without mcrd among the relays asked for there is nothing to compare', async () => {
    expect(await planScaling(file, ['socat', 'direct'], join(tmp, 'none'))).toEqual([]);
  });

  test('a file that is missing or has no relay section is refused, naming the file', async () => {
    await expect(planScaling(join(tmp, 'nope.yaml'), ['mcrd'], tmp)).rejects.toThrow(`${join(tmp, 'nope.yaml')}: cannot read the scaling scenario (ENOENT)`);
    const bad = join(tmp, 'scaling.yaml');
    await writeFile(bad, 'name: scaling\nstreams: []\n');
    await expect(planScaling(bad, ['mcrd'], tmp)).rejects.toThrow(`${bad}: no relay section; the scaling variants set relay.mcrd.workers`);
  });

  test.each([['scaling', true], ['scenarios/scaling.yaml', true], ['/x/scaling.yaml', true], ['chain', false], ['scaling-2w', false]])(
    '%s is the scaling scenario: %s', (arg, yes) => expect(isScaling(arg)).toBe(yes));
});

// The latency suite's variants: scenarios/chain.yaml rewritten to fixed rates of 10k and 50k pps
// without CPU placement, once with mcrd's defaults and once busy-polling, each a scenario the lab's
// own loader accepts, named so its results say which is which.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadScenarioText } from '../lab/scenario/load.js';
import { resolveScenario } from '../lab/scenario/resolve.js';
import { BUSY_POLL_US, isLatency, LATENCY_DURATION_S, LATENCY_REPETITIONS, planLatency } from './latency.js';

const file = join(import.meta.dirname, '../scenarios/chain.yaml');
let tmp: string;
beforeAll(async () => { tmp = await mkdtemp(join(tmpdir(), 'mcr-latency-test-')); });
afterAll(async () => { await rm(tmp, { recursive: true, force: true }); });

describe('planLatency', () => {
  test('writes a default and a busy-poll variant of the chain: fixed 10k and 50k, no placement, 3 repetitions also in quick mode', async () => {
    const runs = await planLatency(file, ['mcrd', 'socat', 'kernel', 'direct'], join(tmp, 'v'));
    expect(runs).toEqual([
      { name: 'latency-default', file: join(tmp, 'v', 'latency-default.yaml'), relays: ['direct', 'kernel', 'mcrd'] },
      { name: 'latency-busy-poll', file: join(tmp, 'v', 'latency-busy-poll.yaml'), relays: ['direct', 'mcrd'] },
    ]);
    for (const run of runs) {
      const text = await readFile(run.file, 'utf8');
      expect(text).toContain(`Generated from ${file} by ci/latency.ts.`);
      for (const quick of [false, true]) {
        const scenario = resolveScenario(loadScenarioText(text, run.file).scenario, { quick });
        expect(scenario.name).toBe(run.name);
        expect(scenario.cpus).toBe(false);
        expect(scenario.relays).toEqual(run.relays);
        expect(scenario.tests).toEqual(['10k', '50k'].map((k) => ({
          kind: 'fixed-rate', name: `fixed-${k}`, ratePps: Number(k.slice(0, -1)) * 1000, repetitions: LATENCY_REPETITIONS, durationS: LATENCY_DURATION_S,
        })));
        expect(scenario.thresholds).toEqual([]);
        // The chain's topology and traffic are kept: the suite measures the same path.
        expect(scenario.streams[0]!.payloadBytes).toBe(1316);
        expect(scenario.streams[0]!.outputs[0]!.group).toBe('239.9.9.9');
      }
    }
    const mcrdOf = async (f: string) => resolveScenario(loadScenarioText(await readFile(f, 'utf8'), f).scenario).mcrd;
    expect(await mcrdOf(runs[1]!.file)).toEqual({ busyPollUs: BUSY_POLL_US });
    expect(await mcrdOf(runs[0]!.file)).toEqual({});
  });

  test('only the relays asked for run; without mcrd no busy-poll variant, without mcrd or kernel nothing', async () => {
    expect((await planLatency(file, ['kernel', 'direct'], join(tmp, 'k'))).map((r) => [r.name, r.relays]))
      .toEqual([['latency-default', ['direct', 'kernel']]]);
    expect((await planLatency(file, ['mcrd'], join(tmp, 'm'))).map((r) => [r.name, r.relays]))
      .toEqual([['latency-default', ['mcrd']], ['latency-busy-poll', ['mcrd']]]);
    expect(await planLatency(file, ['socat', 'direct'], join(tmp, 'none'))).toEqual([]);
  });

  test('a file that is missing or has no relay section is refused, naming the file', async () => {
    await expect(planLatency(join(tmp, 'nope.yaml'), ['mcrd'], tmp)).rejects.toThrow(
      `${join(tmp, 'nope.yaml')}: cannot read the chain scenario the latency suite derives from (ENOENT)`);
    const bad = join(tmp, 'chain.yaml');
    await writeFile(bad, 'name: chain\nstreams: []\n');
    await expect(planLatency(bad, ['mcrd'], tmp)).rejects.toThrow(`${bad}: no relay section; the latency variants set relay.mcrd and cpus`);
  });

  test.each([['latency', true], ['scenarios/latency.yaml', true], ['chain', false], ['latency-default', false]])(
    '%s is the latency suite: %s', (arg, yes) => expect(isLatency(arg)).toBe(yes));
});

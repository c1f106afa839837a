// Every scenario the bench and the CI job run is a committed file that `mcr-lab validate` accepts
// (the same parse → resolve → verify path), and the derived suites stay in step with their source:
// the latency variants are the chain at fixed rates without placement, the scaling variants the
// scaling scenario with relay.mcrd.workers set.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { prepareScenario } from '../lab/cli/common.js';
import type { ResolvedScenario } from '../lab/scenario/resolve.js';
import { BUSY_POLL_US, LATENCY_DURATION_S, LATENCY_RATES, LATENCY_REPETITIONS, planLatency } from './latency.js';
import { DEFAULT_RELAYS, DEFAULT_SCENARIOS, scenarioPath } from './lab-run.js';
import { planScaling } from './scaling.js';

const root = join(import.meta.dirname, '..');
const all = ['scenarios', 'scenarios/bench'].flatMap((d) => readdirSync(join(root, d)).filter((f) => f.endsWith('.yaml')).map((f) => join(root, d, f)));
const topology = (s: ResolvedScenario) => ({ hosts: s.hosts, links: s.links, bridges: s.bridges, streams: s.streams, relayHost: s.relayHost, generator: s.generator });

describe('committed scenarios', () => {
  test.each(all)('%s passes mcr-lab validate, plain and --quick', async (file) => {
    for (const quick of [false, true]) await expect(prepareScenario(file, { quick })).resolves.toBeDefined();
  });

  test('every run the bench and the CI job plan is one of them', () => {
    const planned = DEFAULT_SCENARIOS.flatMap((s) => (s === 'latency' ? planLatency(root, DEFAULT_RELAYS)
      : s === 'scaling' ? planScaling(root, DEFAULT_RELAYS) : [{ file: scenarioPath(root, s) }]));
    expect(planned.length).toBeGreaterThan(DEFAULT_SCENARIOS.length);
    for (const p of planned) expect(all).toContain(p.file);
  });

  test('the latency variants are the chain at fixed 10k and 50k pps, no placement, 3 repetitions also quick', async () => {
    const chain = (await prepareScenario(scenarioPath(root, 'chain'))).scenario;
    for (const run of planLatency(root, DEFAULT_RELAYS)) {
      for (const quick of [false, true]) {
        const { scenario } = await prepareScenario(run.file, { quick });
        expect(scenario.name).toBe(run.name);
        expect(topology(scenario)).toEqual(topology(chain));
        expect(scenario.cpus).toBe(false);
        expect(scenario.thresholds).toEqual([]);
        expect(scenario.tests).toEqual(LATENCY_RATES.map((pps) => ({
          kind: 'fixed-rate', name: `fixed-${pps / 1000}k`, ratePps: pps, repetitions: LATENCY_REPETITIONS, durationS: LATENCY_DURATION_S,
        })));
        expect(scenario.mcrd).toEqual(run.name === 'latency-busy-poll' ? { busyPollUs: BUSY_POLL_US } : run.name === 'latency-adaptive' ? { adaptivePoll: true } : {});
      }
    }
  });

  test('the scaling variants are scaling.yaml with the worker count set', async () => {
    const base = (await prepareScenario(scenarioPath(root, 'scaling'))).scenario;
    for (const [i, run] of planScaling(root, DEFAULT_RELAYS).entries()) {
      const { scenario } = await prepareScenario(run.file);
      expect(scenario.name).toBe(run.name);
      expect(topology(scenario)).toEqual(topology(base));
      expect(scenario.tests).toEqual(base.tests);
      expect(scenario.mcrd).toEqual({ workers: i + 1 });
    }
  });
});

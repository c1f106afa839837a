import { describe, expect, test } from 'vitest';
import { kneeEstimate, throughputSearch, type SearchOptions } from './search.js';
import { rng } from '../../test/support/prng.js';
import { capacityLoss, collapseLoss, makeTrial } from './testing.js';
import { MIN_ACHIEVED_RATIO } from '../results/verdict.js';

/** The chain scenario's search: full budget, and its --quick budget. */
const full: SearchOptions = {
  minPps: 10_000, maxPps: 400_000, lossTolerance: 0.001, minAchievedRatio: MIN_ACHIEVED_RATIO, resolutionPps: 5_000, maxSteps: 8,
};
const quick: SearchOptions = { ...full, maxSteps: 6 };

function device(loss: (pps: number) => number, generatorCeiling = Infinity) {
  const probed: number[] = [];
  return {
    probed,
    trial: async (pps: number) => {
      probed.push(pps);
      const achieved = Math.min(pps, generatorCeiling);
      return makeTrial(pps, loss(achieved), { achievedPps: achieved });
    },
  };
}

/** Capacities around the figures seen on the 2-vCPU VM (socat 22k–56k, mcrd 150k–240k, kernel 250k–313k). */
const CAPACITIES = [22_000, 56_000, 107_000, 153_000, 196_000, 253_000, 313_000, 371_000];

describe('throughputSearch on simulated devices', () => {
  test.each(CAPACITIES)('a relay that forwards its capacity of %i pps when overloaded: resolved within the quick budget', async (cap) => {
    const d = device(capacityLoss(cap));
    const r = await throughputSearch(d.trial, quick);
    expect(r.bracket.passPps).toBeLessThanOrEqual(cap);
    expect(r.bracket.failPps).not.toBeNull();
    expect(r.bracket.failPps! - r.bracket.passPps).toBeLessThanOrEqual(quick.resolutionPps);
    expect(cap - r.throughputPps).toBeLessThanOrEqual(quick.resolutionPps);
    expect(new Set(d.probed).size).toBeLessThanOrEqual(quick.maxSteps);
    expect(r.steps.map((s) => s.offeredPps)).toEqual(d.probed);
  });

  test.each(CAPACITIES.map((c) => [c, c < 350_000 ? quick : full] as const))('a relay whose forwarding collapses above its capacity of %i pps (1.5 µs of receive work per offered packet on its core): resolved within the quick budget (the full one within 10 % of the top rate)', async (cap, budget) => {
    const d = device(collapseLoss(cap, 1500));
    const r = await throughputSearch(d.trial, budget);
    // Just above the knee this device loses less than the 0.1 % tolerance.
    expect(r.throughputPps).toBeLessThanOrEqual(cap * 1.001);
    expect(r.bracket.failPps).not.toBeNull();
    expect(r.bracket.failPps! - r.bracket.passPps).toBeLessThanOrEqual(quick.resolutionPps);
    expect(new Set(d.probed).size).toBeLessThanOrEqual(budget.maxSteps);
  });

  test('on noisy devices (capacity ±3 % per trial, 5 % of trials hit by a hiccup losing 1 %) the quick search lands within jitter + resolution', async () => {
    const misses: string[] = [];
    for (const cap of CAPACITIES) {
      for (let seed = 1; seed <= 20; seed += 1) {
        const rand = rng(seed * 7919 + cap);
        const loss = (pps: number) => {
          const c = cap * (0.97 + 0.06 * rand());
          const hiccup = rand() < 0.05 ? 0.01 : 0;
          return Math.min(1, capacityLoss(c)(pps) + hiccup);
        };
        const r = await throughputSearch(device(loss).trial, quick);
        if (Math.abs(r.throughputPps - cap) > cap * 0.03 + quick.resolutionPps) misses.push(`${cap}/${seed}: ${r.throughputPps}`);
      }
    }
    // 160 searches: a double hiccup can cost one, never a systematic miss.
    expect(misses.length, misses.join(', ')).toBeLessThanOrEqual(4);
  });

  test('probes the maximum first and stops there when it passes: a lower bound, no fail', async () => {
    const d = device(capacityLoss(5_000_000));
    const r = await throughputSearch(d.trial, full);
    expect(d.probed).toEqual([400_000]);
    expect(r).toMatchObject({ throughputPps: 400_000, bracket: { passPps: 400_000, failPps: null, generatorLimited: false } });
  });

  test('reports 0 and the bracket [0, min] when even the minimum fails', async () => {
    const d = device(capacityLoss(1_000));
    const r = await throughputSearch(d.trial, full);
    expect(r.throughputPps).toBe(0);
    expect(r.bracket).toEqual({ passPps: 0, failPps: 10_000, generatorLimited: false });
    expect(d.probed.at(-1)).toBe(10_000);
  });

  test('a generator that cannot offer more than 200k pps: the search stops at what it sent and flags it', async () => {
    const d = device(capacityLoss(300_000), 200_000);
    const r = await throughputSearch(d.trial, full);
    expect(r.bracket).toEqual({ passPps: 200_000, failPps: null, generatorLimited: true });
    // The top rate and its retry: nothing above what the generator sends can be measured.
    expect(d.probed).toEqual([400_000, 400_000]);
  });

  test('a relay that fails below the generator ceiling is measured as usual', async () => {
    const d = device(capacityLoss(120_000), 200_000);
    const r = await throughputSearch(d.trial, quick);
    expect(r.bracket.generatorLimited).toBe(false);
    expect(r.bracket.failPps! - r.bracket.passPps).toBeLessThanOrEqual(quick.resolutionPps);
    expect(120_000 - r.throughputPps).toBeLessThanOrEqual(quick.resolutionPps);
  });

  test('a trial failing by a little is retried once, and a pass on the retry counts', async () => {
    const cap = 250_000;
    let hiccups = 0;
    const d = device((pps) => {
      if (pps <= cap && hiccups === 0) { hiccups += 1; return 0.02; }
      return capacityLoss(cap)(pps);
    });
    const r = await throughputSearch(d.trial, full);
    expect(hiccups).toBe(1);
    expect(cap - r.throughputPps).toBeLessThanOrEqual(full.resolutionPps);
  });

  test('a clear overload (more than 10 % lost) is not retried', async () => {
    const d = device(capacityLoss(100_000));
    await throughputSearch(d.trial, full);
    expect(d.probed.filter((x) => x === 400_000)).toHaveLength(1);
  });

  test('a p99 over the limit fails the trial even without loss (a queue building up)', async () => {
    const lat = (p99: number) => ({ p50: 1e4, p90: 2e4, p99, p999: p99, max: p99 });
    const r = await throughputSearch(async (pps) => makeTrial(pps, 0, { latency: lat(pps > 150_000 ? 50e6 : 1e5) }), { ...full, maxP99Ns: 20e6 });
    expect(r.throughputPps).toBeLessThanOrEqual(150_000);
    expect(r.bracket.failPps).not.toBeNull();
  });

  test('inconsistent options are refused with the field named', async () => {
    const d = device(capacityLoss(1));
    await expect(throughputSearch(d.trial, { ...full, minPps: 2_000_000 })).rejects.toThrow(/minPps .* must be below maxPps/);
    await expect(throughputSearch(d.trial, { ...full, lossTolerance: 5 })).rejects.toThrow(/lossTolerance/);
    await expect(throughputSearch(d.trial, { ...full, resolutionPps: 0 })).rejects.toThrow(/resolutionPps/);
    await expect(throughputSearch(d.trial, { ...full, minAchievedRatio: 0 })).rejects.toThrow(/minAchievedRatio/);
    expect(d.probed).toEqual([]);
  });
});

describe('kneeEstimate', () => {
  test('one fail: what got through; two fails of a flat relay: the same capacity', () => {
    expect(kneeEstimate([{ offered: 400_000, delivered: 200_000 }])).toBe(200_000);
    expect(kneeEstimate([{ offered: 400_000, delivered: 200_000 }, { offered: 300_000, delivered: 200_000 }])).toBe(200_000);
  });

  test('two fails of a collapsing relay: where the line through them meets forwarded = offered', () => {
    // Forwards 100k at 300k and 50k at 400k: the line d = 250k - 0.5 o meets d = o at 166.7k.
    expect(kneeEstimate([{ offered: 400_000, delivered: 50_000 }, { offered: 300_000, delivered: 100_000 }])).toBeCloseTo(166_667, -1);
  });

  test('nothing to go by', () => {
    expect(kneeEstimate([])).toBeUndefined();
    expect(kneeEstimate([{ offered: 400_000, delivered: 0 }])).toBeUndefined();
  });
});

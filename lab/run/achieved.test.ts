/** perStreamAchievedPps: the achieved rate in the offered rate's unit (per stream), for each plan shape. */
import { describe, expect, test } from 'vitest';
import { perStreamAchievedPps } from './achieved.js';
import { bracketOf, MIN_ACHIEVED_RATIO } from '../results/verdict.js';
import { makeTrial } from '../measure/testing.js';

describe('perStreamAchievedPps', () => {
  test('one stream, one generator: its own rate', () => {
    expect(perStreamAchievedPps([{ streamName: 's1', rateFactor: 1, achievedPps: 9_500 }])).toBe(9_500);
  });

  test('two streams at the offered rate each average to the offered rate, not twice it', () => {
    const gens = [
      { streamName: 's1', rateFactor: 1, achievedPps: 10_000 },
      { streamName: 's2', rateFactor: 1, achievedPps: 10_000 },
    ];
    expect(perStreamAchievedPps(gens)).toBe(10_000);
  });

  test('one stream falling short pulls the average below the offered rate', () => {
    const gens = [
      { streamName: 's1', rateFactor: 1, achievedPps: 10_000 },
      { streamName: 's2', rateFactor: 1, achievedPps: 6_000 },
    ];
    expect(perStreamAchievedPps(gens)).toBe(8_000);
  });

  test('direct: copies per offered packet are divided out, also across a stream split over interfaces', () => {
    // 50 outputs on one interface: 50 copies per offered packet.
    expect(perStreamAchievedPps([{ streamName: 's1', rateFactor: 50, achievedPps: 100_000 }])).toBe(2_000);
    // One stream, outputs on two interfaces (3 + 2): 5 copies per offered packet in total.
    const split = [
      { streamName: 's1', rateFactor: 3, achievedPps: 3_000 },
      { streamName: 's1', rateFactor: 2, achievedPps: 2_000 },
      { streamName: 's2', rateFactor: 1, achievedPps: 500 },
    ];
    expect(perStreamAchievedPps(split)).toBe((1_000 + 500) / 2);
  });

  test('no generators: 0', () => {
    expect(perStreamAchievedPps([])).toBe(0);
  });

  test('with per-stream accounting a multi-stream shortfall is credited at what was achieved', () => {
    // Two streams offered 10k each, one only reached 6k: the old summed figure (16k) hid this.
    const achieved = perStreamAchievedPps([
      { streamName: 's1', rateFactor: 1, achievedPps: 10_000 },
      { streamName: 's2', rateFactor: 1, achievedPps: 6_000 },
    ]);
    const step = { ...makeTrial(10_000, 0), achievedPps: achieved };
    expect(bracketOf([step], { lossTolerance: 0, minAchievedRatio: MIN_ACHIEVED_RATIO })).toEqual({ passPps: 8_000, failPps: null, generatorLimited: true });
  });
});

import { describe, expect, test } from 'vitest';
import type { Trial } from '../results/types.js';
import { creditedThroughput } from './session.js';

const trial = (offeredPps: number, achievedPps: number, lossRatio: number): Trial => ({
  offeredPps, achievedPps, lossRatio, payloadBytes: 1316, durationS: 1, sent: achievedPps, outputs: [], deliveredPps: achievedPps,
});

describe('creditedThroughput', () => {
  test('a pass at a rate the generator reached is credited in full', () => {
    expect(creditedThroughput(100_000, [trial(100_000, 99_800, 0)], 0)).toBe(100_000);
  });

  test('a pass at a rate the generator could not reach is credited only with what it offered', () => {
    expect(creditedThroughput(400_000, [trial(400_000, 150_000, 0.4), trial(400_000, 80_123.4, 0)], 0.001)).toBe(80_123);
  });

  test('the best passing attempt at that rate counts; failed attempts do not', () => {
    expect(creditedThroughput(200_000, [trial(200_000, 190_000, 0.2), trial(200_000, 120_000, 0), trial(200_000, 150_000, 0)], 0)).toBe(150_000);
  });

  test('a search that found nothing stays at 0', () => {
    expect(creditedThroughput(0, [trial(10_000, 9_000, 0.5), trial(10_000, 9_000, 0.5)], 0)).toBe(0);
  });
});

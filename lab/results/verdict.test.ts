import { describe, expect, test } from 'vitest';
import type { Trial } from './types.js';
import { bracketOf, passRuleOf, trialVerdict, worstDeliveredPps, MIN_ACHIEVED_RATIO } from './verdict.js';
import { makeTrial } from '../measure/testing.js';

const rule = { lossTolerance: 0.001, minAchievedRatio: MIN_ACHIEVED_RATIO };
const trial = (offeredPps: number, achievedPps: number, lossRatio: number): Trial => makeTrial(offeredPps, lossRatio, { achievedPps });

describe('trialVerdict (the independent kit\'s pass rule)', () => {
  test('loss within the tolerance at a rate the generator reached passes', () => {
    expect(trialVerdict(trial(100_000, 99_000, 0.0005), rule)).toBe('pass');
  });

  test('loss beyond the tolerance fails, whatever the generator did', () => {
    expect(trialVerdict(trial(100_000, 100_000, 0.002), rule)).toBe('fail');
    expect(trialVerdict(trial(100_000, 50_000, 0.5), rule)).toBe('fail');
  });

  test('no loss, but the generator sent less than 97 % of the rate: generator-limited', () => {
    expect(trialVerdict(trial(100_000, 96_000, 0), rule)).toBe('generator-limited');
  });

  test('a p99 above the limit fails only when the rule has one', () => {
    const t = makeTrial(100_000, 0, { latency: { p50: 1e4, p90: 1e5, p99: 30e6, p999: 40e6, max: 50e6 } });
    expect(trialVerdict(t, rule)).toBe('pass');
    expect(trialVerdict(t, { ...rule, maxP99Ns: 20e6 })).toBe('fail');
  });

  test('results written before the rule was recorded are read with loss and the 97 % generator rule', () => {
    expect(passRuleOf({ lossTolerance: 0.001 })).toEqual(rule);
    expect(passRuleOf({ lossTolerance: 0, search: { minAchievedRatio: 0.9, maxP99Ns: 1e6 } })).toEqual({ lossTolerance: 0, minAchievedRatio: 0.9, maxP99Ns: 1e6 });
  });
});

describe('bracketOf', () => {
  test('highest pass and lowest fail above it; a rate retried into a pass passes', () => {
    const steps = [trial(400_000, 400_000, 0.5), trial(190_000, 190_000, 0), trial(200_000, 200_000, 0.005), trial(200_000, 200_000, 0), trial(210_000, 210_000, 0.3)];
    expect(bracketOf(steps, rule)).toEqual({ passPps: 200_000, failPps: 210_000, generatorLimited: false });
  });

  test('a fail where the generator fell short fails at what it sent', () => {
    expect(bracketOf([trial(400_000, 180_000, 0.2), trial(150_000, 150_000, 0)], rule)).toEqual({ passPps: 150_000, failPps: 180_000, generatorLimited: false });
  });

  test('nothing failed: no upper end; nothing passed: 0', () => {
    expect(bracketOf([trial(400_000, 400_000, 0)], rule)).toEqual({ passPps: 400_000, failPps: null, generatorLimited: false });
    expect(bracketOf([trial(400_000, 400_000, 1), trial(10_000, 10_000, 1)], rule)).toEqual({ passPps: 0, failPps: 10_000, generatorLimited: false });
  });

  test('the worst output\'s forwarding rate is what got through', () => {
    const t = makeTrial(100_000, 0, { outputs: 2 });
    t.outputs[1] = { ...t.outputs[1]!, received: 40_000, lost: 60_000, lossRatio: 0.6 };
    expect(worstDeliveredPps(t)).toBe(40_000);
  });
});

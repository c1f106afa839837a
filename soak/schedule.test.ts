import { describe, expect, test } from 'vitest';
import { NOMINAL_PERIOD_S, planFaults } from './schedule.js';

describe('planFaults', () => {
  test('a 3-minute run fires every fault at least once, between warm-up and tail, in time order', () => {
    const s = planFaults(3);
    expect(s).toMatchObject({ durationS: 180, warmupS: 23, tailS: 23 });
    for (const kind of Object.keys(NOMINAL_PERIOD_S)) expect(s.faults.some((f) => f.kind === kind), kind).toBe(true);
    for (const f of s.faults) {
      expect(f.atS).toBeGreaterThanOrEqual(s.warmupS);
      expect(f.atS).toBeLessThan(s.durationS - s.tailS);
    }
    expect(s.faults.map((f) => f.atS)).toEqual([...s.faults.map((f) => f.atS)].sort((a, b) => a - b));
  });

  test('a 30-minute run keeps the nominal periods: a worker kill every 2 min, SIGHUP every minute', () => {
    const s = planFaults(30);
    expect(s.scale).toBe(1);
    const kills = s.faults.filter((f) => f.kind === 'worker-kill').map((f) => f.atS);
    expect(kills.slice(0, 3)).toEqual([96, 216, 336]);
    expect(s.faults.filter((f) => f.kind === 'sighup')).toHaveLength(28);
    expect(s.faults.filter((f) => f.kind === 'link-flap')).toHaveLength(10);
  });

  test('a run too short for a warm-up, faults and a tail is refused naming the flag', () => {
    expect(() => planFaults(1)).toThrow('--minutes: expected a number >= 2, got 1');
    expect(() => planFaults(Number.NaN)).toThrow('--minutes');
  });
});

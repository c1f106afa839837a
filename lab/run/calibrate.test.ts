import { describe, expect, test } from 'vitest';
import type { Calibration } from '../results/types.js';
import type { ResolvedTest } from '../scenario/resolve.js';
import { calibrationWarnings, measurableCeiling } from './calibrate.js';

const cal: Calibration = { durationS: 1, tx: 'packet', generatorPps: 230_000, generatorNsPerPacket: 2_100, directPps: 180_000, directLoss: 0.02, sinkNsPerPacket: 1_100 };
const tests: ResolvedTest[] = [
  { kind: 'fixed-rate', name: 'fixed-50k', durationS: 1, repetitions: 1, ratePps: 50_000 },
  { kind: 'fixed-rate', name: 'fixed-200k', durationS: 1, repetitions: 1, ratePps: 200_000 },
  { kind: 'throughput', name: 'throughput', durationS: 1, repetitions: 1, minPps: 10_000, maxPps: 450_000, lossTolerance: 0.001, resolutionPps: 5_000, maxSteps: 6 },
  { kind: 'latency', name: 'latency', durationS: 1, repetitions: 1, loadFraction: 0.5 },
];

describe('calibration', () => {
  test('what the lab can measure is the smaller of what the generators offer and what the direct path carries', () => {
    expect(measurableCeiling(cal)).toBe(180_000);
    expect(measurableCeiling({ ...cal, directPps: 300_000 })).toBe(230_000);
  });

  test('tests asking for more than that are warned about, naming the test and both ceilings', () => {
    const w = calibrationWarnings(cal, { tests });
    expect(w).toHaveLength(2);
    expect(w[0]).toBe('warning: fixed-200k offers 200k pps but this machine\'s generators offer at most 230k pps and the direct path (generator and sink sharing the traffic CPUs) carries 180k pps: that test measures the lab, not the relay');
    expect(w[1]).toMatch(/^warning: throughput searches up to 450k pps but .*: a relay faster than 180k pps is measured as generator-limited \(≥\), not as its figure$/);
    expect(calibrationWarnings({ ...cal, generatorPps: 600_000, directPps: 500_000 }, { tests })).toEqual([]);
  });
});

import { describe, expect, test } from 'vitest';
import { loadBetween, noisyBecause, parseAggregate, parseCpuMhz, type LoadSnapshot } from './machine-load.js';

describe('machine load', () => {
  test('the aggregate /proc/stat line gives total, busy and steal ticks (guest already inside user)', () => {
    expect(parseAggregate('cpu  100 5 50 800 10 3 7 25 40 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n')).toEqual({ total: 1000, busy: 190, steal: 25 });
  });

  test('cpu MHz per CPU from /proc/cpuinfo', () => {
    expect(parseCpuMhz('processor\t: 0\ncpu MHz\t\t: 2596.138\nprocessor\t: 1\ncpu MHz\t\t: 2400.0\n')).toEqual([2596, 2400]);
  });

  test('between two snapshots: shares of all CPU time, load average at both ends, clock range', () => {
    const a: LoadSnapshot = { atMs: 0, total: 1000, busy: 100, steal: 0, loadavg1: 0.5, cpuMhz: [2596, 2596] };
    const b: LoadSnapshot = { atMs: 60_000, total: 3000, busy: 1300, steal: 200, loadavg1: 4.2, cpuMhz: [2400, 2596] };
    const l = loadBetween(a, b);
    expect(l).toEqual({ seconds: 60, stealRatio: 0.1, busyRatio: 0.6, loadavg1: [0.5, 4.2], cpuMhz: [2400, 2596] });
    expect(noisyBecause(l, 2)).toBe('the machine was loaded (10.0 % of CPU time stolen by the hypervisor, load average up to 4.2 on 2 CPUs): figures are noisy, compare only ratios measured side by side');
    expect(noisyBecause({ ...l, stealRatio: 0.01, loadavg1: [0.3, 1.1] }, 2)).toBeUndefined();
  });
});

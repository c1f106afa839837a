import { describe, expect, test } from 'vitest';
import { cpuMask, describePlacement, formatCpuList, parseCpuList, placementProblems, planPlacement, tasksetPrefix } from './placement.js';

describe('CPU placement planning', () => {
  test('default on two CPUs: relay on the last, traffic on the other, masks as rps_cpus takes them', () => {
    expect(planPlacement(undefined, [0, 1])).toEqual({ pinned: true, source: 'default', traffic: [0], relay: [1], trafficMask: '1', relayMask: '2' });
  });

  test('default on four CPUs: relay on CPU 3, traffic on 0-2', () => {
    const p = planPlacement(undefined, [0, 1, 2, 3]);
    expect(p).toMatchObject({ traffic: [0, 1, 2], relay: [3], trafficMask: '7', relayMask: '8' });
  });

  test('one CPU: nothing is pinned, and the record says why', () => {
    const p = planPlacement(undefined, [0]);
    expect(p).toMatchObject({ pinned: false, source: 'single-cpu', traffic: [], relay: [] });
    expect(p.trafficMask).toBeUndefined();
    expect(describePlacement(p)).toContain('one CPU');
  });

  test('cpus: false turns placement off even with CPUs to spare', () => {
    expect(planPlacement(false, [0, 1, 2, 3])).toMatchObject({ pinned: false, source: 'off' });
  });

  test('an explicit side gets the other side as its complement', () => {
    expect(planPlacement({ relay: [0] }, [0, 1, 2])).toMatchObject({ source: 'scenario', traffic: [1, 2], relay: [0], relayMask: '1', trafficMask: '6' });
    expect(planPlacement({ traffic: [2] }, [0, 1, 2])).toMatchObject({ traffic: [2], relay: [0, 1], relayMask: '3', trafficMask: '4' });
    expect(planPlacement({ traffic: [1, 0, 1], relay: [3] }, [0, 1, 2, 3])).toMatchObject({ traffic: [0, 1], relay: [3] });
  });

  test('mcrd with N workers: the default relay side is the CPUs mcrd pins them to', () => {
    expect(planPlacement(undefined, [0, 1, 2, 3], { mcrdWorkers: 2 })).toMatchObject({ relay: [0, 1], traffic: [2, 3] });
    const two = planPlacement(undefined, [0, 1], { mcrdWorkers: 2 });
    expect(two).toMatchObject({ relay: [0, 1], traffic: [0, 1] });
    expect(two.note).toContain('traffic shares');
  });

  test('problems name the field: offline CPU, empty side, overlap, workers outside the relay side', () => {
    const online = [0, 1];
    expect(placementProblems(planPlacement({ relay: [5] }, online), online)).toEqual([
      { path: 'cpus.relay', message: 'CPU 5 is not online (this machine has CPUs 0-1)', severity: 'error' },
    ]);
    expect(placementProblems(planPlacement({ traffic: [0, 1] }, online), online)[0]).toMatchObject({ path: 'cpus.relay', severity: 'error' });
    expect(placementProblems(planPlacement({ traffic: [0, 1], relay: [1] }, online), online)).toEqual([
      expect.objectContaining({ path: 'cpus', severity: 'warning', message: expect.stringContaining('share CPU 1') }),
    ]);
    expect(placementProblems(planPlacement({ traffic: [0], relay: [1] }, online, { mcrdWorkers: 2 }), online, { mcrdWorkers: 2 })).toEqual([
      expect.objectContaining({ path: 'cpus.relay', severity: 'warning', message: expect.stringContaining('0 is not in cpus.relay') }),
    ]);
    expect(placementProblems(planPlacement(undefined, online), online)).toEqual([]);
    expect(placementProblems(planPlacement(false, online), online)).toEqual([]);
  });
});

describe('CPU lists and masks', () => {
  test('cpulist parsing (sysfs format) and formatting round-trip', () => {
    expect(parseCpuList('0-3,5\n')).toEqual([0, 1, 2, 3, 5]);
    expect(parseCpuList('1')).toEqual([1]);
    expect(formatCpuList([5, 0, 1, 2, 3])).toBe('0-3,5');
    expect(formatCpuList([1, 3])).toBe('1,3');
    expect(() => parseCpuList('3-1')).toThrow(/backwards/);
    expect(() => parseCpuList('a')).toThrow(/expected e.g./);
  });

  test('rps_cpus masks: hex, 32-bit groups separated by commas above CPU 31', () => {
    expect(cpuMask([0])).toBe('1');
    expect(cpuMask([1])).toBe('2');
    expect(cpuMask([0, 1, 2, 3])).toBe('f');
    expect(cpuMask([31])).toBe('80000000');
    expect(cpuMask([33])).toBe('2,00000000');
    expect(cpuMask([0, 32])).toBe('1,00000001');
    expect(cpuMask([])).toBe('0');
  });

  test('taskset prefix only when there is something to pin to', () => {
    expect(tasksetPrefix([0, 1, 2])).toEqual(['taskset', '-c', '0-2']);
    expect(tasksetPrefix([])).toEqual([]);
    expect(tasksetPrefix(undefined)).toEqual([]);
  });
});

import { spawn } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { busyNsBetween, kernelNsBetween, parseProcStatCpus, readCpuTimes } from './cores.js';

const STAT = `cpu  100 5 50 1000 20 3 7 2 0 0
cpu0 60 5 30 400 10 1 4 1 9 0
cpu1 40 0 20 600 10 2 3 1 0 0
intr 12345 0 0
ctxt 999
`;

describe('/proc/stat per-CPU busy time', () => {
  test('busy = user + nice + system + irq + softirq + steal, kernel = system + irq + softirq; idle and iowait are not busy, guest is inside user', () => {
    const m = parseProcStatCpus(STAT);
    expect([...m.keys()]).toEqual([0, 1]);
    expect(m.get(0)).toEqual({ busy: 60 + 5 + 30 + 1 + 4 + 1, idle: 400 + 10, kernel: 30 + 1 + 4 });
    expect(m.get(1)).toEqual({ busy: 40 + 20 + 2 + 3 + 1, idle: 610, kernel: 20 + 2 + 3 });
  });

  test('an old kernel without steal columns parses with them as 0; garbage is refused', () => {
    expect(parseProcStatCpus('cpu0 1 2 3 4\n').get(0)).toEqual({ busy: 6, idle: 4, kernel: 3 });
    expect(() => parseProcStatCpus('cpu0 1 x 3 4\n')).toThrow(/unexpected \/proc\/stat line/);
    expect(() => parseProcStatCpus('intr 1 2\n')).toThrow(/no per-CPU lines/);
  });

  test('delta over chosen CPUs in ns; a CPU gone offline or a counter going back counts 0', () => {
    const before = parseProcStatCpus(STAT);
    const after = parseProcStatCpus(STAT.replace('cpu0 60 5 30', 'cpu0 70 5 35').replace('cpu1 40 0 20 600 10 2 3', 'cpu1 40 0 20 600 10 2 9'));
    expect(busyNsBetween(before, after, [0], 100)).toBe(15 * 10_000_000);
    expect(busyNsBetween(before, after, [1], 100)).toBe(6 * 10_000_000);
    expect(busyNsBetween(before, after, [0, 1, 1], 100)).toBe(21 * 10_000_000);
    expect(busyNsBetween(before, after, [7], 100)).toBe(0);
    expect(busyNsBetween(after, before, [0], 100)).toBe(0);
    expect(kernelNsBetween(before, after, [0], 100)).toBe(5 * 10_000_000);
    expect(kernelNsBetween(before, after, [0, 1], 100)).toBe(11 * 10_000_000);
  });

  test('a process spinning pinned to one CPU shows up as busy time on that CPU', async () => {
    const cpus = [...readCpuTimes().keys()];
    const cpu = cpus[cpus.length - 1]!;
    const before = readCpuTimes();
    const child = spawn('taskset', ['-c', String(cpu), process.execPath, '-e', 'const e=Date.now()+400; while(Date.now()<e){}'], { stdio: 'ignore' });
    await new Promise((r) => child.on('exit', r));
    // 400 ms of spinning on a (possibly shared) CPU: at least most of it is there, ticks are 10 ms.
    expect(busyNsBetween(before, readCpuTimes(), [cpu])).toBeGreaterThan(250e6);
  });
});

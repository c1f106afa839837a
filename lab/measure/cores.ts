/**
 * Per-CPU busy time from /proc/stat, so CPU per packet can be measured on the relay's core for every
 * relay alike: kernel forwarding runs in softirq context (no process to measure), and a relay's own
 * process time leaves out the kernel receive work done on its behalf. Covered by cores.test.ts.
 *
 * Busy = user + nice + system + irq + softirq + steal. Idle and iowait are not busy; guest and
 * guest_nice are already inside user and nice, so they are not added again. Values are USER_HZ ticks
 * (CLK_TCK, 10 ms at 100 Hz): a trial should keep the relay core busy for many ticks before its
 * figure means much, so short low-rate trials are coarse.
 *
 * Usage:  const before = readCpuTimes(); ...; const ns = busyNsBetween(before, readCpuTimes(), [1]);
 */
import { readFileSync } from 'node:fs';
import { clockTicksPerSecond } from './cpu.js';

export interface CpuTicks {
  busy: number;
  idle: number;
  /**
   * system + irq + softirq: kernel work, which on the relay CPUs is the relay's syscalls and the
   * packet work RPS steered there (plus other programs' system time, usually small next to their user time).
   */
  kernel: number;
}

/** "cpuN user nice system idle iowait irq softirq steal guest guest_nice" lines → CPU number → ticks. */
export function parseProcStatCpus(text: string): Map<number, CpuTicks> {
  const out = new Map<number, CpuTicks>();
  for (const line of text.split('\n')) {
    const m = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const f = m[2]!.trim().split(/\s+/).map(Number);
    if (f.length < 4 || f.some((v) => !Number.isFinite(v))) throw new Error(`unexpected /proc/stat line: ${line.slice(0, 80)}`);
    const at = (i: number) => f[i] ?? 0;
    // user nice system idle iowait irq softirq steal (older kernels stop early: missing fields are 0)
    out.set(Number(m[1]), { busy: at(0) + at(1) + at(2) + at(5) + at(6) + at(7), idle: at(3) + at(4), kernel: at(2) + at(5) + at(6) });
  }
  if (out.size === 0) throw new Error('no per-CPU lines in /proc/stat');
  return out;
}

export function readCpuTimes(): Map<number, CpuTicks> {
  return parseProcStatCpus(readFileSync('/proc/stat', 'utf8'));
}

/**
 * Busy ns of `cpus` between two readings. A CPU missing from either reading (went offline) counts 0;
 * a counter that went backwards (CPU hot-plugged meanwhile) counts 0 rather than negative.
 */
export function busyNsBetween(before: Map<number, CpuTicks>, after: Map<number, CpuTicks>, cpus: readonly number[], ticksPerSecond = clockTicksPerSecond()): number {
  return deltaNs(before, after, cpus, 'busy', ticksPerSecond);
}

/** system + irq + softirq ns of `cpus` between two readings (ksoftirqd's work is in it too). */
export function kernelNsBetween(before: Map<number, CpuTicks>, after: Map<number, CpuTicks>, cpus: readonly number[], ticksPerSecond = clockTicksPerSecond()): number {
  return deltaNs(before, after, cpus, 'kernel', ticksPerSecond);
}

function deltaNs(before: Map<number, CpuTicks>, after: Map<number, CpuTicks>, cpus: readonly number[], key: 'busy' | 'kernel', ticksPerSecond: number): number {
  let ticks = 0;
  for (const c of new Set(cpus)) {
    const a = before.get(c);
    const b = after.get(c);
    if (a && b) ticks += Math.max(0, b[key] - a[key]);
  }
  return ticks * (1e9 / ticksPerSecond);
}

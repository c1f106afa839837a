/**
 * How busy the machine was while a run measured: steal time (the hypervisor running someone else on
 * our vCPUs), how much of all CPUs was busy, the load average at both ends and the CPU clock, so a
 * reader can tell a quiet run from a loaded one (issue 12: noise handled as careful benchmarkers do).
 * Recorded in results.json as environment.load; covered by machine-load.test.ts.
 *
 * Usage: const w = loadSnapshot(); ...run...; const load = loadBetween(w, loadSnapshot());
 */
import { readFileSync } from 'node:fs';
import type { MachineLoad } from '../results/types.js';

export interface LoadSnapshot { atMs: number; total: number; busy: number; steal: number; loadavg1: number; cpuMhz: number[] }

/** The aggregate "cpu" line of /proc/stat: user nice system idle iowait irq softirq steal … (ticks). */
export function parseAggregate(stat: string): { total: number; busy: number; steal: number } {
  const line = stat.split('\n').find((l) => /^cpu\s/.test(l));
  if (!line) throw new Error('no aggregate cpu line in /proc/stat');
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const at = (i: number): number => f[i] ?? 0;
  // guest and guest_nice are already counted in user and nice.
  const total = at(0) + at(1) + at(2) + at(3) + at(4) + at(5) + at(6) + at(7);
  return { total, busy: total - at(3) - at(4), steal: at(7) };
}

/** "cpu MHz : 2596.138" lines of /proc/cpuinfo, one per CPU (empty where the kernel does not say). */
export function parseCpuMhz(cpuinfo: string): number[] {
  return [...cpuinfo.matchAll(/^cpu MHz\s*:\s*([\d.]+)/gm)].map((m) => Math.round(Number(m[1])));
}

export function loadSnapshot(): LoadSnapshot {
  const read = (f: string): string => { try { return readFileSync(f, 'utf8'); } catch { return ''; } };
  const agg = parseAggregate(readFileSync('/proc/stat', 'utf8'));
  return { atMs: Date.now(), ...agg, loadavg1: Number(read('/proc/loadavg').split(' ')[0] ?? NaN), cpuMhz: parseCpuMhz(read('/proc/cpuinfo')) };
}

/** What happened between two snapshots (shares as ratios 0..1). */
export function loadBetween(a: LoadSnapshot, b: LoadSnapshot): MachineLoad {
  const total = Math.max(1, b.total - a.total);
  const mhz = [...a.cpuMhz, ...b.cpuMhz].filter((x) => x > 0);
  return {
    seconds: Math.round((b.atMs - a.atMs) / 100) / 10,
    stealRatio: Math.max(0, b.steal - a.steal) / total,
    busyRatio: Math.max(0, b.busy - a.busy) / total,
    loadavg1: [a.loadavg1, b.loadavg1].map((x) => (Number.isFinite(x) ? x : -1)) as [number, number],
    ...(mhz.length > 0 && { cpuMhz: [Math.min(...mhz), Math.max(...mhz)] as [number, number] }),
  };
}

/** Above this steal share, or a load average above the CPU count, a run's figures are called noisy. */
export const NOISY_STEAL = 0.05;

/** Why this run's figures are noisy, or undefined when the machine looked quiet. */
export function noisyBecause(load: MachineLoad, cpus: number): string | undefined {
  const why: string[] = [];
  if (load.stealRatio > NOISY_STEAL) why.push(`${(load.stealRatio * 100).toFixed(1)} % of CPU time stolen by the hypervisor`);
  const worst = Math.max(...load.loadavg1);
  if (worst > cpus) why.push(`load average up to ${worst.toFixed(1)} on ${cpus} CPUs`);
  return why.length ? `the machine was loaded (${why.join(', ')}): figures are noisy, compare only ratios measured side by side` : undefined;
}

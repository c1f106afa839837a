/**
 * CPU placement of a run (issue 4 measures "generator and sink on one core and the relay on the
 * other"): which CPUs the traffic tools (mcr-gen, mcr-sink) and the relay processes are pinned to,
 * and the RPS masks that steer each host's receive work (kernel forwarding, AF_PACKET and socket
 * delivery) to the same side. Planning is pure (this file, covered by placement.test.ts); applying
 * it is taskset in the process runners and rps.ts for the masks.
 *
 * Defaults: on a machine with >= 2 CPUs the relay gets the last CPU and traffic all the others; on
 * one CPU there is nothing to separate, so nothing is pinned. Given only one side, the other side is
 * every remaining CPU. `cpus: false` turns placement off.
 *
 * mcrd with N > 1 workers pins worker i to CPU i mod (CPUs) itself (relay/daemon/workers.ts), which
 * overrides any affinity it inherited: the default relay side is then those CPUs, and an explicit
 * `cpus.relay` should list them, or the per-core CPU figure misses the workers that run elsewhere
 * (placementProblems says so).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { CpuPlacement } from '../results/types.js';
import type { CpusSpec } from '../scenario/schema.js';

export type { CpuPlacement };

/** "0-3,5" (the kernel's cpulist format, as in /sys/devices/system/cpu/online) → [0,1,2,3,5]. */
export function parseCpuList(text: string): number[] {
  const out = new Set<number>();
  for (const part of text.trim().split(',').filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new Error(`bad CPU list "${text.trim()}": expected e.g. "0-3,5"`);
    const lo = Number(m[1]);
    const hi = m[2] !== undefined ? Number(m[2]) : lo;
    if (hi < lo) throw new Error(`bad CPU list "${text.trim()}": range ${part} runs backwards`);
    for (let c = lo; c <= hi; c++) out.add(c);
  }
  return [...out].sort((a, b) => a - b);
}

/** CPUs that are online (and so can be pinned to), from sysfs; os.cpus() when sysfs is not readable. */
export function onlineCpus(): number[] {
  try {
    return parseCpuList(readFileSync('/sys/devices/system/cpu/online', 'utf8'));
  } catch {
    return Array.from({ length: Math.max(1, os.cpus().length) }, (_, i) => i);
  }
}

/**
 * A CPU set as the hex bitmap rps_cpus takes: 32-bit groups, most significant first, comma-separated
 * ([1] → "2", [0, 1] → "3", [33] → "2,00000000").
 */
export function cpuMask(cpus: readonly number[]): string {
  if (cpus.length === 0) return '0';
  const words = Array.from({ length: Math.floor(Math.max(...cpus) / 32) + 1 }, () => 0);
  for (const c of cpus) words[Math.floor(c / 32)]! |= 1 << (c % 32);
  const hex = words.reverse().map((w) => (w >>> 0).toString(16));
  return [hex[0]!, ...hex.slice(1).map((h) => h.padStart(8, '0'))].join(',');
}

/** [0, 1, 2, 5] → "0-2,5": the form taskset -c and the reports use. */
export function formatCpuList(cpus: readonly number[]): string {
  const sorted = [...new Set(cpus)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

export interface PlanOptions {
  /** mcrd --num-workers: with > 1, the default relay side is the CPUs mcrd pins its workers to. */
  mcrdWorkers?: number;
}

/** The placement a scenario's `cpus` asks for on a machine with these online CPUs. */
export function planPlacement(spec: CpusSpec | undefined, online: readonly number[], opts: PlanOptions = {}): CpuPlacement {
  const all = [...new Set(online)].sort((a, b) => a - b);
  if (spec === false) return { pinned: false, source: 'off', traffic: [], relay: [], note: 'cpus: false in the scenario' };
  if (spec === undefined) {
    if (all.length < 2) return { pinned: false, source: 'single-cpu', traffic: [], relay: [], note: 'one CPU: nothing to separate' };
    const workers = opts.mcrdWorkers ?? 1;
    const relay = workers > 1 ? [...new Set(Array.from({ length: workers }, (_, i) => all[i % all.length]!))].sort((a, b) => a - b) : [all[all.length - 1]!];
    const rest = all.filter((c) => !relay.includes(c));
    // mcrd workers on every CPU leave none for traffic: share them, and say so.
    const traffic = rest.length > 0 ? rest : all;
    return withMasks({ pinned: true, source: 'default', traffic, relay, ...(rest.length === 0 ? { note: `mcrd's ${workers} workers use every CPU: traffic shares them` } : {}) });
  }
  const relay = spec.relay ?? (spec.traffic ? all.filter((c) => !spec.traffic!.includes(c)) : [all[all.length - 1]!]);
  const traffic = spec.traffic ?? all.filter((c) => !relay.includes(c));
  return withMasks({ pinned: true, source: 'scenario', traffic: sorted(traffic), relay: sorted(relay) });
}

function sorted(cpus: readonly number[]): number[] {
  return [...new Set(cpus)].sort((a, b) => a - b);
}

function withMasks(p: CpuPlacement): CpuPlacement {
  return { ...p, trafficMask: cpuMask(p.traffic), relayMask: cpuMask(p.relay) };
}

/**
 * What is wrong with a planned placement on this machine, as `cpus.<side>...: message` lines naming
 * the field (empty = fine). Errors: a side left empty, a CPU that is not online. Warnings: the sides
 * overlap (per-core figures then include traffic work), mcrd workers outside the relay side.
 */
export function placementProblems(p: CpuPlacement, online: readonly number[], opts: PlanOptions = {}): Array<{ path: string; message: string; severity: 'error' | 'warning' }> {
  if (!p.pinned) return [];
  const out: Array<{ path: string; message: string; severity: 'error' | 'warning' }> = [];
  const have = `this machine has CPUs ${formatCpuList(online)}`;
  for (const side of ['traffic', 'relay'] as const) {
    if (p[side].length === 0) out.push({ path: `cpus.${side}`, message: `no CPU left for ${side} (${have}); list CPUs for both sides or set cpus: false`, severity: 'error' });
    p[side].forEach((c) => {
      if (!online.includes(c)) out.push({ path: `cpus.${side}`, message: `CPU ${c} is not online (${have})`, severity: 'error' });
    });
  }
  const shared = p.traffic.filter((c) => p.relay.includes(c));
  if (shared.length > 0 && p.source === 'scenario') {
    out.push({ path: 'cpus', message: `traffic and relay share CPU ${formatCpuList(shared)}: the relay-core CPU figure includes generator and sink work there`, severity: 'warning' });
  }
  const workers = opts.mcrdWorkers ?? 1;
  if (workers > 1 && p.source === 'scenario') {
    const pinnedTo = sorted(Array.from({ length: workers }, (_, i) => online[i % online.length]!));
    const outside = pinnedTo.filter((c) => !p.relay.includes(c));
    if (outside.length > 0) {
      out.push({ path: 'cpus.relay', message: `mcrd pins its ${workers} workers to CPU ${formatCpuList(pinnedTo)}; ${formatCpuList(outside)} is not in cpus.relay, so the relay-core CPU figure misses the workers there`, severity: 'warning' });
    }
  }
  return out;
}

/** One line for reports and logs: "traffic CPU 0, relay CPU 1 (default)" or "off (one CPU: …)". */
export function describePlacement(p: CpuPlacement): string {
  if (!p.pinned) return `none (${p.note ?? p.source})`;
  return `traffic CPU ${formatCpuList(p.traffic)}, relay CPU ${formatCpuList(p.relay)} (${p.source}${p.note ? `; ${p.note}` : ''}); RPS masks traffic ${p.trafficMask}, relay ${p.relayMask}`;
}

/** argv prefix that pins a command to `cpus` (empty when nothing is pinned). */
export function tasksetPrefix(cpus: readonly number[] | undefined): string[] {
  return cpus && cpus.length > 0 ? ['taskset', '-c', formatCpuList(cpus)] : [];
}

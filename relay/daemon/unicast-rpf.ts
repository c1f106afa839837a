/**
 * PIM's view of the kernel's unicast routes: `rpf(addr)` asks the kernel which interface and next hop
 * it would use toward `addr` (`ip -j route get`, the kernel's own FIB lookup, so policy routing and
 * metrics are the kernel's), and `watchRoutes` runs `ip -o monitor route` to tell PIM when routes
 * change (coalesced) so that every RPF is re-resolved. Exercised by relay/e2e/pim-*.e2e tests.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import type { Logger } from './log.js';

export interface KernelRpf { interface: string; neighbor: string; metric?: number }

/** One `ip -j route get` answer, as the kernel prints it. */
interface RouteGet { dst?: string; gateway?: string; dev?: string; type?: string; metric?: number }

/** Interpret one `ip -j route get ADDR` output; null for local, unreachable or unparsable answers. */
export function parseRouteGet(addr: string, stdout: string): KernelRpf | null {
  let rows: unknown;
  try { rows = JSON.parse(stdout); } catch { return null; }
  const r = Array.isArray(rows) ? (rows[0] as RouteGet | undefined) : undefined;
  if (!r || typeof r.dev !== 'string' || r.dev === 'lo' || (r.type !== undefined && r.type !== 'unicast')) return null;
  return { interface: r.dev, neighbor: typeof r.gateway === 'string' ? r.gateway : addr, ...(typeof r.metric === 'number' ? { metric: r.metric } : {}) };
}

export function kernelRpf(addr: string): Promise<KernelRpf | null> {
  return new Promise((resolve) => {
    execFile('ip', ['-j', 'route', 'get', addr], { timeout: 2000 }, (err, stdout) => resolve(err ? null : parseRouteGet(addr, stdout)));
  });
}

/**
 * `lookup` with at most `concurrency` calls in flight and `queue` waiting: PIM resolves the RPF of every
 * new source, and a flood of sources must not fork a process per datagram. Past the queue a lookup
 * answers null at once (PIM then forgets the source until the engine reports it again, 20 s later),
 * counted in `dropped`.
 */
export function limitRpf(lookup: (addr: string) => Promise<KernelRpf | null>, o = { concurrency: 8, queue: 512 }) {
  let running = 0;
  const waiting: Array<() => void> = [];
  const state = { dropped: 0 };
  const next = () => { running--; waiting.shift()?.(); };
  const rpf = (addr: string): Promise<KernelRpf | null> => {
    if (running >= o.concurrency && waiting.length >= o.queue) { state.dropped++; return Promise.resolve(null); }
    const go = () => { running++; return lookup(addr).finally(next); };
    if (running < o.concurrency) return go();
    return new Promise((resolve) => waiting.push(() => { void go().then(resolve); }));
  };
  return { rpf, state };
}

/** Call `changed` (at most every 200 ms) while the kernel's routes change, between start and stop. */
export function watchRoutes(changed: () => void, log: Logger): { start(): void; stop(): void } {
  let child: ChildProcess | null = null;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  const kick = () => { timer ??= setTimeout(() => { timer = null; changed(); }, 200); };
  return {
    start() {
      child = spawn('ip', ['-o', 'monitor', 'route'], { stdio: ['ignore', 'pipe', 'ignore'] });
      child.stdout!.on('data', kick);
      child.on('error', (err) => log.warn(`route watch not running (RPF is re-resolved only on interface changes): ${err.message}`));
      child.on('exit', () => { if (!stopped) log.warn('route watch ended (RPF is re-resolved only on interface changes)'); });
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      child?.kill();
      child = null;
    },
  };
}

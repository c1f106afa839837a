/**
 * PIM's view of the kernel's unicast routes: `rpf(addr)` asks the kernel which interface and next hop
 * it would use toward `addr` (RTM_GETROUTE through the addon's routeGet, the kernel's own FIB lookup, so
 * policy routing and metrics are the kernel's; microseconds, no process per new source), and
 * `watchRoutes` runs `ip -o monitor route` to tell PIM when routes change (coalesced) so that every RPF
 * is re-resolved. Tested in unicast-rpf.test.ts and the relay/e2e/pim-*.e2e tests.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { type NativeRoute, loadNative } from '../engine/native.js';
import type { Logger } from './log.js';

export interface KernelRpf { interface: string; neighbor: string; metricPreference?: number; metric?: number }

/**
 * The Assert metric preference (RFC 7761 §4.6: the administrative distance of the protocol the route
 * came from) of a kernel route, by the rtm_protocol its installer gave it. The kernel keeps no
 * distance; FRR's zebra marks each route with its protocol's number, and these are FRR's default
 * distances, so a route FRR installed weighs in mcrd's Asserts what it weighs in FRR's. Routes FRR
 * did not install (kernel, boot, static from `ip route`, DHCP, RA) count 0, as FRR counts them.
 */
export const PREFERENCE_BY_PROTOCOL: ReadonlyMap<number, number> = new Map([
  [196, 1],   // zebra static
  [191, 10],  // nhrp
  [186, 20],  // bgp (eBGP's distance; the kernel cannot tell iBGP's 200)
  [192, 90],  // eigrp
  [42, 100],  // babel
  [188, 110], // ospf
  [187, 115], // isis
  [197, 115], // openfabric
  [189, 120], // rip
  [194, 150], // sharp
]);

/** Interpret one routeGet answer; null for local, unreachable or other non-unicast answers. */
export function rpfOfRoute(addr: string, r: NativeRoute | { error: string }): KernelRpf | null {
  if ('error' in r || r.type !== 'unicast' || r.interface === null || r.interface === 'lo') return null;
  const preference = PREFERENCE_BY_PROTOCOL.get(r.protocol);
  return { interface: r.interface, neighbor: r.gateway ?? addr, ...(preference ? { metricPreference: preference } : {}), ...(r.metric ? { metric: r.metric } : {}) };
}

export function kernelRpf(addr: string): Promise<KernelRpf | null> {
  try {
    return Promise.resolve(rpfOfRoute(addr, loadNative().routeGet(addr)));
  } catch {
    return Promise.resolve(null);
  }
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

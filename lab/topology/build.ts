/**
 * Topology up: namespaces → bridges → links → sysctls → routes → FRR routers, each step recorded in the run's
 * state before the next. On failure the caller tears down from the record (teardown.ts).
 * Exercise by hand: `mcr-lab up scenarios/chain.yaml`, then `mcr-lab down <runid>`.
 */
import type { ResolvedScenario } from '../scenario/resolve.js';
import { bridgeUp } from './bridge.js';
import { frrHostsUp } from './frr-hosts.js';
import { SWITCH_HOST, type RunContext } from './context.js';
import { netnsUp } from './netns.js';
import { routeUp } from './routes.js';
import { sysctlsUp } from './sysctls.js';
import { vethUp } from './veth.js';

export async function topologyUp(ctx: RunContext, s: ResolvedScenario): Promise<void> {
  for (const h of s.hosts) await netnsUp(ctx, ctx.ns(h.name));
  if (s.bridges.length > 0) {
    const sw = ctx.ns(SWITCH_HOST);
    await netnsUp(ctx, sw);
    for (const b of s.bridges) await bridgeUp(ctx, sw, b);
  }
  for (const l of s.links) await vethUp(ctx, l);
  for (const h of s.hosts) {
    const ifaces = s.links.flatMap((l) => [l.a, l.b]).filter((e) => 'host' in e && e.host === h.name).map((e) => e.interface);
    await sysctlsUp(ctx, ctx.ns(h.name), h.sysctls, ifaces);
    for (const r of h.routes) await routeUp(ctx, ctx.ns(h.name), r);
  }
  await frrHostsUp(ctx, s);
}

/** Address (without prefix length) of a host's interface, from the scenario. */
export function addressOf(s: ResolvedScenario, host: string, ifname: string): string | undefined {
  for (const l of s.links) {
    for (const e of [l.a, l.b]) {
      if ('host' in e && e.host === host && e.interface === ifname && e.address) return e.address.split('/')[0];
    }
  }
  return undefined;
}

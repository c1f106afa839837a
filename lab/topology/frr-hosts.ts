/**
 * The FRR routers of a scenario (hosts with an `frr:` block): started once the links, sysctls and
 * routes of their namespaces are up, with the configuration text from the YAML, and recorded in the
 * run's state (lab/runners/frr-daemons.ts), so the topology's teardown stops them by pid like any
 * other process of the run. Their pimd needs the kernel's multicast routing only to forward; it is
 * checked with the rest of what the machine must offer (verify-protocols.ts).
 */
import { startFrr } from '../runners/frr-daemons.js';
import { waitFor } from '../runners/process.js';
import type { ResolvedScenario } from '../scenario/resolve.js';
import type { RunContext } from './context.js';

export async function frrHostsUp(ctx: RunContext, s: ResolvedScenario): Promise<void> {
  for (const h of s.hosts) {
    if (!h.frr) continue;
    const frr = await startFrr(ctx, h.name, ctx.ns(h.name), h.frr);
    if (h.frr.pimd !== undefined) {
      // pimd has read its configuration once it shows PIM on every interface the text names.
      const named = [...h.frr.pimd.matchAll(/^interface (\S+)/gm)].map((m) => m[1]!);
      await waitFor(async () => {
        const shown = JSON.parse(await frr.vtysh('show ip pim interface json')) as Record<string, unknown>;
        return named.every((i) => i in shown || !/^\s*ip pim/m.test(pimdBlock(h.frr!.pimd!, i)));
      }, `FRR pimd on ${h.name} with its interfaces`, { timeoutMs: 10_000, intervalMs: 100, signal: ctx.signal });
    }
  }
}

/** The lines of `interface NAME` in a pimd config, up to the next top-level line. */
export function pimdBlock(text: string, ifname: string): string {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.trim() === `interface ${ifname}`);
  if (start < 0) return '';
  const end = lines.findIndex((l, i) => i > start && l.length > 0 && !/^\s/.test(l));
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
}

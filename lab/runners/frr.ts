/**
 * `frr`: FRR's pimd with the kernel's multicast forwarding as the router under test, the choice
 * users have for routable sources, configured from the same `relay.router` description as mcrd
 * (router-config.ts) so the two compare in one role. It runs only where the kernel has multicast
 * routing, and forwards nothing the kernel's reverse-path check drops (a source with no route back
 * through its input interface): the membership results then say so (sourceRpfNotes).
 */
import type { ResolvedScenario } from '../scenario/resolve.js';
import type { RunContext } from '../topology/context.js';
import { frrMissing, startFrr } from './frr-daemons.js';
import { kernelMroutingMissing } from './mroute.js';
import { sourceRpfProblem } from './kernel.js';
import { frrRouterPimd, waitPimNeighbors } from './router-config.js';
import { runCommand, waitFor } from './process.js';
import { relayedPlan, type RelayRunner } from './types.js';

export const frrRunner: RelayRunner = {
  name: 'frr',
  async check(_ctx, s) {
    if (!s.router) return 'frr: the scenario has no relay.router role (FRR routes by protocol, it has no static rules)';
    const missing = frrMissing() ?? kernelMroutingMissing();
    return missing ? `frr: ${missing}` : undefined;
  },
  plan: relayedPlan,
  async start(ctx: RunContext, s: ResolvedScenario) {
    const frr = await startFrr(ctx, s.relayHost, ctx.ns(s.relayHost), { pimd: frrRouterPimd(s) });
    try {
      const wanted = [...new Set([...(s.router?.igmp?.interfaces ?? []), ...(s.router?.pim?.interfaces ?? []), ...(s.router?.sources ?? [])])];
      await waitFor(async () => {
        const shown = JSON.parse(await frr.vtysh('show ip pim interface json')) as Record<string, unknown>;
        return wanted.every((i) => i in shown);
      }, `FRR pimd on ${s.relayHost} with PIM on ${wanted.join(', ')}`, { timeoutMs: 10_000, intervalMs: 100, signal: ctx.signal });
      await waitPimNeighbors(ctx, s, async () => {
        const shown = JSON.parse(await frr.vtysh('show ip pim neighbor json')) as Record<string, Record<string, unknown>>;
        return Object.keys(shown).filter((i) => Object.keys(shown[i] ?? {}).length > 0);
      });
    } catch (err) {
      await frr.stop();
      throw err;
    }
    const ns = ctx.ns(s.relayHost);
    return {
      relay: 'frr', pids: frr.daemons.map((d) => d.pid), stop: () => frr.stop(), problem: () => frr.problem(),
      members: async () => igmpMembers(JSON.parse(await frr.vtysh('show ip igmp groups json')) as unknown),
      routerState: async () => {
        const show = async (cmd: string) => `$ vtysh -c '${cmd}'\n${(await frr.vtysh(cmd)).trimEnd()}`;
        const kernel = (await runCommand(ctx, ['ip', 'mroute', 'show'], { netns: ns, reject: false, timeoutMs: 10_000 })).stdout.trimEnd();
        return [await show('show ip igmp groups'), await show('show ip mroute'), `$ ip mroute show\n${kernel}`].join('\n');
      },
    };
  },
};

/** Why the kernel under FRR drops a stream before any routing, one note per such stream. */
export async function sourceRpfNotes(ctx: RunContext, s: ResolvedScenario): Promise<string[]> {
  const notes: string[] = [];
  for (const st of s.streams) {
    const p = await sourceRpfProblem(ctx, s, st);
    if (p) notes.push(`frr: ${p}: FRR + kernel forwarding cannot forward stream ${st.name} (0 delivered is the expected result)`);
  }
  return notes;
}

/**
 * "interface group" per member in FRR 8.4's `show ip igmp groups json`: interfaces as keys (besides
 * totalGroups, watermarkLimit), each with `groups: [{ group, ... }]`.
 */
export function igmpMembers(shown: unknown): string[] {
  if (typeof shown !== 'object' || shown === null) return [];
  return Object.entries(shown as Record<string, unknown>).flatMap(([ifname, v]) => {
    const groups = (v as { groups?: unknown } | null)?.groups;
    return Array.isArray(groups) ? groups.flatMap((g) => (typeof (g as { group?: unknown }).group === 'string' ? [`${ifname} ${(g as { group: string }).group}`] : [])) : [];
  });
}

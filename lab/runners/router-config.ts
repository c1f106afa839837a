/**
 * The router under test's configuration, for mcrd (JSON5 `igmp:`/`pim:`/`rules:` sections) and for
 * FRR (pimd.conf), generated from the scenario's one `relay.router` description so that both run
 * the same timers, interfaces and RP. Same-role equivalences:
 *  - IGMP querier on `igmp.interfaces`: mcrd `querier_interfaces`; FRR `ip pim` + `ip igmp` there.
 *  - robustness: FRR 8.4 takes it from last-member-query-count, so mcrd's is set to that count too.
 *  - source interfaces: mcrd `upstream_interfaces` (and PIM there when PIM runs); FRR `ip pim`.
 *  - with PIM, mcrd runs it on the source and receiver interfaces too, as FRR's `ip pim` there.
 *  - an IGMP-only router: FRR needs an RP for any (*,G), so it is its own RP at its first source
 *    interface's address; mcrd needs none.
 *  - `originate`: mcrd static rules onto a PIM interface (it Registers them as DR); FRR has no such thing.
 * Covered by router-config.test.ts.
 */
import type { ResolvedScenario } from '../scenario/resolve.js';
import { addressOf } from '../topology/build.js';
import type { RunContext } from '../topology/context.js';
import { waitFor } from './process.js';

type Router = NonNullable<ResolvedScenario['router']>;

/** mcrd's config file contents (written as JSON, which JSON5 reads). */
export function mcrdRouterConfig(s: ResolvedScenario): Record<string, unknown> {
  const r = requireRouter(s);
  const cfg: Record<string, unknown> = {};
  if (r.igmp) {
    cfg['igmp'] = {
      enabled: true,
      querier_interfaces: r.igmp.interfaces,
      ...(r.sources.length > 0 ? { upstream_interfaces: r.sources } : {}),
      version: r.igmp.version,
      query_interval: r.igmp.queryIntervalS,
      query_response_interval: r.igmp.queryResponseIntervalS,
      robustness: r.igmp.lastMemberQueryCount,
      last_member_query_interval: r.igmp.lastMemberQueryIntervalS,
      last_member_query_count: r.igmp.lastMemberQueryCount,
    };
  }
  if (r.pim) {
    // As FRR's `ip pim` on them: PIM runs on the source and receiver interfaces too.
    const ifs = [...new Set([...r.pim.interfaces, ...r.sources, ...(r.igmp?.interfaces ?? [])])];
    cfg['pim'] = {
      enabled: true,
      interfaces: ifs.map((name) => ({ name, hello_period: r.pim!.helloPeriodS, ...(r.pim!.drPriority !== undefined ? { dr_priority: r.pim!.drPriority } : {}) })),
      static_rp: [{ group: r.pim.groups, rp: r.pim.rp }],
      spt_switchover: r.pim.sptSwitchover,
    };
  }
  if (r.originate.length > 0) {
    cfg['rules'] = r.originate.map((o) => {
      const st = s.streams.find((x) => x.name === o.stream)!;
      return {
        name: `originate-${st.name}`,
        input: { interface: st.input, group: st.group, port: st.port },
        outputs: [{ interface: o.interface, group: st.group, port: st.port, ttl: st.ttl }],
      };
    });
  }
  return cfg;
}

/** FRR's pimd.conf for the same role. */
export function frrRouterPimd(s: ResolvedScenario): string {
  const r = requireRouter(s);
  const lines = [`hostname ${s.relayHost}`, '!'];
  const blocks = new Map<string, string[]>();
  const block = (ifname: string) => blocks.get(ifname) ?? blocks.set(ifname, [' ip pim']).get(ifname)!;
  for (const ifname of r.sources) block(ifname);
  for (const ifname of r.pim?.interfaces ?? []) {
    block(ifname).push(` ip pim hello ${r.pim!.helloPeriodS}`, ...(r.pim!.drPriority !== undefined ? [` ip pim drpriority ${r.pim!.drPriority}`] : []));
  }
  for (const ifname of r.igmp?.interfaces ?? []) {
    const g = r.igmp!;
    block(ifname).push(
      ' ip igmp', ` ip igmp version ${g.version}`, ` ip igmp query-interval ${g.queryIntervalS}`,
      ` ip igmp query-max-response-time ${deciseconds(g.queryResponseIntervalS)}`,
      ` ip igmp last-member-query-interval ${deciseconds(g.lastMemberQueryIntervalS)}`,
      ` ip igmp last-member-query-count ${g.lastMemberQueryCount}`,
    );
  }
  for (const [ifname, body] of blocks) lines.push(`interface ${ifname}`, ...body, '!');
  lines.push(`ip pim rp ${rpOf(s, r)} ${r.pim?.groups ?? '224.0.0.0/4'}`);
  if (r.pim?.sptSwitchover === 'never') lines.push('ip pim spt-switchover infinity-and-beyond');
  return `${lines.join('\n')}\n`;
}

function rpOf(s: ResolvedScenario, r: Router): string {
  if (r.pim) return r.pim.rp;
  const own = r.sources.map((i) => addressOf(s, s.relayHost, i)).find((a) => a !== undefined);
  if (!own) throw new Error('relay.router: an IGMP-only router needs a source interface with an address (FRR is its own RP there)');
  return own;
}

function requireRouter(s: ResolvedScenario): Router {
  if (!s.router) throw new Error('relay.router: the scenario gives no router role');
  return s.router;
}

const deciseconds = (sec: number) => Math.round(sec * 10);

/**
 * Waits until the router under test has a PIM neighbor on every PIM interface of its role (Joins go
 * only to neighbors), asking through `neighborInterfaces` (the interfaces with at least one).
 */
export async function waitPimNeighbors(ctx: RunContext, s: ResolvedScenario, neighborInterfaces: () => Promise<string[]>): Promise<void> {
  const wanted = s.router?.pim?.interfaces ?? [];
  if (wanted.length === 0) return;
  let seen: string[] = [];
  await waitFor(async () => {
    seen = await neighborInterfaces();
    return wanted.every((i) => seen.includes(i));
  }, `PIM neighbors on ${wanted.join(', ')} of ${s.relayHost} (so far on: ${seen.join(', ') || 'none'})`,
  { timeoutMs: PIM_NEIGHBOR_WAIT_MS, intervalMs: 200, signal: ctx.signal });
}

/** Hello periods of 30 s: a neighbor that missed the first Hellos is heard within one period. */
const PIM_NEIGHBOR_WAIT_MS = 40_000;

/**
 * The `pim:` section of the mcrd config, in MCR's keys. One zod schema produces every error message;
 * `resolvePimConfig` applies the RFC 7761 defaults once so the module never reads a raw value.
 */
import { z } from 'zod';
import { parseIpv4, parsePrefix, type Prefix } from './addr.js';

const unicast = (what: string) =>
  z.string({ error: `expected ${what} as an IPv4 address like 10.0.0.1` })
    .refine((s) => { const n = parseIpv4(s); return n !== undefined && n >>> 28 !== 0xe && n !== 0; },
      { error: `expected ${what} as a unicast IPv4 address like 10.0.0.1` });

const groupRange = z.string({ error: 'expected a group range like 239.0.0.0/8' })
  .refine((s) => { const p = parsePrefix(s); return p !== undefined && p.len >= 4 && p.addr >>> 28 === 0xe; },
    { error: 'expected a multicast group range like 239.0.0.0/8 (no host bits, inside 224.0.0.0/4)' });

const seconds = (lo: number, hi: number) =>
  z.number({ error: `expected seconds ${lo}-${hi}` }).min(lo, { error: `expected seconds ${lo}-${hi}` }).max(hi, { error: `expected seconds ${lo}-${hi}` });

export const pimInterfaceSchema = z.strictObject({
  name: z.string({ error: 'expected an interface name' }).min(1, { error: 'expected an interface name' }).max(15, { error: 'interface names are at most 15 characters' }),
  dr_priority: z.int({ error: 'expected integer 0-4294967295' }).min(0, { error: 'expected integer 0-4294967295' }).max(0xffffffff, { error: 'expected integer 0-4294967295' }).optional(),
  hello_period: seconds(1, 18000).optional(),
});

export const pimConfigSchema = z.strictObject({
  enabled: z.boolean({ error: 'expected true or false' }).optional(),
  router_id: unicast('router_id').optional(),
  interfaces: z.array(pimInterfaceSchema, { error: 'expected a list of { name, dr_priority, hello_period }' }).optional(),
  static_rp: z.array(z.strictObject({ group: groupRange, rp: unicast('rp') }), { error: 'expected a list of { group, rp }' }).optional(),
  rp_address: unicast('rp_address').optional(),
  spt_switchover: z.enum(['immediate', 'never'], { error: 'expected "immediate" or "never"' }).optional(),
  hello_holdtime: seconds(1, 65535).optional(),
  join_prune_interval: seconds(1, 18000).optional(),
}).superRefine((c, ctx) => {
  const names = new Set<string>();
  (c.interfaces ?? []).forEach((i, n) => {
    if (names.has(i.name)) ctx.addIssue({ code: 'custom', path: ['interfaces', n, 'name'], message: `interface ${i.name} is listed twice; merge the entries` });
    names.add(i.name);
  });
  const ranges = new Set<string>();
  (c.static_rp ?? []).forEach((r, n) => {
    if (ranges.has(r.group)) ctx.addIssue({ code: 'custom', path: ['static_rp', n, 'group'], message: `group range ${r.group} has two RPs; keep one` });
    ranges.add(r.group);
  });
});
export type PimConfig = z.infer<typeof pimConfigSchema>;

export interface PimInterfaceSettings { name: string; drPriority: number; helloPeriodMs: number; helloHoldtimeS: number }
export interface ResolvedPimConfig {
  enabled: boolean;
  routerId: string | undefined;
  interfaces: PimInterfaceSettings[];
  staticRp: Array<{ range: Prefix; rp: string }>;
  sptSwitchover: 'immediate' | 'never';
  joinPruneIntervalMs: number;
}

/** RFC 7761 §4.11 defaults: Hello_Period 30 s, holdtime 3.5 × Hello_Period, t_periodic 60 s, DR priority 1. */
export function resolvePimConfig(c: PimConfig): ResolvedPimConfig {
  const staticRp = (c.static_rp ?? []).map((r) => ({ range: parsePrefix(r.group)!, rp: r.rp }));
  if (c.rp_address !== undefined && !staticRp.some((r) => r.range.len === 4)) staticRp.push({ range: { addr: 0xe0000000, len: 4 }, rp: c.rp_address });
  return {
    enabled: c.enabled ?? true,
    routerId: c.router_id,
    interfaces: (c.interfaces ?? []).map((i) => {
      const period = i.hello_period ?? 30;
      return { name: i.name, drPriority: i.dr_priority ?? 1, helloPeriodMs: period * 1000, helloHoldtimeS: Math.min(65535, Math.round(c.hello_holdtime ?? period * 3.5)) };
    }),
    staticRp,
    sptSwitchover: c.spt_switchover ?? 'immediate',
    joinPruneIntervalMs: (c.join_prune_interval ?? 60) * 1000,
  };
}

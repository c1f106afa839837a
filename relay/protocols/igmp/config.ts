/**
 * The `igmp:` section of the mcrd config (MCR's keys) and the timers derived from it (RFC 3376 §8).
 *
 *   igmp: { enabled: true, querier_interfaces: ["eth1"], interfaces: ["eth1", "eth2"],
 *           query_interval: 125, query_response_interval: 10, robustness: 2 }
 *
 * Times are seconds as in MCR; response intervals have the wire's 0.1 s resolution. Unset keys take
 * the RFC defaults. Tested in config.test.ts.
 */
import { z } from 'zod';

/** Largest value the exponential code of Max Resp Code / QQIC can carry (RFC 3376 §4.1.1). */
export const MAX_CODE_VALUE = 31744;
/** Sources that fit one query in a 1500-byte MTU with room to spare (24-byte IP header with Router Alert). */
export const MAX_SOURCES_LIMIT = 300;

const int = (min: number, max: number, unit = '') =>
  z.int({ error: `expected integer ${min}-${max}${unit}` })
    .min(min, { error: `expected integer ${min}-${max}${unit}` })
    .max(max, { error: `expected integer ${min}-${max}${unit}` });

/** Seconds with 0.1 s resolution, as carried by Max Resp Code. */
const tenths = (min: number, max: number) => {
  const msg = `expected seconds ${min}-${max} in steps of 0.1`;
  return z.number({ error: msg }).min(min, { error: msg }).max(max, { error: msg })
    .refine((v) => Math.abs(v * 10 - Math.round(v * 10)) < 1e-9, { error: msg });
};

const ifnames = z.array(
  z.string({ error: 'expected an interface name' }).min(1, { error: 'expected an interface name' }).max(15, { error: 'expected an interface name of at most 15 characters' }),
  { error: 'expected a list of interface names like ["eth1"]' },
);

export const igmpConfigSchema = z.strictObject({
  enabled: z.boolean({ error: 'expected true or false' }).default(true),
  querier_interfaces: ifnames.default([]),
  interfaces: ifnames.optional(),
  query_interval: int(1, MAX_CODE_VALUE, ' (s)').default(125),
  query_response_interval: tenths(0.1, MAX_CODE_VALUE / 10).default(10),
  robustness: int(1, 7).default(2),
  last_member_query_interval: tenths(0.1, MAX_CODE_VALUE / 10).default(1),
  last_member_query_count: int(1, 7).optional(),
  startup_query_interval: z.number({ error: 'expected seconds > 0' }).positive({ error: 'expected seconds > 0' }).optional(),
  startup_query_count: int(1, 7).optional(),
  version: z.union([z.literal(2), z.literal(3)], { error: 'expected 2 or 3' }).default(3),
  max_groups: int(1, 65536).default(4096),
  max_sources: int(1, MAX_SOURCES_LIMIT).default(256),
  require_router_alert: z.boolean({ error: 'expected true or false' }).default(false),
}, { error: 'expected an object' })
  .check((ctx) => {
    const c = ctx.value;
    if (c.query_response_interval >= c.query_interval) {
      ctx.issues.push({ code: 'custom', input: c.query_response_interval, path: ['query_response_interval'],
        message: `expected less than query_interval (${c.query_interval} s), got ${c.query_response_interval}; lower it or raise query_interval` });
    }
    if (c.version === 2) {
      for (const key of ['query_response_interval', 'last_member_query_interval'] as const) {
        if (c[key] > 25.5) {
          ctx.issues.push({ code: 'custom', input: c[key], path: [key],
            message: `expected at most 25.5 s with version 2 (IGMPv2 Max Resp Time is one octet of 0.1 s), got ${c[key]}` });
        }
      }
    }
  });

export type IgmpConfigInput = z.input<typeof igmpConfigSchema>;
export type IgmpConfig = z.output<typeof igmpConfigSchema>;

/** The per-interface protocol variables, in milliseconds (RFC 3376 §8). */
export interface Timers {
  robustness: number;
  queryIntervalMs: number;
  queryResponseIntervalMs: number;
  lastMemberQueryIntervalMs: number;
  lastMemberQueryCount: number;
  startupQueryIntervalMs: number;
  startupQueryCount: number;
}

/** Timers from the config, RFC defaults filled in (startup interval QI/4, counts = robustness). */
export function configTimers(c: IgmpConfig): Timers {
  return {
    robustness: c.robustness,
    queryIntervalMs: c.query_interval * 1000,
    queryResponseIntervalMs: Math.round(c.query_response_interval * 10) * 100,
    lastMemberQueryIntervalMs: Math.round(c.last_member_query_interval * 10) * 100,
    lastMemberQueryCount: c.last_member_query_count ?? c.robustness,
    startupQueryIntervalMs: Math.round((c.startup_query_interval ?? c.query_interval / 4) * 1000),
    startupQueryCount: c.startup_query_count ?? c.robustness,
  };
}

/** Group Membership Interval = Older Host Present Interval = robustness × QI + QRI (§8.4, §8.13). */
export const groupMembershipIntervalMs = (t: Timers): number => t.robustness * t.queryIntervalMs + t.queryResponseIntervalMs;
/** Other Querier Present Interval = robustness × QI + QRI / 2 (§8.5). */
export const otherQuerierPresentMs = (t: Timers): number => t.robustness * t.queryIntervalMs + t.queryResponseIntervalMs / 2;
/** Last Member Query Time = LMQI × LMQC (§8.9). */
export const lastMemberQueryTimeMs = (t: Timers): number => t.lastMemberQueryIntervalMs * t.lastMemberQueryCount;

/** Interfaces where membership is tracked: `interfaces`, or the querier interfaces when unset. */
export function trackedInterfaces(c: IgmpConfig): string[] {
  return [...new Set([...(c.interfaces ?? c.querier_interfaces), ...c.querier_interfaces])].sort();
}

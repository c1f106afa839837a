/**
 * The protocol parts of the scenario format (imported by schema.ts): FRR routers as hosts, the
 * router role of the router under test (one description from which both mcrd's and FRR's configs
 * are generated, so the two run with the same timers), and the membership test (RFC 3918 §6.1/§6.2
 * join and leave delay). docs/lab.md, "Routers and membership tests".
 */
import { z } from 'zod';

const IFNAME = /^[A-Za-z][A-Za-z0-9_.-]*$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const GROUP_RANGE = /^(22[4-9]|23\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\/([4-9]|[12]\d|3[0-2])$/;

const ifname = z.string().regex(IFNAME, 'expected an interface name such as "eth0"').max(15, 'interface names are limited to 15 characters (IFNAMSIZ)');
const ipv4 = z.string().regex(IPV4, 'expected an IPv4 address such as "10.0.0.1"');
const ifnames = z.array(ifname).min(1, 'expected at least one interface name, e.g. [eth1]');

/** FRR daemon configuration as written in the YAML: checked for shape here, by `vtysh --dryrun` at run time. */
const frrText = z.string()
  .min(1, 'expected FRR configuration text (a YAML block scalar: `pimd: |` then the lines)')
  .refine((t) => !t.includes('\0'), 'configuration text must not contain NUL characters');

export const frrHostSchema = z.strictObject({
  zebra: frrText.optional().describe('zebra.conf (default: just a hostname). Interfaces and addresses come from the links.'),
  staticd: frrText.optional().describe('staticd.conf, e.g. "ip route 10.0.3.0/24 10.0.1.2"; staticd runs only when given.'),
  pimd: frrText.optional().describe('pimd.conf: "interface X" / " ip pim" / " ip igmp" ..., "ip pim rp A G/LEN"; pimd runs only when given.'),
}).refine((f) => f.pimd !== undefined || f.staticd !== undefined, 'give at least one of pimd or staticd (zebra alone routes nothing)')
  .describe('Run FRR (zebra, plus staticd and pimd when configured) on this host, inside its namespace; forwarding is turned on.');

const secs = (min: number, max: number) => z.number().min(min, `expected seconds ${min}-${max}`).max(max, `expected seconds ${min}-${max}`);
/** Seconds in 0.1 s steps (the IGMP wire's resolution, FRR's deciseconds). */
const tenths = (min: number, max: number) => secs(min, max).refine((v) => Math.abs(v * 10 - Math.round(v * 10)) < 1e-9, `expected seconds ${min}-${max} in steps of 0.1`);

export const routerIgmpSchema = z.strictObject({
  interfaces: ifnames.describe('Receiver LANs: IGMP querier (and for FRR `ip pim`) here.'),
  version: z.union([z.literal(2), z.literal(3)]).default(3),
  queryIntervalS: z.number().int().min(1).max(3600).default(125),
  queryResponseIntervalS: tenths(0.1, 25.5).default(10),
  lastMemberQueryIntervalS: tenths(0.1, 25.5).default(1).describe('RFC 3376 LMQI; leave delay is about LMQI × LMQC.'),
  lastMemberQueryCount: z.number().int().min(1).max(7).default(2)
    .describe('Also the robustness variable of both routers (FRR 8.4 has no separate knob: it uses this count).'),
});

export const routerPimSchema = z.strictObject({
  interfaces: ifnames.describe('Interfaces toward other PIM routers.'),
  rp: ipv4.describe('Static RP address for `groups`.'),
  groups: z.string().regex(GROUP_RANGE, 'expected a group range such as "224.0.0.0/4"').default('224.0.0.0/4'),
  sptSwitchover: z.enum(['immediate', 'never']).default('immediate'),
  helloPeriodS: z.number().int().min(1).max(18000).default(30),
  drPriority: z.number().int().min(0).max(4294967295).optional().describe('DR priority on every PIM interface (default 1).'),
});

export const routerSchema = z.strictObject({
  igmp: routerIgmpSchema.optional(),
  pim: routerPimSchema.optional(),
  sources: z.array(ifname).default([]).describe('Interfaces where sources are directly attached (mcrd: upstream_interfaces and PIM; FRR: `ip pim`).'),
  originate: z.array(z.strictObject({
    stream: z.string().describe('Stream name.'),
    interface: ifname.describe('PIM interface mcrd re-originates the stream onto (as DR it Registers it to the RP).'),
  })).default([]).describe('mcrd only: static rules that relay a stream captured at layer 2 onto a PIM interface, group and port unchanged. FRR has no equivalent.'),
}).refine((r) => r.igmp !== undefined || r.pim !== undefined, 'a router needs igmp or pim (or both)')
  .describe('The router under test (relays mcrd and frr): both are configured from this one description.');

export const membershipTestSchema = z.strictObject({
  kind: z.literal('membership'),
  name: z.string().regex(/^[a-z][a-z0-9-]{0,19}$/, 'expected a lower-case name: a letter, then letters, digits or "-" (at most 20)'),
  repetitions: z.number().int().min(1).max(100).optional(),
  ratePps: z.number().positive().max(100000).default(1000).describe('Rate of every stream, flowing before the first join and throughout.'),
  cycles: z.number().int().min(1).max(1000).default(10).describe('Join/leave cycles per receiver and repetition.'),
  holdS: secs(0, 60).default(0.5).describe('Membership held after the first data frame.'),
  gapS: secs(0, 60).default(0.5).describe('Time out of the group after a leave completed.'),
  timeoutS: secs(0.1, 300).default(10).describe('A join without data, or a leave with data still flowing, gives up after this.'),
  quietS: secs(0.001, 10).default(0.2).describe('A leave is complete after this long without data (well above the stream\'s frame interval).'),
  receivers: z.array(z.string()).optional().describe('Output names whose sinks join and leave (default: every output).'),
  convergence: z.strictObject({
    spt: ifname.describe('Relay-host interface the shortest-path tree arrives on.'),
    rpt: ifname.describe('Relay-host interface the shared (RP) tree arrives on.'),
  }).optional().describe('Time the switch to the shortest-path tree from data frames on the router under test\'s own links.'),
});

export type FrrHostConfig = z.output<typeof frrHostSchema>;
export type RouterRole = z.output<typeof routerSchema>;
export type MembershipTestSpec = z.output<typeof membershipTestSchema>;

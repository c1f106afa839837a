/**
 * The scenario format: one zod schema that validates scenario YAML, writes the error messages (via
 * load.ts) and emits scenarios/scenario.schema.json for editors (`npm run build:ts && node
 * dist/lab/scenario/emit-schema.js`; schema.test.ts fails when the committed file is stale).
 *
 * Objects are strict: an unknown key is an error (with a "did you mean" from load.ts), because a typo
 * such as `ratepps:` silently falling back to a default would measure the wrong thing.
 */
import { z } from 'zod';
import { METRICS } from '../measure/thresholds.js';
import { frrHostSchema, membershipTestSchema, routerSchema } from './protocol-schema.js';

const NAME = /^[a-z][a-z0-9-]{0,19}$/;
const IFNAME = /^[A-Za-z][A-Za-z0-9_.-]*$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const CIDR = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\/([0-9]|[12]\d|3[0-2])$/;

export const name = z.string().regex(NAME, 'expected a lower-case name: a letter, then letters, digits or "-" (at most 20)');
export const ifname = z.string().regex(IFNAME, 'expected an interface name such as "eth0"').max(15, 'interface names are limited to 15 characters (IFNAMSIZ)');
export const ipv4 = z.string().regex(IPV4, 'expected an IPv4 address such as "10.0.0.1"');
export const cidr = z.string().regex(CIDR, 'expected an IPv4 address with prefix length such as "10.0.0.1/24"');
export const group = ipv4.refine((g) => {
  const first = Number(g.split('.')[0]);
  return first >= 224 && first <= 239;
}, 'expected an IPv4 multicast group (224.0.0.0 - 239.255.255.255)');
export const port = z.number().int().min(1).max(65535);
const pps = z.number().positive();
const seconds = z.number().positive();
const ratio = z.number().min(0).max(1);

/** tc-netem values are passed to `tc` verbatim, so they are checked against tc's own syntax here. */
const tcTime = z.string().regex(/^\d+(\.\d+)?(us|ms|s)$/, 'expected a time such as "1ms", "250us" or "0.5s"');
const tcPercent = z.string().regex(/^\d+(\.\d+)?%$/, 'expected a percentage such as "0.1%"');
const tcRate = z.string().regex(/^\d+(\.\d+)?(bit|kbit|mbit|gbit|bps|kbps|mbps|gbps)$/, 'expected a rate such as "100mbit" or "1gbit"');

export const netemSchema = z.strictObject({
  delay: tcTime.optional().describe('One-way delay added on egress of both ends, e.g. "1ms".'),
  jitter: tcTime.optional().describe('Delay variation; needs delay.'),
  loss: tcPercent.optional().describe('Random loss, e.g. "0.1%".'),
  rate: tcRate.optional().describe('Rate limit, e.g. "100mbit".'),
});

export const linkSettings = z.strictObject({
  mtu: z.number().int().min(576).max(65535).optional().describe('MTU of both ends (default 1500).'),
  netem: netemSchema.optional(),
});

const hostEnd = z.strictObject({
  host: name.describe('Host (network namespace) this end lives in.'),
  interface: ifname.describe('Interface name inside the host, e.g. "eth0".'),
  address: cidr.optional().describe('IPv4 address with prefix length, e.g. "10.0.0.1/24".'),
});
const bridgeEnd = z.strictObject({
  bridge: name.describe('Bridge this end is a port of.'),
});

export const linkSchema = z.strictObject({
  a: hostEnd,
  b: z.union([hostEnd, bridgeEnd]),
  mtu: linkSettings.shape.mtu,
  netem: linkSettings.shape.netem,
});

const routeSchema = z.strictObject({
  to: z.union([z.literal('default'), cidr]).describe('Destination prefix or "default".'),
  via: ipv4.optional(),
  dev: ifname.optional(),
});

/** Sysctl knobs the lab sets per host; values apply to `all`, `default` and every interface of the host. */
export const sysctlsSchema = z.strictObject({
  rp_filter: z.union([z.literal(0), z.literal(1), z.literal(2)]).optional().describe('Reverse-path filter: 0 off, 1 strict, 2 loose.'),
  forwarding: z.union([z.literal(0), z.literal(1)]).optional().describe('net.ipv4.conf.*.forwarding and net.ipv4.ip_forward.'),
  mc_forwarding: z.union([z.literal(0), z.literal(1)]).optional().describe('Read-only in the kernel (set while an MRT socket such as smcrouted\'s is open): rejected by verify with that explanation.'),
});

export const hostSchema = z.strictObject({
  description: z.string().optional(),
  sysctls: sysctlsSchema.optional(),
  routes: z.array(routeSchema).optional(),
  frr: frrHostSchema.optional(),
});

const endpointRef = z.strictObject({ host: name, interface: ifname });

export const outputSchema = z.strictObject({
  name: name.describe('Output name used in results, e.g. "sink1".'),
  interface: ifname.describe('Relay interface the output leaves through.'),
  group,
  port,
  ttl: z.number().int().min(1).max(255).optional(),
  sink: endpointRef.describe('Host and interface the sink listens on.'),
});

export const streamSchema = z.strictObject({
  name: name,
  source: endpointRef.describe('Host and interface the generator sends from.'),
  group,
  port,
  input: ifname.describe('Relay interface the stream arrives on.'),
  outputs: z.array(outputSchema).default([]).describe('Outputs of this stream; with `fanout` may be empty.'),
  /** Output-port range shorthand is deliberately absent: fan-out scenarios list outputs or use `fanout`. */
  fanout: z.strictObject({
    count: z.number().int().min(1).max(1000),
    interface: ifname,
    firstGroup: group,
    port,
    sink: endpointRef,
  }).optional().describe('Adds `count` outputs named out-1..out-N with consecutive groups starting at firstGroup.'),
});

const relayName = z.enum(['mcrd', 'socat', 'kernel', 'direct', 'frr']);

const testBase = {
  name: name,
  durationS: seconds.optional().describe('Seconds per trial (default from traffic.durationS).'),
  repetitions: z.number().int().min(1).max(100).optional(),
};

export const testSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('fixed-rate'), ...testBase, ratePps: pps }),
  z.strictObject({
    kind: z.literal('throughput'),
    ...testBase,
    minPps: pps,
    maxPps: pps,
    lossTolerance: ratio.default(0),
    resolutionPps: pps.optional().describe('Stop when the search interval is narrower than this.'),
    maxSteps: z.number().int().min(1).max(40).default(12),
  }),
  z.strictObject({
    kind: z.literal('latency'),
    ...testBase,
    ratePps: pps.optional().describe('Fixed offered rate; or use loadFraction of a throughput test.'),
    loadFraction: ratio.optional().describe('Fraction of the measured throughput (needs a throughput test).'),
    throughputTest: name.optional().describe('Which throughput test loadFraction refers to (default: the first).'),
  }),
  membershipTestSchema,
]);

/** Mirrors lab/measure/thresholds.ts ThresholdSpec: the median over repetitions against a limit. */
export const thresholdSchema = z.strictObject({
  relay: relayName.optional().describe('Relay the threshold applies to; absent = every relay that ran the test.'),
  ratioTo: relayName.optional().describe('Compare relay / ratioTo on the same test instead of an absolute value.'),
  test: name,
  metric: z.enum(METRICS),
  op: z.enum(['<=', '>=']).optional(),
  value: z.number().optional().describe('Limit, with op.'),
  max: z.number().optional().describe('Shorthand for op "<=".'),
  min: z.number().optional().describe('Shorthand for op ">=".'),
});

const cpuId = z.number().int().min(0).max(1023);
const cpuList = z.array(cpuId).min(1, 'expected at least one CPU number, e.g. [1]').max(1024);

/**
 * Where traffic tools and relay processes run (and where RPS steers each host's receive work).
 * `false` turns placement off; absent = the default (relay on the last CPU, traffic on the others).
 */
export const cpusSchema = z.union([
  z.literal(false),
  z.strictObject({
    traffic: cpuList.optional().describe('CPUs for mcr-gen/mcr-sink and the receive work of every host but the relay\'s (default: the CPUs not in relay).'),
    relay: cpuList.optional().describe('CPUs for the relay processes and the relay host\'s receive work; CPU per packet is measured on these (default: the last CPU, or the CPUs not in traffic).'),
  }),
]).describe('CPU placement: { traffic: [0], relay: [1] }, or false for none. Default on a machine with >= 2 CPUs: relay = the last CPU, traffic = the others.');

export const mcrdOptionsSchema = z.strictObject({
  workers: z.number().int().min(1).max(64).optional().describe('mcrd --num-workers (1-64); with > 1 mcrd pins worker i to CPU i itself.'),
  busyPollUs: z.number().int().min(0).max(1_000_000).optional().describe('mcrd --busy-poll-us (0-1000000).'),
  adaptivePoll: z.boolean().optional().describe('mcrd --adaptive-poll on|off: spin only while frames keep coming (not with busyPollUs).'),
  gso: z.boolean().optional().describe('mcrd --gso on|off: UDP GSO frames for AF_PACKET egress (Linux 6.2+).'),
});

export const scenarioSchema = z.strictObject({
  name: name.describe('Scenario name; used in result directories.'),
  description: z.string().optional(),
  hosts: z.record(name, hostSchema).describe('Hosts, each a network namespace named <run prefix>-<host>.'),
  bridges: z.array(name).default([]).describe('Bridges, all inside the run\'s switch namespace <run prefix>-sw.'),
  defaults: z.strictObject({ link: linkSettings.optional() }).optional(),
  links: z.array(linkSchema).min(1),
  relay: z.strictObject({
    host: name.describe('Host the relay under test runs on.'),
    mcrd: mcrdOptionsSchema.optional().describe('Options passed to mcrd (ignored by the other relays).'),
    router: routerSchema.optional(),
  }),
  cpus: cpusSchema.optional(),
  streams: z.array(streamSchema).min(1),
  traffic: z.strictObject({
    payloadBytes: z.number().int().min(32).max(8972).default(1316),
    ttl: z.number().int().min(1).max(255).default(8),
    durationS: seconds.default(5),
    settleS: z.number().min(0).default(1).describe('Seconds to wait for late packets after the generator stops.'),
    tx: z.enum(['udp', 'packet'], { error: 'expected "packet" (whole frames on an AF_PACKET socket, the default: less generator CPU per datagram) or "udp" (a UDP socket)' })
      .optional().describe('mcr-gen --tx: "packet" (default: raw frames, the same bytes on the wire at less generator CPU, so the generator is not the bottleneck) or "udp" (a UDP socket).'),
    threads: z.number().int()
      .min(1, 'expected at least 1 sender thread').max(64, 'expected at most 64 sender threads').optional()
      .describe('mcr-gen --threads (default 1). A stream never spans threads, so each generator uses at most one thread per destination it sends to.'),
  }).default({ payloadBytes: 1316, ttl: 8, durationS: 5, settleS: 1 }),
  relays: z.array(relayName).min(1).default(['mcrd', 'socat', 'kernel', 'direct']),
  repetitions: z.number().int().min(1).max(100).default(3),
  tests: z.array(testSchema).min(1),
  quick: z.strictObject({
    durationS: seconds.default(1),
    repetitions: z.number().int().min(1).default(1),
    maxSteps: z.number().int().min(1).default(5),
  }).default({ durationS: 1, repetitions: 1, maxSteps: 5 }).describe('Overrides applied by --quick.'),
  thresholds: z.array(thresholdSchema).default([]),
});

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type Scenario = z.output<typeof scenarioSchema>;
export type LinkRaw = z.output<typeof linkSchema>;
export type StreamRaw = z.output<typeof streamSchema>;
export type TestSpec = z.output<typeof testSchema>;
export type Netem = z.output<typeof netemSchema>;
export type Sysctls = z.output<typeof sysctlsSchema>;
export type Threshold = z.output<typeof thresholdSchema>;
export type CpusSpec = z.output<typeof cpusSchema>;
export type McrdOptions = z.output<typeof mcrdOptionsSchema>;

/** The JSON Schema editors use (via the yaml-language-server modeline in each scenario). */
export function scenarioJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(scenarioSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    ...schema,
    $id: 'https://github.com/mcr/mcr/scenarios/scenario.schema.json',
    title: 'mcr-lab scenario',
    description: 'A network-namespace topology, the relays to compare on it, the traffic and the pass/fail thresholds.',
  };
}

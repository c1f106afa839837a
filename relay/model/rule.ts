/**
 * THE rule schema. The JSON5 config loader (relay/config), control requests (relay/control) and
 * mcrctl flags (relay/cli/mcrctl/add.ts) all validate through parseRule/parseRuleList, so one set of
 * checks produces one set of messages. Interface *existence* is not checked here: it depends on the
 * network namespace mcrd runs in, so the daemon checks it when applying (relay/daemon/interfaces.ts).
 *
 * Accepted shape (MCR's rule format plus optional fields):
 *   { id?: "cam1", name?: "camera 1",
 *     input:   { interface: "eth0", group: "239.1.1.1", port: 5001, source?: "10.0.0.5", protocol?: "udp" | null },
 *     outputs: [{ interface: "eth1", group: "239.10.10.10", port: 6001, ttl?: 16, tos?: 0, when?: "always" | "members" }] }
 *
 * TTL default 16: a relayed stream is usually meant to cross a few routed hops (the point of relaying
 * it), which TTL 1 — the kernel's multicast default and MCR's — never does; 16 still expires well
 * inside one administrative domain, so a misrouted stream cannot wander the internet.
 *
 * `name` is MCR's human-friendly label (any text, spaces allowed); `id` is the key mcrd stores, counts
 * and removes by. A rule's id is its `id`, else its name when the name is id-shaped (MCR files name
 * rules "video-feed"), else a hash of its input — MCR's rule_id rule too. `protocol` is MCR's
 * input.protocol: mcrd relays UDP, so only "udp" and null (what MCR's `config save` writes) pass.
 *
 * Tested in rule.test.ts.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { isGroupOrUnicast, isUsableUnicast, parseIpv4 } from './ipv4.js';

export const DEFAULT_TTL = 16;
export const MAX_OUTPUTS_PER_RULE = 1024;

export const EXPECT = {
  interface: 'expected interface name (1-15 characters, no "/", ":" or spaces)',
  group: 'expected IPv4 multicast or unicast address (dotted quad)',
  source: 'expected IPv4 unicast source address (dotted quad)',
  port: 'expected integer 1-65535',
  ttl: 'expected integer 1-255',
  tos: 'expected integer 0-255',
  when: 'expected "always" or "members" (members: send only while the output interface has IGMP members for the output group)',
  id: 'expected rule id: 1-64 characters of letters, digits, ".", "_", ":" or "-", starting with a letter or digit',
  name: 'expected rule name: 1-128 characters of text (no control characters)',
  object: 'expected an object',
  outputs: `expected a list of 1-${MAX_OUTPUTS_PER_RULE} outputs`,
} as const;

const ifname = z
  .string({ error: EXPECT.interface })
  // The kernel's dev_valid_name(): 1..IFNAMSIZ-1 bytes, not "." or "..", no '/', ':' or whitespace.
  .regex(/^(?!\.\.?$)[^/:\s]{1,15}$/, { error: EXPECT.interface });

const address = (expected: string, ok: (n: number) => boolean) =>
  z.string({ error: expected }).refine((s) => {
    const n = parseIpv4(s);
    return n !== undefined && ok(n);
  }, { error: expected });

const port = z.int({ error: EXPECT.port }).min(1, { error: EXPECT.port }).max(65535, { error: EXPECT.port });
const ttl = z.int({ error: EXPECT.ttl }).min(1, { error: EXPECT.ttl }).max(255, { error: EXPECT.ttl });
const tos = z.int({ error: EXPECT.tos }).min(0, { error: EXPECT.tos }).max(255, { error: EXPECT.tos });
const ID_SHAPE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const ruleId = z.string({ error: EXPECT.id }).regex(ID_SHAPE, { error: EXPECT.id });
// eslint-disable-next-line no-control-regex
const ruleName = z.string({ error: EXPECT.name }).regex(/^[^\x00-\x1f\x7f]{1,128}$/, { error: EXPECT.name });
const protocol = z.unknown().refine((p) => p === null || p === 'udp', {
  error: (iss) => `mcrd relays UDP only, got ${JSON.stringify(iss.input)}: give "udp" or null (MCR's default), or leave protocol out`,
});

export const inputSchema = z.strictObject(
  {
    interface: ifname,
    group: address(EXPECT.group, isGroupOrUnicast),
    port,
    source: address(EXPECT.source, isUsableUnicast).optional(),
    protocol: protocol.optional(),
  },
  { error: EXPECT.object },
);

export const outputSchema = z.strictObject(
  {
    interface: ifname,
    group: address(EXPECT.group, isGroupOrUnicast),
    port,
    ttl: ttl.optional(),
    tos: tos.optional(),
    when: z.enum(['always', 'members'], { error: EXPECT.when }).optional(),
  },
  { error: EXPECT.object },
);

export const ruleSchema = z
  .strictObject(
    {
      id: ruleId.optional(),
      name: ruleName.optional(),
      input: inputSchema,
      outputs: z.array(outputSchema, { error: EXPECT.outputs })
        .min(1, { error: EXPECT.outputs })
        .max(MAX_OUTPUTS_PER_RULE, { error: EXPECT.outputs }),
    },
    { error: EXPECT.object },
  )
  .superRefine((r, ctx) => {
    const seen = new Map<string, number>();
    r.outputs.forEach((o, i) => {
      if (o.interface === r.input.interface && o.group === r.input.group && o.port === r.input.port) {
        ctx.addIssue({
          code: 'custom', path: ['outputs', i],
          message: `self-loop: output ${endpointKey(o)} equals the input; relayed packets would be captured again — use another group, port or interface`,
        });
      }
      const k = endpointKey(o);
      const first = seen.get(k);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['outputs', i], message: `duplicate output ${k} (same as outputs[${first}])` });
      } else seen.set(k, i);
    });
  });

export type RuleInputFields = z.infer<typeof ruleSchema>;

/** A validated rule with its id resolved and defaults applied: what the daemon stores and sends on. */
export interface Rule {
  id: string;
  /** MCR's display name, when it is not the id itself. */
  name?: string;
  input: { interface: string; group: string; port: number; source?: string };
  /** when "members": sent only while the output interface has IGMP members for the output group (MRIB, relay/protocols/mrib). */
  outputs: Array<{ interface: string; group: string; port: number; ttl: number; tos?: number; when?: 'members' }>;
}

/** `group:port:interface`, the notation of mcrctl --outputs. */
export function endpointKey(e: { interface: string; group: string; port: number }): string {
  return `${e.group}:${e.port}:${e.interface}`;
}

/** Key of a rule's output counter slot: kept while the rule keeps that output. */
export function outputKey(ruleId: string, o: { interface: string; group: string; port: number }): string {
  return `${ruleId}|${endpointKey(o)}`;
}

/** The engine's lookup key: two rules may not share it. */
export function inputKey(i: Rule['input']): string {
  return `${i.interface}|${i.group}|${i.port}|${i.source ?? ''}`;
}

/** Stable id for an unnamed rule: the same input always gets the same id, across restarts and hosts. */
export function derivedId(i: Rule['input']): string {
  return createHash('sha256').update(inputKey(i)).digest('hex').slice(0, 8);
}

/** Resolve id and defaults of a schema-checked rule; `defaultTtl` is for outputs without a ttl (MCR's multicast_ttl). */
export function normalizeRule(r: RuleInputFields, defaultTtl = DEFAULT_TTL): Rule {
  const input: Rule['input'] = { interface: r.input.interface, group: r.input.group, port: r.input.port };
  if (r.input.source !== undefined) input.source = r.input.source;
  const id = r.id ?? (r.name !== undefined && ID_SHAPE.test(r.name) ? r.name : derivedId(input));
  return {
    id,
    ...(r.name !== undefined && r.name !== id ? { name: r.name } : {}),
    input,
    outputs: r.outputs.map((o) => {
      const out: Rule['outputs'][number] = { interface: o.interface, group: o.group, port: o.port, ttl: o.ttl ?? defaultTtl };
      if (o.tos !== undefined) out.tos = o.tos;
      if (o.when === 'members') out.when = 'members';
      return out;
    }),
  };
}

/**
 * The protocol sections of the mcrd config, at the top level as in MCR's files:
 *
 *   igmp: { enabled: true, querier_interfaces: ["eth1"], query_interval: 125, ...,
 *           upstream_interfaces: ["eth0"] },        // mcrd: where streams for IGMP members come in
 *   pim:  { enabled: true, router_id: "10.0.0.1", interfaces: [{ name: "eth0", dr_priority: 10 }],
 *           static_rp: [{ group: "239.0.0.0/8", rp: "10.0.0.9" }], spt_switchover: "immediate" },
 *
 * Each section is validated by its module's own schema (relay/protocols/igmp igmpConfigSchema,
 * relay/protocols/pim pimConfigSchema), so the
 * messages name the field: `mcrd.json5:7 igmp.robustness: expected integer 1-7, got 9 (number)`.
 * `upstream_interfaces` is mcrd's addition and is checked here: the interfaces (besides the IGMP ones)
 * on which a stream for a group with members is captured — typically where the sources are, and
 * that interface needs no IGMP. Interface existence is checked when running, like rules' interfaces
 * (a missing one is reported and waited for). Tested in protocols.test.ts.
 */
import { z } from 'zod';
import { type IgmpConfig, igmpConfigSchema } from '../protocols/igmp/index.js';
import { type PimConfig, pimConfigSchema } from '../protocols/pim/index.js';
import { McrError } from '../errors.js';
import { type IssueContext, issuesToErrors, throwFirst } from '../model/issues.js';

export interface IgmpSettings extends IgmpConfig {
  upstream_interfaces: string[];
}

export interface ProtocolSettings {
  /** Present when the config has an igmp section with enabled not false. */
  igmp?: IgmpSettings;
  /** Present when the config has a pim section with enabled not false. */
  pim?: PimConfig;
}

export const PROTOCOL_SECTIONS = ['igmp', 'pim'] as const;

const IFNAME = 'expected an interface name (1-15 characters, no "/", ":" or spaces)';
const upstreamSchema = z.array(z.string({ error: IFNAME }).regex(/^(?!\.\.?$)[^/:\s]{1,15}$/, { error: IFNAME }), { error: 'expected a list of interface names like ["eth0"]' });

function section(top: Record<string, unknown>, key: string, ctx: IssueContext): Record<string, unknown> | undefined {
  const v = top[key];
  if (v === undefined) return undefined;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new McrError({ code: 'EINVAL', path: key, source: ctx.source?.([key]), detail: `expected an object like ${key}: { enabled: true, ... }` });
  }
  return v as Record<string, unknown>;
}

function parseIgmp(raw: Record<string, unknown>, ctx: IssueContext): IgmpSettings | undefined {
  const { upstream_interfaces: up, ...rest } = raw;
  const knownKeys = [...Object.keys(igmpConfigSchema.shape), 'upstream_interfaces'];
  const c = igmpConfigSchema.safeParse(rest);
  const u = upstreamSchema.safeParse(up ?? []);
  const errors = [
    ...(c.success ? [] : issuesToErrors(c.error, rest, { ...ctx, pathPrefix: ['igmp'], knownKeys })),
    ...(u.success ? [] : issuesToErrors(u.error, up, { ...ctx, pathPrefix: ['igmp', 'upstream_interfaces'] })),
  ];
  if (errors.length) throwFirst(errors);
  if (!c.data!.enabled) return undefined;
  const igmp = { ...c.data!, upstream_interfaces: u.data! };
  const ifs = new Set([...igmp.querier_interfaces, ...(igmp.interfaces ?? [])]);
  const both = igmp.upstream_interfaces.find((i) => ifs.has(i));
  if (both !== undefined) {
    const i = igmp.upstream_interfaces.indexOf(both);
    throw new McrError({ code: 'EINVAL', path: `igmp.upstream_interfaces[${i}]`, source: ctx.source?.(['igmp', 'upstream_interfaces', i]),
      detail: `"${both}" is an IGMP interface already (streams are captured on those anyway); list it in one place` });
  }
  return igmp;
}

function parsePim(raw: Record<string, unknown>, ctx: IssueContext): PimConfig | undefined {
  const c = pimConfigSchema.safeParse(raw);
  if (!c.success) throwFirst(issuesToErrors(c.error, raw, { ...ctx, pathPrefix: ['pim'], knownKeys: Object.keys(pimConfigSchema.shape) }));
  if (c.data!.enabled === false) return undefined;
  if ((c.data!.interfaces ?? []).length === 0) {
    throw new McrError({ code: 'EINVAL', path: 'pim.interfaces', source: ctx.source?.(['pim']), detail: 'expected at least one PIM interface like interfaces: [{ name: "eth0" }]' });
  }
  return c.data!;
}

/** The protocol sections of a parsed config document; throws McrError naming the first bad field. */
export function parseProtocolSections(top: Record<string, unknown>, ctx: IssueContext): ProtocolSettings {
  const out: ProtocolSettings = {};
  const igmp = section(top, 'igmp', ctx);
  if (igmp) {
    const s = parseIgmp(igmp, ctx);
    if (s) out.igmp = s;
  }
  const pim = section(top, 'pim', ctx);
  if (pim) {
    const s = parsePim(pim, ctx);
    if (s) out.pim = s;
  }
  return out;
}

/** Interfaces the IGMP module runs on: queriers plus listen-only ones. */
export function igmpInterfaces(c: IgmpConfig): string[] {
  return [...new Set([...c.querier_interfaces, ...(c.interfaces ?? [])])];
}

/**
 * The MRIB compiler: static rules + routes learned by the protocol modules + IGMP membership →
 * the engine's rule table (without counter slots; the rule service assigns those) and the MRIB view
 * (`mcrctl mroute`). A pure function of its inputs, so every merge rule below is table-tested
 * (compile.test.ts) and the daemon can recompile from scratch on every change.
 *
 * Rules of the merge:
 *   - A static rule is installed as configured. An output marked `when: "members"` is kept only
 *     while its interface has members for the output group (IGMP `members()`).
 *   - A learned route with an `iif` (PIM's RPF interface) captures on that interface only; one without
 *     (IGMP) captures on every eligible input interface except each member interface itself.
 *   - Learned captures match any UDP port (engine input port 0) and forward group and port unchanged
 *     (output port 0 = the packet's own port), with TTL `learnedTtl` and the original IPv4 source
 *     address and UDP source port (`keepSource`): a receiver joined INCLUDE {S} drops datagrams from
 *     any other source, the relay's own address included, and PIM (S,G) state is keyed by the real S.
 *     Learned outputs appended to a static rule keep the source too; the static rule's own outputs
 *     keep the relay's address, as configured.
 *   - An (S,G) capture also carries the oifs of the (*,G) capture on the same iif: the engine picks the
 *     most specific rule, so without the union the (*,G) members would miss S's packets.
 *   - A static rule on the same (iif, group) gets the learned oifs of that iif and group appended
 *     (its port, so output port 0 keeps it) instead of conflicting with the learned capture: the
 *     engine prefers the port-specific rule, and the members must still get the stream.
 *   - The engine ranks (S, any port) above (any source, port) (relay/engine/types.ts): next to a
 *     learned (S,G), a static rule without source gets a twin `<id>@S` on (S, its port) carrying its
 *     own outputs (same counter slots) plus the (S,G) oifs, so neither side loses S's packets.
 *   - Routes of every origin with the same (iif, group, source) are one capture (the engine takes one
 *     rule per input); the first origin names it, each oif keeps its own.
 *   - PIM's `exact` (S,G) routes carry their whole oif list: no (*,G) oifs folded in, installed even
 *     empty (an empty one drops S's shared-tree copies on that iif, RFC 7761 §4.2).
 *   - A `register` route adds a Register output (EngineOutput.register) to its capture: unicast to the
 *     RP, the datagram as received. A `local` route (our own re-originated stream) instead rides on
 *     each static output on (iif, group): its Register with the inner datagram as that output sends
 *     it, and each of its oifs as a copy of that output there, sent from S (EngineOutput.source), as a
 *     router forwards S's stream onto the interfaces PIM Joins and members ask for.
 *   - Static outputs on a PIM interface (`pimInterfaces`) report their stream as a local source
 *     (EngineOutput.reportLocal), so PIM registers what mcrd itself originates there.
 */
import type { EngineInput, EngineOutput } from '../../engine/types.js';
import { type Rule, outputKey } from '../../model/rule.js';
import type { LearnedRoute } from '../types.js';

/** What IGMP says about one interface and group: null = no members. */
export type Members = (ifname: string, group: string) => { mode: 'include' | 'exclude'; sources: string[] } | null;

export type MribOrigin = 'static' | 'igmp' | 'pim';

/** One engine rule without counter slots; each output names the key its slot is kept under. */
export interface PlannedRule {
  id: string;
  input: EngineInput;
  outputs: Array<Omit<EngineOutput, 'slot'> & { key: string }>;
}

export interface MribOif {
  interface: string;
  origin: MribOrigin;
  reason: string;
  /** Output group/port (static outputs may rewrite them; learned ones forward unchanged: port 0). */
  group: string;
  port: number;
  expiresAtMs?: number;
}

export interface MribEntry {
  origin: MribOrigin;
  iif: string;
  group: string;
  source: string | null;
  /** 0 = any port. */
  port: number;
  /** Engine rule this entry is installed as. */
  ruleId: string;
  oifs: MribOif[];
  /** Static members-only outputs currently withheld (no members). */
  suppressed: MribOif[];
}

export interface CompileInput {
  statics: Rule[];
  learned: LearnedRoute[];
  members: Members;
  /** Where iif-less learned routes capture (protocol interfaces plus configured upstreams), existing ones only. */
  inputInterfaces: string[];
  /** Interfaces that exist now: learned oifs or iifs elsewhere are left out. */
  exists: (ifname: string) => boolean;
  learnedTtl: number;
  /** Interfaces PIM runs on: static outputs there are reported as local sources. */
  pimInterfaces?: string[];
}

/** TTL of the outer IPv4 header of a Register (unicast across the domain to the RP). */
const REGISTER_TTL = 64;

export interface Compiled { rules: PlannedRule[]; view: MribEntry[] }

interface Capture {
  origin: MribOrigin;
  iif: string;
  group: string;
  source: string | undefined;
  oifs: MribOif[];
  exact: boolean;
  register: { rp: string; via: string } | undefined;
}

/** A Register output (and its view row) for `key`; `inner` = RegisterInner of the engine. */
function registerOutput(key: string, reg: { rp: string; via: string }, inner: EngineOutput['register']): { out: PlannedRule['outputs'][number]; oif: MribOif } {
  return {
    out: { key, interface: reg.via, group: reg.rp, port: 0, ttl: REGISTER_TTL, register: inner ?? {} },
    oif: { interface: reg.via, origin: 'pim', reason: `register to ${reg.rp}`, group: reg.rp, port: 0 },
  };
}

/** A learned route's oif as the MRIB shows it, sent to `group`:`port` (0: the datagram's own port). */
function mribOif(o: LearnedRoute['oifs'][number], origin: MribOrigin, group: string, port: number): MribOif {
  return { interface: o.interface, origin, reason: o.reason, group, port, ...(o.expiresAtMs !== undefined ? { expiresAtMs: o.expiresAtMs } : {}) };
}

/** Whether `outputs` already send to (interface, group, port). */
const sends = (outputs: PlannedRule['outputs'], ifname: string, group: string, port: number): boolean =>
  outputs.some((o) => o.interface === ifname && o.group === group && o.port === port);

/** Whether a static members-only output has receivers: any member state except INCLUDE {}. */
export function hasMembers(members: Members, ifname: string, group: string): boolean {
  const m = members(ifname, group);
  return m !== null && (m.mode === 'exclude' || m.sources.length > 0);
}

export function learnedRuleId(c: { origin: MribOrigin; iif: string; group: string; source?: string | undefined }): string {
  return `${c.origin}:${c.iif}:${c.group}${c.source ? `:${c.source}` : ''}`;
}

export function compile(input: CompileInput): Compiled {
  const captures = capturesOf(input);
  const pimIfs = new Set(input.pimInterfaces ?? []);
  const locals = input.learned.filter((l) => l.local && l.source !== undefined && l.iif !== undefined);
  const rules: PlannedRule[] = [];
  const view: MribEntry[] = [];

  for (const r of input.statics) {
    const kept: MribOif[] = [];
    const suppressed: MribOif[] = [];
    const outputs: PlannedRule['outputs'] = [];
    for (const o of r.outputs) {
      const members = o.when === 'members';
      const on = !members || hasMembers(input.members, o.interface, o.group);
      const oif: MribOif = { interface: o.interface, origin: 'static', reason: members ? (on ? 'static, members present' : 'static, no members') : 'static', group: o.group, port: o.port };
      (on ? kept : suppressed).push(oif);
      if (!on) continue;
      outputs.push({
        key: outputKey(r.id, o), interface: o.interface, group: o.group, port: o.port, ttl: o.ttl,
        ...(o.tos !== undefined ? { tos: o.tos } : {}), ...(pimIfs.has(o.interface) ? { reportLocal: true } : {}),
      });
      const local = locals.find((l) => l.iif === o.interface && l.group === o.group);
      if (!local) continue;
      const tos = o.tos !== undefined ? { tos: o.tos } : {};
      // We are the DR of what we originate: while its tunnel is up, the stream also goes to the RP.
      if (local.register) {
        const { out, oif } = registerOutput(`${outputKey(r.id, o)}|register`, local.register, { source: local.source!, group: o.group, port: o.port, ttl: o.ttl, ...tos });
        outputs.push(out);
        kept.push(oif);
      }
      for (const l of local.oifs) {
        if (!input.exists(l.interface) || sends(outputs, l.interface, o.group, o.port)) continue;
        outputs.push({ key: `${outputKey(r.id, o)}|pim|${l.interface}`, interface: l.interface, group: o.group, port: o.port, ttl: o.ttl, ...tos, source: local.source! });
        kept.push(mribOif(l, 'pim', o.group, o.port));
      }
    }
    // Learned oifs of the same (iif, group): (*,G) always, (S,G) only for a rule filtering on S.
    for (const c of captures) {
      if (c.iif !== r.input.interface || c.group !== r.input.group) continue;
      if (c.source !== undefined && c.source !== r.input.source) continue;
      for (const oif of c.oifs) {
        if (sends(outputs, oif.interface, c.group, r.input.port)) continue;
        kept.push(oif);
        outputs.push({ key: `${r.id}|${learnedRuleId(c)}|${oif.interface}`, interface: oif.interface, group: c.group, port: 0, ttl: input.learnedTtl, keepSource: true });
      }
      if (c.register && !outputs.some((o) => o.register)) {
        const { out, oif } = registerOutput(`${r.id}|${learnedRuleId(c)}|register`, c.register, {});
        outputs.push(out);
        kept.push(oif);
      }
    }
    rules.push({ id: r.id, input: { ...r.input }, outputs });
    // The engine ranks (S, any port) above (any source, port): a learned (S,G) on this iif would take
    // S's packets away from this rule, so S gets a rule of its own on this port with both sets of oifs.
    if (r.input.source === undefined) {
      for (const c of captures) {
        if (c.iif !== r.input.interface || c.group !== r.input.group || c.source === undefined) continue;
        const extra = c.oifs.filter((oif) => !sends(outputs, oif.interface, c.group, r.input.port));
        rules.push({
          id: `${r.id}@${c.source}`,
          input: { ...r.input, source: c.source },
          outputs: [...outputs, ...extra.map((oif) => ({ key: `${r.id}|${learnedRuleId(c)}|${oif.interface}`, interface: oif.interface, group: c.group, port: 0, ttl: input.learnedTtl, keepSource: true }))],
        });
      }
    }
    view.push({ origin: 'static', iif: r.input.interface, group: r.input.group, source: r.input.source ?? null, port: r.input.port, ruleId: r.id, oifs: kept, suppressed });
  }

  for (const c of captures) {
    const id = learnedRuleId(c);
    const outputs: PlannedRule['outputs'] = c.oifs.map((o) => ({ key: `${id}|${o.interface}`, interface: o.interface, group: c.group, port: 0, ttl: input.learnedTtl, keepSource: true }));
    const oifs = [...c.oifs];
    if (c.register) {
      const { out, oif } = registerOutput(`${id}|register`, c.register, {});
      outputs.push(out);
      oifs.push(oif);
    }
    rules.push({ id, input: { interface: c.iif, group: c.group, port: 0, ...(c.source ? { source: c.source } : {}) }, outputs });
    view.push({ origin: c.origin, iif: c.iif, group: c.group, source: c.source ?? null, port: 0, ruleId: id, oifs, suppressed: [] });
  }
  view.sort((a, b) => cmp(a.group, b.group) || cmp(a.source ?? '', b.source ?? '') || cmp(a.iif, b.iif) || a.port - b.port);
  return { rules, view };
}

/** Learned routes expanded to one capture per input interface, (*,G) oifs folded into (S,G), empty ones dropped. */
function capturesOf(input: CompileInput): Capture[] {
  const byKey = new Map<string, Capture>();
  for (const route of input.learned) {
    if (route.local) continue; // rides on static outputs (compile)
    const oifs = route.oifs.filter((o) => input.exists(o.interface));
    const iifs = route.iif !== undefined ? [route.iif].filter(input.exists) : input.inputInterfaces;
    for (const iif of iifs) {
      const here = oifs.filter((o) => o.interface !== iif);
      const key = `${iif}|${route.group}|${route.source ?? ''}`;
      const c = byKey.get(key) ?? { origin: route.origin, iif, group: route.group, source: route.source, oifs: [], exact: false, register: undefined };
      c.exact ||= route.exact === true;
      if (route.register && input.exists(route.register.via)) c.register = { rp: route.register.rp, via: route.register.via };
      for (const o of here) {
        if (c.oifs.some((x) => x.interface === o.interface)) continue;
        c.oifs.push(mribOif(o, route.origin, route.group, 0));
      }
      byKey.set(key, c);
    }
  }
  const all = [...byKey.values()];
  for (const sg of all) {
    if (sg.source === undefined || sg.exact) continue;
    const star = all.find((c) => c.source === undefined && c.iif === sg.iif && c.group === sg.group);
    for (const o of star?.oifs ?? []) if (!sg.oifs.some((x) => x.interface === o.interface)) sg.oifs.push(o);
  }
  return all.filter((c) => c.oifs.length > 0 || c.exact || c.register).sort((a, b) => cmp(learnedRuleId(a), learnedRuleId(b)));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

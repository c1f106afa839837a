/**
 * The daemon's MRIB: holds what the compiler needs (learned routes, IGMP membership, input interfaces)
 * and the result of the last compile, which is what `mcrctl mroute` shows. The rule service calls
 * compose() on every install (static change, interface change, learned-route change), so the view is
 * always the table the engine runs.
 */
import type { Rule } from '../../model/rule.js';
import type { LearnedRoute } from '../types.js';
import { type Compiled, type Members, type MribEntry, type PlannedRule, compile } from './compile.js';

export type { MribEntry, Members, PlannedRule } from './compile.js';

/**
 * TTL of learned (router-like) outputs. The engine writes a fixed TTL per output rather than the
 * arriving TTL − 1, so mcrd is not a TTL-decrementing router here; 64 lets a relayed stream cross the
 * routers a multicast domain has while a loop still dies out. Documented in docs/protocols.md.
 */
export const LEARNED_TTL = 64;

export interface MribOptions {
  routes: () => LearnedRoute[];
  members: Members;
  /** Interfaces iif-less routes capture on (protocol interfaces + igmp.upstream_interfaces). */
  inputInterfaces: () => string[];
  learnedTtl?: number;
  /** Interfaces PIM runs on now (static outputs there report their stream as a local source). */
  pimInterfaces?: () => string[];
  now: () => number;
}

/** An MRIB entry as shown: timers as time left, not as clock readings. */
export interface MribEntryView extends Omit<MribEntry, 'oifs' | 'suppressed'> {
  oifs: Array<Omit<MribEntry['oifs'][number], 'expiresAtMs'> & { expiresInMs?: number }>;
  suppressed: MribEntry['suppressed'];
}

export class Mrib {
  private last: Compiled = { rules: [], view: [] };

  constructor(private readonly o: MribOptions) {}

  /** RuleService's compose hook: the full engine table for these installable static rules. */
  compose = (statics: Rule[], exists: (ifname: string) => boolean): PlannedRule[] => {
    this.last = compile({
      statics, learned: this.o.routes(), members: this.o.members, exists,
      inputInterfaces: this.o.inputInterfaces().filter(exists), learnedTtl: this.o.learnedTtl ?? LEARNED_TTL,
      pimInterfaces: this.o.pimInterfaces?.() ?? [],
    });
    return this.last.rules;
  };

  view(): MribEntryView[] {
    const now = this.o.now();
    return this.last.view.map((e) => ({
      ...e,
      oifs: e.oifs.map(({ expiresAtMs, ...o }) => (expiresAtMs === undefined ? o : { ...o, expiresInMs: Math.max(0, Math.round(expiresAtMs - now)) })),
    }));
  }
}

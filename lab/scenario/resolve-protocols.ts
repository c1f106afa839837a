/**
 * Resolution of the protocol parts of a scenario (called from resolve.ts): membership tests with
 * their times in milliseconds and the repetitions --quick and --repetitions give, and FRR hosts
 * (forwarding on unless the host's sysctls say otherwise: a router that does not forward routes
 * nothing). Covered by resolve-protocols.test.ts.
 */
import type { RelayName } from '../results/types.js';
import type { MembershipTestSpec } from './protocol-schema.js';
import type { Scenario, Sysctls } from './schema.js';

/** Relays that follow membership (the others forward by static rules whatever the receivers do). */
export const isRouter = (relay: RelayName): boolean => relay === 'mcrd' || relay === 'frr';

export interface ResolvedMembershipTest {
  kind: 'membership';
  name: string;
  repetitions: number;
  ratePps: number;
  cycles: number;
  holdMs: number;
  gapMs: number;
  timeoutMs: number;
  quietMs: number;
  /** Output names whose sinks join and leave; undefined = every output. */
  receivers?: string[];
  convergence?: { spt: string; rpt: string };
}

export function resolveMembershipTest(s: Scenario, t: MembershipTestSpec, opts: { quick?: boolean; repetitions?: number }): ResolvedMembershipTest {
  const ms = (sec: number) => Math.round(sec * 1000);
  return {
    kind: 'membership', name: t.name,
    repetitions: opts.repetitions ?? (opts.quick ? s.quick.repetitions : t.repetitions ?? s.repetitions),
    ratePps: t.ratePps, cycles: t.cycles,
    holdMs: ms(t.holdS), gapMs: ms(t.gapS), timeoutMs: ms(t.timeoutS), quietMs: ms(t.quietS),
    ...(t.receivers ? { receivers: t.receivers } : {}),
    ...(t.convergence ? { convergence: t.convergence } : {}),
  };
}

/** A host's sysctls, with forwarding on for an FRR router unless set. */
export function hostSysctls(h: Scenario['hosts'][string]): Sysctls {
  const own = h.sysctls ?? {};
  return h.frr && own.forwarding === undefined ? { ...own, forwarding: 1 } : own;
}

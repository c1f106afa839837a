/**
 * The soak's fault schedule, as data: which fault fires when, for a run of N minutes. The nominal
 * periods are the (worker kill every 2 min, link flap and delete/re-create every 3 min, ...);
 * a run shorter than the longest period scales every period down by the same factor, so even
 * `--minutes 3` fires each fault at least once. Faults start after the warm-up and stop before the
 * quiet tail, whose clean segments and final rule check close the run. Tested in schedule.test.ts.
 */

export type FaultKind =
  | 'worker-kill'      // SIGKILL of a data-plane worker; the supervisor restarts it
  | 'link-flap'        // an output interface down for a moment, then up (ENETDOWN on its outputs)
  | 'link-recreate'    // an output interface deleted and re-created (its rule waits, then re-installs)
  | 'readdress'        // an output interface's address replaced (templates rebuilt, no loss)
  | 'sighup'           // the config file changed, then SIGHUP (unchanged rules undisturbed)
  | 'control-abuse'    // garbage lines, a connection flood and an oversized line on the control socket
  | 'frame-flood'      // a burst of malformed frames on the input link
  | 'igmp-churn';      // receivers on s1 join and leave groups; mcrd (querier) learns and unlearns routes

/** Nominal period of each fault, seconds. */
export const NOMINAL_PERIOD_S: Record<FaultKind, number> = {
  'worker-kill': 120,
  'link-flap': 180,
  'link-recreate': 180,
  readdress: 180,
  sighup: 60,
  'control-abuse': 90,
  'frame-flood': 90,
  'igmp-churn': 30,
};

/** Where in its period each fault first fires (fractions), spread so faults rarely coincide in short runs. */
const PHASE: Record<FaultKind, number> = {
  'worker-kill': 0.3,
  'link-flap': 0.1,
  'link-recreate': 0.55,
  readdress: 0.8,
  sighup: 0.65,
  'control-abuse': 0.45,
  'frame-flood': 0.9,
  'igmp-churn': 0.2,
};

/** Faults that lose packets by design, and so open a loss window; the others must lose nothing. */
export const LOSSY: ReadonlySet<FaultKind> = new Set(['worker-kill', 'link-flap', 'link-recreate']);

export interface PlannedFault { kind: FaultKind; atS: number }

export interface Schedule {
  durationS: number;
  warmupS: number;
  tailS: number;
  /** Factor applied to every nominal period (1 for runs long enough). */
  scale: number;
  faults: PlannedFault[];
}

export function planFaults(minutes: number): Schedule {
  if (!(minutes >= 2)) throw new RangeError(`--minutes: expected a number >= 2, got ${minutes}`);
  const durationS = Math.round(minutes * 60);
  const warmupS = Math.min(60, Math.round(durationS / 8));
  const tailS = Math.min(60, Math.round(durationS / 8));
  const usable = durationS - warmupS - tailS;
  const longest = Math.max(...Object.values(NOMINAL_PERIOD_S));
  const scale = Math.min(1, usable / longest);
  const faults: PlannedFault[] = [];
  for (const kind of Object.keys(NOMINAL_PERIOD_S) as FaultKind[]) {
    const period = NOMINAL_PERIOD_S[kind] * scale;
    for (let t = warmupS + PHASE[kind] * period; t < durationS - tailS; t += period) faults.push({ kind, atS: Math.round(t * 10) / 10 });
  }
  faults.sort((a, b) => a.atS - b.atS);
  return { durationS, warmupS, tailS, scale, faults };
}

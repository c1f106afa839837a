/**
 * The latency suite of issue 4 ("p50 added ≤ 20 µs and p99 added ≤ 200 µs at 50k pps"): the chain
 * at fixed rates of 10k and 50k pps, without CPU placement (`cpus: false`), in two committed variants
 * of scenarios/chain.yaml (scenarios/bench/):
 *   latency-default    direct, kernel, mcrd with its defaults (busy polling off)
 *   latency-busy-poll  direct, mcrd with relay.mcrd.busyPollUs = BUSY_POLL_US
 *   latency-adaptive   direct, mcrd with relay.mcrd.adaptivePoll (mcrd --adaptive-poll on), so the
 *                      adaptive policy is measured beside the defaults before it could become one
 * Why no placement: with traffic on one vCPU and the relay on the other, every cross-CPU hop wakes an
 * idle vCPU through the hypervisor, and those wake-ups, not the relay, set the latency (see
 * docs/performance.md "Latency on a VM"). The placed chain run still gives throughput and CPU.
 * Each variant repeats its tests LATENCY_REPETITIONS times, also with --quick (the lab takes the
 * median), so the latency figures are medians. Used by bench/lab-run.ts; covered by
 * bench/latency.test.ts and bench/scenarios.test.ts (the files stay valid and in step with the chain).
 */
import { basename, join } from 'node:path';
import type { PlannedRun } from './scaling.js';

/** The scenario argument (`--scenarios latency`) that stands for this suite. */
export const LATENCY_SCENARIO = 'latency';
export const LATENCY_DEFAULT = 'latency-default';
export const LATENCY_BUSY_POLL = 'latency-busy-poll';
export const LATENCY_ADAPTIVE = 'latency-adaptive';
/** mcrd --busy-poll-us of the busy-poll variant (scenarios/bench/latency-busy-poll.yaml sets it). */
export const BUSY_POLL_US = 200;
export const LATENCY_RATES = [10_000, 50_000] as const;
export const LATENCY_REPETITIONS = 3;
/** Seconds per trial, also with --quick (1 s of 10k pps is too few packets for a stable p99). */
export const LATENCY_DURATION_S = 2;

/** Whether a scenario argument means this suite. */
export function isLatency(scenario: string): boolean {
  return basename(scenario, '.yaml') === LATENCY_SCENARIO;
}

/**
 * The runs of the suite, of the relays asked for: the default variant runs direct, kernel and mcrd of
 * these, the busy-poll variant direct and mcrd (none when mcrd was not asked for).
 * @param root repository root (the files are ROOT/scenarios/bench/<variant>.yaml)
 * @returns none when neither mcrd nor kernel was asked for (nothing to add latency)
 */
export function planLatency(root: string, relays: readonly string[]): PlannedRun[] {
  const pick = (want: string[]): string[] => want.filter((r) => relays.includes(r));
  const runs: PlannedRun[] = [];
  const file = (name: string): string => join(root, 'scenarios', 'bench', `${name}.yaml`);
  // Added latency needs direct as the baseline; without a relay under test there is nothing to add.
  const defaultRelays = pick(['direct', 'kernel', 'mcrd']);
  if (defaultRelays.some((r) => r !== 'direct')) runs.push({ name: LATENCY_DEFAULT, file: file(LATENCY_DEFAULT), relays: defaultRelays });
  if (relays.includes('mcrd')) {
    for (const v of [LATENCY_BUSY_POLL, LATENCY_ADAPTIVE]) runs.push({ name: v, file: file(v), relays: pick(['direct', 'mcrd']) });
  }
  return runs;
}

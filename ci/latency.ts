/**
 * The latency suite of issue 4 ("p50 added ≤ 20 µs and p99 added ≤ 200 µs at 50k pps"): the chain
 * at fixed rates of 10k and 50k pps, without CPU placement (`cpus: false`), in two variants of
 * scenarios/chain.yaml:
 *   latency-default    direct, kernel, mcrd with its defaults (busy polling off)
 *   latency-busy-poll  direct, mcrd with relay.mcrd.busyPollUs = BUSY_POLL_US
 * Why no placement: with traffic on one vCPU and the relay on the other, every cross-CPU hop wakes an
 * idle vCPU through the hypervisor, and those wake-ups, not the relay, set the latency (see
 * docs/performance.md "Latency on a VM"). The placed chain run still gives throughput and CPU.
 * Each variant repeats its tests LATENCY_REPETITIONS times, also with --quick (the lab takes the
 * median), so the latency figures are medians. Used by ci/lab-run.ts; covered by ci/latency.test.ts.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseDocument } from 'yaml';
import type { PlannedRun } from './scaling.js';

/** The scenario argument (`--scenarios latency`) that stands for this suite; it derives from chain. */
export const LATENCY_SCENARIO = 'latency';
export const LATENCY_SOURCE = 'chain';
export const LATENCY_DEFAULT = 'latency-default';
export const LATENCY_BUSY_POLL = 'latency-busy-poll';
/** mcrd --busy-poll-us of the busy-poll variant: the setting the lead measured +4 µs p50 with. */
export const BUSY_POLL_US = 200;
export const LATENCY_RATES = [10_000, 50_000] as const;
export const LATENCY_REPETITIONS = 3;
/** Seconds per trial, also with --quick (1 s of 10k pps is too few packets for a stable p99). */
export const LATENCY_DURATION_S = 2;

/** Whether a scenario argument means this suite. */
export function isLatency(scenario: string): boolean {
  return basename(scenario, '.yaml') === LATENCY_SCENARIO;
}

const kpps = (pps: number): string => `${pps / 1000}k`;

/**
 * Writes the two variants of the chain scenario into `dir` and plans their runs.
 * @param file scenarios/chain.yaml (or another chain-shaped scenario with a relay section)
 * @param relays the relays asked for; the default variant runs direct, kernel and mcrd of these, the
 *   busy-poll variant direct and mcrd (none when mcrd was not asked for)
 * @returns the runs; none when neither mcrd nor kernel was asked for (nothing to add latency)
 * @throws Error naming the file when it cannot be read or is not a YAML mapping with a relay section
 */
export async function planLatency(file: string, relays: readonly string[], dir: string): Promise<PlannedRun[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`${file}: cannot read the chain scenario the latency suite derives from (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const pick = (want: string[]): string[] => want.filter((r) => relays.includes(r));
  const variants: { name: string; relays: string[]; busyPollUs?: number }[] = [];
  // Added latency needs direct as the baseline; without a relay under test there is nothing to add.
  const defaultRelays = pick(['direct', 'kernel', 'mcrd']);
  if (defaultRelays.some((r) => r !== 'direct')) variants.push({ name: LATENCY_DEFAULT, relays: defaultRelays });
  if (relays.includes('mcrd')) variants.push({ name: LATENCY_BUSY_POLL, relays: pick(['direct', 'mcrd']), busyPollUs: BUSY_POLL_US });
  if (variants.length === 0) return [];
  await mkdir(dir, { recursive: true });
  const runs: PlannedRun[] = [];
  for (const v of variants) {
    const doc = parseDocument(text);
    if (doc.errors.length > 0) throw new Error(`${file}: not valid YAML (${doc.errors[0]!.message})`);
    if (!doc.has('relay')) throw new Error(`${file}: no relay section; the latency variants set relay.mcrd and cpus`);
    doc.set('name', v.name);
    doc.set('description', `Latency suite (ci/latency.ts) from ${basename(file)}: fixed rates, no CPU placement` +
      `${v.busyPollUs !== undefined ? `, mcrd --busy-poll-us ${v.busyPollUs}` : ', mcrd defaults'}.`);
    doc.set('cpus', false);
    if (v.busyPollUs !== undefined) doc.setIn(['relay', 'mcrd', 'busyPollUs'], v.busyPollUs);
    doc.set('relays', v.relays);
    doc.set('repetitions', LATENCY_REPETITIONS);
    doc.setIn(['traffic', 'durationS'], LATENCY_DURATION_S);
    doc.set('quick', { durationS: LATENCY_DURATION_S, repetitions: LATENCY_REPETITIONS, maxSteps: 1 });
    doc.set('tests', LATENCY_RATES.map((pps) => ({ name: `fixed-${kpps(pps)}`, kind: 'fixed-rate', ratePps: pps })));
    // The chain's thresholds name tests this variant does not have.
    doc.delete('thresholds');
    const out = join(dir, `${v.name}.yaml`);
    await writeFile(out, `# Generated from ${file} by ci/latency.ts.\n${doc.toString()}`);
    runs.push({ name: v.name, file: out, relays: v.relays });
  }
  return runs;
}

/**
 * The scaling suite of issue 4 ("with 2 workers and traffic spread over several streams, total
 * throughput rises, without duplicates or reordering within a stream"): scenarios/scaling.yaml once
 * per mcrd worker count, as the committed variants scenarios/bench/scaling-1w.yaml and scaling-2w.yaml
 * (each with its own name and `relay.mcrd.workers`), so the results files say which is which. direct,
 * the ceiling of the path, runs with the first variant only (workers do not apply to it).
 * Used by bench/lab-run.ts for the CI job and the bench; covered by bench/scaling.test.ts and
 * bench/scenarios.test.ts.
 */
import { basename, join } from 'node:path';

export const SCALING_SCENARIO = 'scaling';
export const SCALING_WORKERS = [1, 2] as const;

/** The scenario name of the variant with `workers` mcrd workers. */
export const scalingName = (workers: number): string => `${SCALING_SCENARIO}-${workers}w`;

/** One lab run: the scenario file, its name (output directory) and the relays it compares. */
export interface PlannedRun { name: string; file: string; relays: string[] }

/** Whether a scenario argument (a name or a path) means scenarios/scaling.yaml. */
export function isScaling(scenario: string): boolean {
  return basename(scenario, '.yaml') === SCALING_SCENARIO;
}

/**
 * The runs of the suite, one per worker count.
 * @param root repository root (the files are ROOT/scenarios/bench/scaling-<n>w.yaml)
 * @param relays the relays asked for; only mcrd (and direct, once) apply here
 * @returns none when mcrd was not asked for (the suite measures mcrd against itself)
 */
export function planScaling(root: string, relays: readonly string[]): PlannedRun[] {
  if (!relays.includes('mcrd')) return [];
  return SCALING_WORKERS.map((workers, i) => ({
    name: scalingName(workers),
    file: join(root, 'scenarios', 'bench', `${scalingName(workers)}.yaml`),
    relays: i === 0 && relays.includes('direct') ? ['mcrd', 'direct'] : ['mcrd'],
  }));
}

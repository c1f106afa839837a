/**
 * The scaling suite of issue 4 ("with 2 workers and traffic spread over several streams, total
 * throughput rises, without duplicates or reordering within a stream"): scenarios/scaling.yaml run
 * once per mcrd worker count, each run a variant of the file with its own name (scaling-1w,
 * scaling-2w) and `relay.mcrd.workers` set, so the results files say which is which. direct, the
 * ceiling of the path, runs with the first variant only (workers do not apply to it).
 * Used by ci/lab-run.ts for the CI job and the bench; covered by ci/scaling.test.ts.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseDocument } from 'yaml';

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
 * Writes one variant per worker count of the scaling scenario into `dir` and plans its runs.
 * @param file scenarios/scaling.yaml (or another file of that name)
 * @param relays the relays asked for; only mcrd (and direct, once) apply here
 * @returns the runs, none when mcrd was not asked for (the suite measures mcrd against itself)
 * @throws Error naming the file when it cannot be read or is not a YAML mapping with a relay section
 */
export async function planScaling(file: string, relays: readonly string[], dir: string): Promise<PlannedRun[]> {
  if (!relays.includes('mcrd')) return [];
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`${file}: cannot read the scaling scenario (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  await mkdir(dir, { recursive: true });
  const runs: PlannedRun[] = [];
  for (const [i, workers] of SCALING_WORKERS.entries()) {
    const doc = parseDocument(text);
    if (doc.errors.length > 0) throw new Error(`${file}: not valid YAML (${doc.errors[0]!.message})`);
    if (!doc.has('relay')) throw new Error(`${file}: no relay section; the scaling variants set relay.mcrd.workers`);
    const name = scalingName(workers);
    doc.set('name', name);
    doc.setIn(['relay', 'mcrd', 'workers'], workers);
    const out = join(dir, `${name}.yaml`);
    await writeFile(out, `# Generated from ${file} by ci/scaling.ts: mcrd with ${workers} worker(s).\n${doc.toString()}`);
    runs.push({ name, file: out, relays: i === 0 && relays.includes('direct') ? ['mcrd', 'direct'] : ['mcrd'] });
  }
  return runs;
}

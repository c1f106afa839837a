/**
 * ci/baseline.json: the committed expectation each performance metric is compared against.
 *
 *   { "chain.throughput.mcrd/socat": { "value": 4, "tolerance": 0.25, "direction": "higher-is-better", "required": true } }
 *
 * `tolerance` is relative: 0.25 lets a higher-is-better metric drop to 75 % of `value` before it is a
 * regression. `required` (default false) makes a metric that cannot be computed fail the job.
 * Covered by ci/compare.test.ts.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import type { Measured } from '../bench/metrics.js';

const entry = z.strictObject({
  value: z.number({ error: 'expected a number' }),
  tolerance: z.number({ error: 'expected a number' }).min(0, 'expected a relative tolerance >= 0 (0.25 = 25 %)'),
  direction: z.enum(['higher-is-better', 'lower-is-better'], { error: 'expected "higher-is-better" or "lower-is-better"' }),
  required: z.boolean().optional(),
});

export type BaselineEntry = z.infer<typeof entry>;
export type Baseline = Record<string, BaselineEntry>;

const baseline = z.record(z.string(), entry);

/**
 * Checks a parsed baseline.
 * @throws Error like `ci/baseline.json: chain.throughput.mcrd/socat.tolerance: expected a number`
 */
export function checkBaseline(value: unknown, source: string): Baseline {
  const parsed = baseline.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new Error(parsed.error.issues.map((i) => `${source}: ${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('\n'));
}

/** Reads and checks a baseline file. @throws Error naming the file and the bad field */
export async function loadBaseline(path: string): Promise<Baseline> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`${path}: cannot read baseline (${(err as NodeJS.ErrnoException).code ?? String(err)}); ` +
      'create one with --update-baseline');
  }
  try {
    return checkBaseline(JSON.parse(text), path);
  } catch (err) {
    if (err instanceof SyntaxError) throw new Error(`${path}: not valid JSON (${err.message})`);
    throw err;
  }
}

/**
 * A new baseline from this run's values. Tolerance, direction and `required` are kept from the old
 * baseline where it has the metric (they are policy, not measurements); metrics this run could not
 * compute keep their old entry, so a skipped relay does not silently drop its guard. Metrics marked
 * noBaseline (reported, too unstable to guard) get no entry.
 */
export function baselineFrom(measured: Measured[], old: Baseline = {}): Baseline {
  const next: Baseline = { ...old };
  for (const { def, found } of measured) {
    if (!found.ok || def.noBaseline !== undefined) continue;
    const prev = old[def.id];
    next[def.id] = {
      value: Number(Math.max(found.value, def.baselineFloor ?? -Infinity).toPrecision(4)),
      tolerance: prev?.tolerance ?? def.defaultTolerance,
      direction: def.direction,
      required: prev?.required ?? def.defaultRequired,
    };
  }
  return next;
}

/** Writes a baseline as stable, reviewable JSON (one metric per block, metric order of METRICS). */
export async function writeBaseline(path: string, b: Baseline): Promise<void> {
  await writeFile(path, JSON.stringify(b, null, 2) + '\n');
}

/**
 * Reads mcr-lab results.json files for the performance tooling (ci/, bench/).
 *
 * Only checks what the comparison reads (version, scenario, tests and their summaries), so a richer
 * file from a newer lab still loads; a file of another schema version is refused, as
 * lab/results/types.ts asks of every reader. Covered by ci/results-file.test.ts.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { RESULTS_SCHEMA_VERSION, type Results } from '../lab/results/types.js';

const relay = z.enum(['mcrd', 'socat', 'kernel', 'direct']);
const summary = z.object({ median: z.number(), min: z.number(), max: z.number(), n: z.number() });
const trial = z.object({
  offeredPps: z.number(),
  lossRatio: z.number(),
  deliveredPps: z.number(),
  outputs: z.array(z.object({ name: z.string() }).loose()),
  relayCpuNsPerPacket: z.number().optional(),
  relayCoreNsPerPacket: z.number().optional(),
}).loose();

const test = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('fixed-rate'), name: z.string(), relay, offeredPps: z.number(),
    repetitions: z.array(trial),
    summary: z.object({
      lossRatio: summary, deliveredPps: summary,
      latencyP50Ns: summary.optional(), latencyP99Ns: summary.optional(), relayCpuNsPerPacket: summary.optional(),
      relayCoreNsPerPacket: summary.optional(),
    }).loose(),
  }).loose(),
  z.object({
    kind: z.literal('throughput'), name: z.string(), relay, lossTolerance: z.number(),
    repetitions: z.array(z.object({ throughputPps: z.number(), steps: z.array(trial) }).loose()),
    summary: z.object({ throughputPps: summary }).loose(),
  }).loose(),
  z.object({
    kind: z.literal('latency'), name: z.string(), relay, offeredPps: z.number(),
    repetitions: z.array(trial),
    summary: z.object({ p50Ns: summary, p99Ns: summary }).loose(),
  }).loose(),
]);

const results = z.object({
  schemaVersion: z.number(),
  scenario: z.object({ name: z.string(), file: z.string(), quick: z.boolean() }).loose(),
  environment: z.object({
    hostname: z.string(), kernel: z.string(),
    cpus: z.object({ model: z.string(), count: z.number() }),
    versions: z.record(z.string(), z.string()),
  }).loose(),
  relays: z.array(relay),
  tests: z.array(test),
  skipped: z.array(z.object({ relay, reason: z.string() })),
}).loose();

/** A results file as loaded, remembering where it came from for messages. */
export interface LoadedResults { path: string; results: Results }

/**
 * Checks a parsed results.json value.
 * @param value parsed JSON
 * @param source file name used in the error message
 * @returns the value typed as Results
 * @throws Error `FILE: tests[2].summary.throughputPps: expected object, got undefined` style messages
 */
export function checkResults(value: unknown, source: string): Results {
  const version = (value as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (version !== RESULTS_SCHEMA_VERSION) {
    throw new Error(`${source}: schemaVersion: expected ${RESULTS_SCHEMA_VERSION}, got ${JSON.stringify(version)} ` +
      `(results from another mcr-lab version; re-run the scenario with this one)`);
  }
  const parsed = results.safeParse(value);
  if (!parsed.success) {
    const lines = parsed.error.issues.slice(0, 5).map((issue) => {
      const where = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
      return `${source}: ${where || '(root)'}: ${issue.message}`;
    });
    throw new Error(lines.join('\n'));
  }
  return value as Results;
}

/**
 * Reads and checks one results.json.
 * @throws Error naming the file when it is missing, not JSON, or not a results file
 */
export async function loadResults(path: string): Promise<LoadedResults> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`${path}: cannot read results file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${(err as Error).message})`);
  }
  return { path, results: checkResults(value, path) };
}

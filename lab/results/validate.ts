/**
 * Validates results.json against the contract in types.ts, so `mcr-lab report RESULTS.json` renders
 * only what it understands. The schema is typed as z.ZodType<Results>: if types.ts changes, this file
 * stops compiling until it follows. Unknown keys are ignored rather than refused: additive changes
 * to types.ts stay readable within one schema version (that is what the version number is for).
 * The one reader of results.json: the report, the bench and the CI job all load through it.
 * Covered by validate.test.ts.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { membershipTestSchema } from './membership.js';
import { RESULTS_SCHEMA_VERSION, type Results } from './types.js';

const count = z.number().int().min(0);
const num = z.number().finite();
const relayName = z.enum(['mcrd', 'socat', 'kernel', 'direct', 'frr']);
const summary = z.object({ median: num, min: num, max: num, n: count, q1: num.optional(), q3: num.optional() });
const latencyNs = z.object({ p50: num, p90: num, p99: num, p999: num, max: num });

const output = z.object({
  name: z.string(), group: z.string(), port: z.number().int().min(0).max(65535),
  received: count, lost: count, duplicates: count, reordered: count, late: count, payloadErrors: count,
  lossRatio: z.number().min(0).max(1),
  latencyNs: latencyNs.optional(),
});

const trial = z.object({
  offeredPps: num, payloadBytes: count, durationS: num, sent: count, achievedPps: num,
  outputs: z.array(output),
  lossRatio: z.number().min(0).max(1),
  deliveredPps: num,
  relayCpuNs: num.optional(),
  relayCpuNsPerPacket: num.optional(),
  relayCoreBusyNs: num.optional(),
  relayCoreNsPerPacket: num.optional(),
  relayCoreOwnNsPerPacket: num.optional(),
});

const base = { name: z.string(), relay: relayName };

const test = z.discriminatedUnion('kind', [
  z.object({
    ...base, kind: z.literal('fixed-rate'), offeredPps: num, repetitions: z.array(trial),
    summary: z.object({
      lossRatio: summary, deliveredPps: summary,
      latencyP50Ns: summary.optional(), latencyP99Ns: summary.optional(), relayCpuNsPerPacket: summary.optional(),
      relayCoreNsPerPacket: summary.optional(), relayCoreOwnNsPerPacket: summary.optional(),
    }),
  }),
  z.object({
    ...base, kind: z.literal('throughput'), lossTolerance: z.number().min(0).max(1),
    search: z.object({
      minPps: num, maxPps: num, resolutionPps: num, maxSteps: count, minAchievedRatio: num, maxP99Ns: num.optional(),
    }).optional(),
    repetitions: z.array(z.object({
      throughputPps: num, steps: z.array(trial),
      bracket: z.object({ passPps: num, failPps: num.nullable(), generatorLimited: z.boolean() }).optional(),
    })),
    summary: z.object({ throughputPps: summary }),
  }),
  z.object({
    ...base, kind: z.literal('latency'), loadFraction: z.number().optional(), offeredPps: num,
    repetitions: z.array(trial),
    summary: z.object({ p50Ns: summary, p90Ns: summary, p99Ns: summary, p999Ns: summary, maxNs: summary }),
  }),
]);

export const resultsSchema: z.ZodType<Results> = z.object({
  schemaVersion: z.literal(RESULTS_SCHEMA_VERSION),
  tool: z.object({ name: z.literal('mcr-lab'), version: z.string() }),
  scenario: z.object({ name: z.string(), file: z.string(), description: z.string().optional(), quick: z.boolean() }),
  runId: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  environment: z.object({
    hostname: z.string(), kernel: z.string(),
    cpus: z.object({ model: z.string(), count: count }),
    memoryBytes: count,
    sysctls: z.record(z.string(), z.string()),
    versions: z.record(z.string(), z.string()),
    placement: z.object({
      pinned: z.boolean(), source: z.enum(['scenario', 'default', 'off', 'single-cpu']),
      traffic: z.array(count), relay: z.array(count),
      trafficMask: z.string().optional(), relayMask: z.string().optional(), note: z.string().optional(),
    }).optional(),
    mcrdOptions: z.object({ workers: count.optional(), busyPollUs: count.optional(), gso: z.boolean().optional() }).optional(),
    load: z.object({
      seconds: num, stealRatio: z.number().min(0).max(1), busyRatio: z.number().min(0).max(1),
      loadavg1: z.tuple([num, num]), cpuMhz: z.tuple([num, num]).optional(),
    }).optional(),
    calibration: z.object({
      durationS: num, tx: z.enum(['udp', 'packet']), generatorPps: num, generatorNsPerPacket: num,
      directPps: num, directLoss: z.number().min(0).max(1), sinkNsPerPacket: num,
    }).optional(),
  }),
  relays: z.array(relayName),
  tests: z.array(test),
  thresholds: z.array(z.object({
    description: z.string(), relay: relayName, test: z.string(), metric: z.string(),
    op: z.enum(['<=', '>=']), limit: num, actual: num.nullable(), pass: z.boolean(),
  })),
  pass: z.boolean(),
  skipped: z.array(z.object({ relay: relayName, reason: z.string() })),
  membership: z.array(membershipTestSchema).optional(),
});

/** Error from reading results: message says which file and what to do. */
export class ResultsError extends Error {
  override name = 'ResultsError';
}

/**
 * Check a parsed results object.
 * @param source file name (or other label) used in messages.
 * @throws ResultsError for another schema version (saying which tool version to use) or any field
 *   that does not match, listing each as `path: message`.
 */
export function parseResults(data: unknown, source = 'results'): Results {
  const version = (data as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ResultsError(`${source}: expected a JSON object (an mcr-lab results.json), got ${Array.isArray(data) ? 'array' : typeof data}`);
  }
  if (version !== RESULTS_SCHEMA_VERSION) {
    throw new ResultsError(
      `${source}: results schema version ${JSON.stringify(version ?? null)} is not supported; this mcr-lab reads version ${RESULTS_SCHEMA_VERSION}. ` +
      'Render it with the mcr-lab release that wrote it, or re-run the scenario with this one.',
    );
  }
  const r = resultsSchema.safeParse(data);
  if (!r.success) {
    const lines = r.error.issues.slice(0, 20).map((i) => `  ${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
    const more = r.error.issues.length > 20 ? `\n  ... and ${r.error.issues.length - 20} more` : '';
    throw new ResultsError(`${source}: not a valid results file:\n${lines.join('\n')}${more}`);
  }
  return r.data;
}

/** A results file as loaded, remembering where it came from for messages (the bench and the CI job). */
export interface LoadedResults { path: string; results: Results }

/** readResults, keeping the path. @throws ResultsError as readResults. */
export async function loadResults(path: string): Promise<LoadedResults> {
  return { path, results: await readResults(path) };
}

/** Read and validate a results.json file. @throws ResultsError (unreadable, not JSON, wrong version, invalid). */
export async function readResults(file: string): Promise<Results> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new ResultsError(`${file}: cannot read: ${(e as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new ResultsError(`${file}: not JSON: ${(e as Error).message}`);
  }
  return parseResults(data, file);
}

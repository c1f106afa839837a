/**
 * runGenerator: one mcr-gen run to completion, resolved with its JSON report.
 * Exercised by traffic.test.ts (loopback) and traffic.e2e.test.ts (namespaces).
 */
import { genArgs, type GenOptions } from './options.js';
import { spawnTool, toolError } from './process.js';
import { GenReportSchema, parseReport, type GenReport } from './reports.js';

/** Slack on top of the planned run time before the generator is considered hung. */
const TIMEOUT_SLACK_MS = 30_000;

function plannedMs(o: GenOptions): number | undefined {
  if (o.durationS !== undefined) return o.durationS * 1000;
  if (o.count !== undefined && o.ratePps > 0) return (o.count / o.ratePps) * 1000;
  return undefined;
}

/**
 * Run mcr-gen with @o until its count or duration is reached.
 * @returns the generator's report (sent, errors, retries, elapsedNs, achievedPps, per-stream counts)
 * @throws TypeError for invalid options; TrafficToolError when the tool fails, times out or is
 *   aborted through o.signal (isCanceled), with its last stderr lines in the message
 */
export async function runGenerator(o: GenOptions): Promise<GenReport> {
  const args = genArgs(o);
  const planned = plannedMs(o);
  let stdout: string;
  try {
    const result = await spawnTool('mcr-gen', args, {
      netns: o.netns,
      signal: o.signal,
      cpus: o.cpus,
      ...(planned !== undefined ? { timeoutMs: planned + TIMEOUT_SLACK_MS } : {}),
    });
    stdout = String(result.stdout);
  } catch (err) {
    throw toolError('mcr-gen', err);
  }
  return parseReport('mcr-gen', GenReportSchema, stdout);
}

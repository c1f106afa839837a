#!/usr/bin/env node
/**
 * `npm run soak -- --minutes N`: mcrd under combined faults for N minutes (soak/run.ts), the verdict
 * printed as a table and written as JSON (docs/reliability.md).
 *
 *   sudo npm run soak -- --minutes 30                    # the documented run
 *   sudo npm run soak -- --minutes 3 --json out.json     # also the full record
 *   sudo npm run soak -- --minutes 3 --log mcrd.log      # and mcrd's log
 *
 * Exit: 0 pass, 1 fail, 64 usage, 77 not root.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { runSoak } from './run.js';
import { renderVerdict } from './table.js';

const USAGE = `usage: npm run soak -- --minutes N [--stream-pps P] [--json FILE] [--log FILE] [--quiet]

Runs mcrd in namespaces (soak-run-*) relaying 20 streams (fan-outs, a unicast output, an unroutable
source) while a fault schedule fires: worker SIGKILL, output link flap and delete/re-create,
readdress, SIGHUP with a changed config, control-socket abuse, malformed-frame floods, and rule
churn at 10/s. Judges loss per fault window, RSS and fd trends, the final rule set and the log.

options:
  --minutes N       run length (>= 2; shorter runs scale the fault periods so each fires)
  --stream-pps P    datagrams per second per stream (default 2500: 50k pps in total)
  --json FILE       write the verdict and the full record (segments, samples, faults) to FILE
  --log FILE        write mcrd's log (its stderr, info level) to FILE
  --quiet           no progress lines
  --help            this text`;

async function main(): Promise<number> {
  let a;
  try {
    a = parseArgs({ options: { minutes: { type: 'string' }, 'stream-pps': { type: 'string' }, json: { type: 'string' }, log: { type: 'string' }, quiet: { type: 'boolean' }, help: { type: 'boolean' } } }).values;
  } catch (err) {
    process.stderr.write(`soak: ${(err as Error).message}\n${USAGE}\n`);
    return 64;
  }
  if (a.help) { process.stdout.write(`${USAGE}\n`); return 0; }
  const minutes = Number(a.minutes);
  const streamPps = a['stream-pps'] === undefined ? 2500 : Number(a['stream-pps']);
  if (a.minutes === undefined || !(minutes >= 2)) { process.stderr.write(`soak: --minutes: expected a number >= 2, got ${a.minutes ?? 'nothing'}\n`); return 64; }
  if (!Number.isInteger(streamPps) || streamPps < 1) { process.stderr.write(`soak: --stream-pps: expected a positive integer, got ${a['stream-pps']}\n`); return 64; }
  if (process.getuid?.() !== 0) { process.stderr.write('soak: needs root (network namespaces, AF_PACKET)\n'); return 77; }
  const res = await runSoak({ minutes, streamPps, ...(a.quiet ? {} : { progress: (l: string) => process.stderr.write(`${l}\n`) }) });
  process.stdout.write(`${renderVerdict(res.verdict)}\n`);
  process.stdout.write(`rule churn: ${res.churn.changes} changes, ${res.churn.refused.length} refused\n`);
  const { mcrdLog, ...result } = res;
  if (a.json) await writeFile(a.json, `${JSON.stringify(result, null, 2)}\n`);
  if (a.log) await writeFile(a.log, mcrdLog);
  return res.verdict.ok ? 0 : 1;
}

main().then((code) => process.exit(code), (err: unknown) => {
  process.stderr.write(`soak: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});

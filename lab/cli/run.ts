/**
 * `mcr-lab run FILE`: verify, calibrate, then per repetition and relay build → start → measure → tear down; write results.json,
 * report.md and report.html; print the summary table. Ctrl-C (or SIGTERM) aborts and tears down
 * gracefully; a second Ctrl-C kills what is left at once.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RelayName, Results } from '../results/types.js';
import { verifyEnvironment } from '../scenario/verify.js';
import type { CpusSpec } from '../scenario/schema.js';
import type { ResolvedScenario } from '../scenario/resolve.js';
import { parseCpuList } from '../run/placement.js';
import { activeContexts, runScenario } from '../run/run.js';
import { killRunProcesses, teardown } from '../topology/teardown.js';
import { parse } from './args.js';
import { EXIT, prepareScenario, printProblems, projectRoot, toolVersion, UsageError } from './common.js';
import { consoleTable, writeAll } from './reports.js';

export const usage = `usage: mcr-lab run FILE [--relays mcrd,socat,kernel,direct] [--quick] [--repetitions N]
                    [--tests LIST] [--out DIR] [--json] [--no-progress] [--cpus off|TRAFFIC:RELAY] [--no-calibrate]

First measures what the lab itself can offer and carry here (see mcr-lab calibrate) and warns about
tests that ask for more. Then, repetition by repetition, builds the scenario's topology for each
relay in turn, runs one repetition of every test against it and tears it down (the relays take
turns, so drift on a busy machine hits all alike); writes results.json, report.md and report.html
to --out (default ./mcr-lab-results/<scenario>-<timestamp>/) and prints a summary table.
  --relays LIST     relays to compare (default: the scenario's relays)
  --tests LIST      only these of the scenario's tests, by name (a latency test at a load fraction
                    needs its throughput test too)
  --quick           short trials, one repetition, coarse throughput search
  --repetitions N   repetitions per test point (overrides the scenario and --quick)
  --json            print results.json to stdout instead of the table
  --cpus SPEC       CPU placement, overriding the scenario's cpus: "off", or TRAFFIC:RELAY CPU
                    lists such as 0:1 or 0-2:3 (default: relay on the last CPU, traffic on the rest)
  --no-calibrate    skip the lab's 1-second self-check of generator and direct path before the relays
Exit: 0 thresholds passed, 1 a threshold failed or a relay failed, 64 usage, 69 missing tool,
77 not root, 78 invalid scenario, 130 interrupted.`;

const RELAYS: RelayName[] = ['mcrd', 'socat', 'kernel', 'direct', 'frr'];

export function parseRelays(list: string): RelayName[] {
  const names = list.split(',').map((x) => x.trim()).filter(Boolean);
  for (const n of names) if (!RELAYS.includes(n as RelayName)) throw new UsageError(`--relays: unknown relay "${n}" (known: ${RELAYS.join(', ')})`, usage);
  if (names.length === 0) throw new UsageError('--relays: give at least one relay', usage);
  return [...new Set(names)] as RelayName[];
}

/** `--cpus off` → false; `--cpus 0:1` / `0-2:3` → { traffic, relay }. */
export function parseCpusFlag(spec: string): CpusSpec {
  if (spec === 'off') return false;
  const m = /^([\d,-]+):([\d,-]+)$/.exec(spec);
  try {
    if (m) return { traffic: parseCpuList(m[1]!), relay: parseCpuList(m[2]!) };
  } catch { /* fall through to the usage error */ }
  throw new UsageError(`--cpus: expected "off" or TRAFFIC:RELAY CPU lists such as 0:1 or 0-2:3, got "${spec}"`, usage);
}

/** The scenario's tests named in `--tests`, in scenario order. @throws UsageError naming an unknown test or a missing dependency */
export function pickTests(tests: ResolvedScenario['tests'], list: string): ResolvedScenario['tests'] {
  const names = [...new Set(list.split(',').map((x) => x.trim()).filter(Boolean))];
  if (names.length === 0) throw new UsageError('--tests: give at least one test name', usage);
  for (const n of names) {
    if (!tests.some((t) => t.name === n)) throw new UsageError(`--tests: no test "${n}" in the scenario (it has: ${tests.map((t) => t.name).join(', ')})`, usage);
  }
  const picked = tests.filter((t) => names.includes(t.name));
  for (const t of picked) {
    if (t.kind !== 'latency' || t.ratePps !== undefined) continue;
    const base = tests.find((x) => x.kind === 'throughput' && (t.throughputTest === undefined || x.name === t.throughputTest));
    if (base && !picked.includes(base)) throw new UsageError(`--tests: ${t.name} runs at a fraction of ${base.name}'s throughput; add ${base.name}`, usage);
  }
  return picked;
}

export async function runCmd(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    relays: { type: 'string' }, quick: { type: 'boolean' }, out: { type: 'string' }, json: { type: 'boolean' },
    repetitions: { type: 'string' }, 'no-progress': { type: 'boolean' }, cpus: { type: 'string' }, 'no-calibrate': { type: 'boolean' },
    tests: { type: 'string' },
  }, usage);
  if (values.help) { process.stdout.write(`${usage}\n`); return EXIT.ok; }
  if (positionals.length !== 1) throw new UsageError('run needs exactly one FILE', usage);
  const file = positionals[0]!;
  let repetitions: number | undefined;
  if (values.repetitions !== undefined) {
    repetitions = Number(values.repetitions);
    if (!Number.isInteger(repetitions) || repetitions < 1) throw new UsageError(`--repetitions: expected an integer >= 1, got "${values.repetitions}"`, usage);
  }
  const relays = values.relays !== undefined ? parseRelays(values.relays) : undefined;
  const { scenario, warnings } = await prepareScenario(file, { quick: Boolean(values.quick), ...(repetitions ? { repetitions } : {}) });
  printProblems(file, warnings);
  if (relays) scenario.relays = relays;
  if (values.tests !== undefined) scenario.tests = pickTests(scenario.tests, values.tests);
  if (values.cpus !== undefined) scenario.cpus = parseCpusFlag(values.cpus);
  const env = verifyEnvironment(scenario, scenario.relays, projectRoot());
  if (env.length > 0) {
    for (const p of env) process.stderr.write(`mcr-lab: ${p.message}\n`);
    return process.getuid?.() === 0 ? EXIT.unavailable : EXIT.noperm;
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').replace(/-\d+Z$/, 'Z');
  const outDir = resolve(values.out ?? join('mcr-lab-results', `${scenario.name}-${stamp}`));

  const ac = new AbortController();
  let interrupts = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    interrupts += 1;
    if (interrupts === 1) {
      process.stderr.write(`\nmcr-lab: ${sig}: stopping and tearing down (Ctrl-C again to kill the processes at once)\n`);
      ac.abort(new Error(`interrupted by ${sig}`));
    } else if (interrupts === 2) {
      // Skip the graceful part: kill every process now; teardown goes on to delete the namespaces.
      process.stderr.write('\nmcr-lab: killing the run\'s processes (Ctrl-C once more to exit without waiting)\n');
      for (const c of activeContexts) void killRunProcesses(c, c.state);
    } else {
      void Promise.allSettled([...activeContexts].map((c) => teardown(c, c.state, { fast: true }))).then(() => process.exit(EXIT.interrupted));
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let results: Results;
  try {
    results = await runScenario(scenario, {
      file, projectRoot: projectRoot(), toolVersion: toolVersion(), signal: ac.signal,
      logPath: join(outDir, 'run.log'), progress: !values['no-progress'], ...(values['no-calibrate'] && { calibrateS: 0 }),
    });
  } catch (err) {
    if (ac.signal.aborted) {
      process.stderr.write(`mcr-lab: interrupted; everything this run created was removed (log: ${join(outDir, 'run.log')})\n`);
      return EXIT.interrupted;
    }
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const written = await writeAll(results, outDir);
  if (values.json) {
    process.stdout.write(readFileSync(join(outDir, 'results.json'), 'utf8'));
  } else {
    process.stdout.write(`${consoleTable(results)}\n`);
    for (const s of results.skipped) process.stdout.write(`skipped: ${s.reason}\n`);
    process.stdout.write(`${results.pass ? 'PASS' : 'FAIL'}  results: ${written.join(', ')}\n`);
  }
  return results.pass ? EXIT.ok : EXIT.failed;
}

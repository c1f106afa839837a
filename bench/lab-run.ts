/**
 * Runs scenarios through the lab CLI (dist/lab/cli/mcr-lab.js) for the CI job and the bench, one
 * `mcr-lab run` per scenario, and loads the results.json each leaves in its output directory.
 *
 *   node dist/lab/cli/mcr-lab.js run scenarios/chain.yaml --quick --relays mcrd,socat,kernel,direct --out DIR --json
 *
 * mcr-lab's own exit status reflects the scenario's thresholds; that is not ours to judge, so a run
 * that wrote results.json counts, and only a run that wrote none is an error.
 * Covered by ci/perf-regression.test.ts (stand-in lab) and ci/perf-regression.e2e.test.ts (the real one).
 */
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { loadResults, type LoadedResults } from '../lab/results/validate.js';
import { isLatency, planLatency } from './latency.js';
import { isScaling, planScaling, type PlannedRun } from './scaling.js';

export const DEFAULT_SCENARIOS = ['chain', 'dual-bridge', 'fanout-50', 'scaling', 'latency'] as const;
export const DEFAULT_RELAYS = ['mcrd', 'socat', 'kernel', 'direct'] as const;

/** The repository root: the nearest directory above this module holding package.json. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the repository root (no package.json above bench/)');
    dir = up;
  }
  return dir;
}

export interface LabRunOptions {
  scenarios: readonly string[];
  relays: readonly string[];
  quick: boolean;
  /** Each scenario's results go to OUT/<scenario>/results.json. */
  outDir: string;
  /** Per-scenario time limit. */
  timeoutMs?: number;
  /** Runs of each scenario (default 1); the metrics take the median over them. */
  repeat?: number;
  log?: (line: string) => void;
  /** The lab CLI to run; default dist/lab/cli/mcr-lab.js of this repository. */
  labCli?: string;
}

/** Path of a scenario file: a name like `chain` means scenarios/chain.yaml. */
export function scenarioPath(root: string, scenario: string): string {
  return scenario.includes('/') || scenario.endsWith('.yaml') ? resolve(scenario) : join(root, 'scenarios', `${scenario}.yaml`);
}

async function runOne(cli: string, root: string, planned: PlannedRun, out: string, label: string, opts: LabRunOptions,
  log: (line: string) => void): Promise<LoadedResults> {
  const resultsFile = join(out, 'results.json');
  await mkdir(out, { recursive: true });
  // A results.json left by an earlier run must not pass for this one's.
  await rm(resultsFile, { force: true });
  const args = ['run', planned.file, ...(opts.quick ? ['--quick'] : []), '--relays', planned.relays.join(','), '--out', out, '--json'];
  log(`perf: mcr-lab ${args.join(' ')}`);
  const started = Date.now();
  const run = await execa(process.execPath, [cli, ...args], {
    // The lab's progress (stderr) shows live; stdout (the --json document) is only kept for errors.
    cwd: root, reject: false, all: true, stdin: 'ignore', stderr: ['pipe', 'inherit'],
    timeout: opts.timeoutMs ?? 30 * 60_000, forceKillAfterDelay: 5_000, cleanup: true,
  });
  log(`perf: ${label} finished in ${((Date.now() - started) / 1000).toFixed(0)} s (mcr-lab exit ${run.exitCode ?? run.signal})`);
  if (!existsSync(resultsFile)) {
    const tail = String(run.all ?? '').trim().split('\n').slice(-15).join('\n');
    throw new Error(`mcr-lab run ${label} wrote no ${resultsFile}: ${run.shortMessage ?? `exit ${run.exitCode}`}\n${tail}`);
  }
  return loadResults(resultsFile);
}

/**
 * The lab runs one scenario argument stands for: itself with the relays asked for, or for the
 * scaling scenario one committed variant per mcrd worker count, or for `latency` the two committed
 * variants of the chain (scenarios/bench/, bench/latency.ts).
 */
function planRuns(root: string, scenario: string, opts: LabRunOptions): PlannedRun[] {
  if (isLatency(scenario)) return planLatency(root, opts.relays);
  if (isScaling(scenario)) return planScaling(root, opts.relays);
  const file = scenarioPath(root, scenario);
  return [{ name: scenario.replace(/^.*\//, '').replace(/\.yaml$/, ''), file, relays: [...opts.relays] }];
}

/** A scenario run that produced no usable results.json, and why. */
export interface LabFailure { scenario: string; message: string }

export interface LabRun { loaded: LoadedResults[]; failures: LabFailure[] }

/**
 * Runs every scenario in turn, `repeat` times each (never in parallel: they would share the
 * machine's cores). With repeat > 1 each run goes to OUT/<scenario>/run-<i>/. A run that fails is
 * recorded and the others still run, so one broken scenario does not hide the rest's numbers.
 * @returns the loaded results in scenario order, and the runs that failed (the lab's last output
 *   lines in their message)
 * @throws Error only when the lab CLI is not there at all
 */
export async function runLab(opts: LabRunOptions): Promise<LabRun> {
  const root = repoRoot();
  const cli = opts.labCli ?? join(root, 'dist/lab/cli/mcr-lab.js');
  if (!existsSync(cli)) throw new Error(`${cli} not found: build the lab first (npm run build:ts)`);
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const loaded: LoadedResults[] = [];
  const failures: LabFailure[] = [];
  const repeat = opts.repeat ?? 1;
  for (const scenario of opts.scenarios) {
    const planned = planRuns(root, scenario, opts);
    if (planned.length === 0) log(`perf: ${scenario} not run: it compares mcrd with itself and mcrd is not among --relays`);
    for (const p of planned) {
      for (let run = 1; run <= repeat; run++) {
        const label = `${p.name}${repeat > 1 ? ` run ${run}/${repeat}` : ''}`;
        try {
          loaded.push(await runOne(cli, root, p, resolve(opts.outDir, p.name, ...(repeat > 1 ? [`run-${run}`] : [])), label, opts, log));
        } catch (err) {
          log(`perf: ${label} failed: ${(err as Error).message.split('\n')[0]}`);
          failures.push({ scenario: label, message: (err as Error).message });
        }
      }
    }
  }
  return { loaded, failures };
}

#!/usr/bin/env node
/**
 * perf-regression: the CI performance-regression job. Runs the quick benchmark set through mcr-lab
 * (or reads given results files), compares the performance ratios with ci/baseline.json, writes
 * ci/out/summary.md and ci/out/junit.xml, prints the summary, and exits 1 on a regression.
 *
 *   node dist/ci/perf-regression.js                                # run the lab (root), compare
 *   node dist/ci/perf-regression.js --results out/chain/results.json,out/fanout-50/results.json
 *   node dist/ci/perf-regression.js --update-baseline              # accept this run as the new baseline
 *
 * Exit: 0 pass (also with improvements), 1 regression or required metric missing, 64 usage,
 * 70 a lab run or results file failed (summary and JUnit still written after a failed lab run), 77 lab run without root, 78 bad baseline. Tests: ci/perf-regression.test.ts.
 */
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { baselineFrom, loadBaseline, writeBaseline, type Baseline } from './baseline.js';
import { compareMeasured } from './compare.js';
import { renderJunit } from './junit.js';
import { DEFAULT_RELAYS, DEFAULT_SCENARIOS, repoRoot, runLab, type LabRun } from '../bench/lab-run.js';
import { renderMarkdown } from './markdown.js';
import { measure } from '../bench/metrics.js';
import { loadResults } from '../lab/results/validate.js';

const USAGE = `usage: perf-regression [options]

Runs the quick benchmark set through mcr-lab, compares mcrd's ratios (vs kernel, vs socat, fan-out vs
1:1, latency added, relay-core CPU per packet vs kernel, worst p99 below its throughput, duplicates
and reordering with 2 workers) with the baseline, writes summary.md and junit.xml, prints the
summary. Exit 0 pass, 1 regression, 64 usage, 70 lab/results failure, 77 not root, 78 bad baseline.

options:
  --results A.json,B.json   compare these results files instead of running the lab
  --baseline FILE           baseline to compare with (default ci/baseline.json)
  --out DIR                 where summary.md, junit.xml, comparison.json and lab runs go (default ci/out)
  --scenarios LIST          scenarios to run (default ${DEFAULT_SCENARIOS.join(',')})
  --relays LIST             relays to compare (default ${DEFAULT_RELAYS.join(',')})
  --full                    full lab runs instead of --quick
  --repeat N                run each scenario N times; metrics take the median (default 1)
  --lab FILE                mcr-lab CLI to run (default dist/lab/cli/mcr-lab.js)
  --update-baseline         write this run's values as the new baseline (keeps tolerances), exit 0
  -h, --help                this text

examples:
  sudo node dist/ci/perf-regression.js
  node dist/ci/perf-regression.js --results lab/results/fixtures/chain.json,lab/results/fixtures/dual-bridge.json,lab/results/fixtures/fanout-50.json
`;

class UsageError extends Error {}
class ExitError extends Error {
  constructor(message: string, readonly code: number) { super(message); }
}

interface Options {
  results?: string[]; baseline: string; out: string; scenarios: string[]; relays: string[];
  quick: boolean; updateBaseline: boolean; lab?: string; repeat: number;
}

function list(value: string | undefined, flag: string): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new UsageError(`${flag}: expected a comma-separated list, got "${value}"`);
  return items;
}

function parseOptions(argv: string[]): Options | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: false, strict: true,
      options: {
        results: { type: 'string' }, baseline: { type: 'string' }, out: { type: 'string' },
        scenarios: { type: 'string' }, relays: { type: 'string' }, full: { type: 'boolean' }, lab: { type: 'string' }, repeat: { type: 'string' },
        'update-baseline': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values;
  if (v.help) return 'help';
  const root = repoRoot();
  const relays = list(v.relays, '--relays') ?? [...DEFAULT_RELAYS];
  const unknown = relays.filter((r) => !(DEFAULT_RELAYS as readonly string[]).includes(r));
  if (unknown.length) throw new UsageError(`--relays: unknown relay ${unknown.join(', ')} (known: ${DEFAULT_RELAYS.join(', ')})`);
  if (v.results !== undefined && (v.scenarios !== undefined || v.relays !== undefined || v.full || v.lab !== undefined || v.repeat !== undefined)) {
    throw new UsageError('--results compares existing files; --scenarios, --relays, --full, --repeat and --lab only apply when running the lab');
  }
  const repeat = v.repeat === undefined ? 1 : Number(v.repeat);
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 20) throw new UsageError(`--repeat: expected an integer 1-20, got "${v.repeat}"`);
  return {
    repeat,
    ...(v.results !== undefined && { results: list(v.results, '--results')! }),
    ...(v.lab !== undefined && { lab: resolve(v.lab) }),
    baseline: v.baseline !== undefined ? resolve(v.baseline) : join(root, 'ci/baseline.json'),
    out: v.out !== undefined ? resolve(v.out) : join(root, 'ci/out'),
    scenarios: list(v.scenarios, '--scenarios') ?? [...DEFAULT_SCENARIOS],
    relays,
    quick: !v.full,
    updateBaseline: v['update-baseline'] === true,
  };
}

async function gatherResults(o: Options): Promise<LabRun> {
  if (!o.results && process.getuid?.() !== 0) {
    throw new ExitError('running the lab needs root (network namespaces): run as root, or compare existing files with --results', 77);
  }
  try {
    if (o.results) return { loaded: await Promise.all(o.results.map((p) => loadResults(resolve(p)))), failures: [] };
    return await runLab({ scenarios: o.scenarios, relays: o.relays, quick: o.quick, outDir: join(o.out, 'runs'), repeat: o.repeat, ...(o.lab && { labCli: o.lab }) });
  } catch (err) {
    throw new ExitError((err as Error).message, 70);
  }
}

async function readBaseline(o: Options): Promise<Baseline> {
  try {
    return await loadBaseline(o.baseline);
  } catch (err) {
    // No baseline yet is fine when this run is about to write the first one.
    if (o.updateBaseline && /cannot read baseline \(ENOENT\)/.test((err as Error).message)) return {};
    throw new ExitError((err as Error).message, 78);
  }
}

async function main(argv: string[]): Promise<number> {
  const o = parseOptions(argv);
  if (o === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  // Baseline first: a broken baseline should not cost a 10-minute lab run to discover.
  const baseline = await readBaseline(o);
  const { loaded: files, failures } = await gatherResults(o);
  const measured = measure(files);
  const report = compareMeasured(measured, baseline);
  const summary = renderMarkdown(report, files, failures);

  // Summary and JUnit are written even when a lab run failed: CI publishes them either way.
  await mkdir(o.out, { recursive: true });
  await writeFile(join(o.out, 'summary.md'), summary);
  await writeFile(join(o.out, 'junit.xml'), renderJunit(report, new Date().toISOString(), failures));
  await writeFile(join(o.out, 'comparison.json'), JSON.stringify({ ...report, labFailures: failures, results: files.map((f) => f.path) }, null, 2) + '\n');
  if (process.env.GITHUB_STEP_SUMMARY) await appendFile(process.env.GITHUB_STEP_SUMMARY, summary);
  process.stdout.write(summary);

  if (o.updateBaseline && failures.length > 0) {
    throw new ExitError(`not updating ${o.baseline}: ${failures.length} lab run(s) failed (${failures.map((f) => f.scenario).join(', ')})`, 70);
  }
  if (o.updateBaseline) {
    await writeBaseline(o.baseline, baselineFrom(measured, baseline));
    process.stdout.write(`\nperf-regression: wrote ${o.baseline} from this run; review and commit it\n`);
    return 0;
  }
  process.stdout.write(`\nperf-regression: wrote ${join(o.out, 'summary.md')} and ${join(o.out, 'junit.xml')}\n`);
  if (failures.length > 0) {
    process.stderr.write(`perf-regression: ${failures.length} lab run(s) failed: ${failures.map((f) => f.scenario).join(', ')}\n`);
    return 70;
  }
  return report.failed ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`perf-regression: ${err.message}\n(see --help)\n`);
      process.exitCode = 64;
    } else if (err instanceof ExitError) {
      process.stderr.write(`perf-regression: ${err.message}\n`);
      process.exitCode = err.code;
    } else {
      process.stderr.write(`perf-regression: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exitCode = 70;
    }
  },
);

#!/usr/bin/env node
/**
 * `npm run bench`: the micro-benchmarks (bench/micro/*.bench.ts, tinybench, and rule lookup timed in
 * C++) then the macro suite through mcr-lab (chain, dual-bridge, fanout-50 with mcrd, socat, kernel
 * and direct; scaling with mcrd at 1 and 2 workers and direct; the latency suite of bench/latency.ts:
 * the chain at 10k and 50k pps without CPU placement, mcrd default and busy-polling), written to
 * bench/results/<timestamp>.json and bench/results/latest.md, and printed.
 *
 *   sudo npm run bench                          # everything, full lab runs (long)
 *   sudo npm run bench -- --quick               # quick lab runs (what CI uses)
 *   npm run bench -- --micro-only               # no root needed
 *   sudo npm run bench -- --quick --update-readme   # also regenerate README's performance section
 *
 *   sudo npm run bench -- --macro-only --soak 30   # also the soak (soak/run.ts) for 30 minutes
 *
 * Exit: 0 done, 1 a suite, the lab or the soak failed (the record is still written), 64 usage.
 * Tests: bench/run.test.ts.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_RELAYS, DEFAULT_SCENARIOS, repoRoot, runLab, type LabRun } from './lab-run.js';
import { loadResults, type LoadedResults } from '../lab/results/validate.js';
import { macroSummary } from './macro.js';
import { releaseEngines, SUITES } from './micro/index.js';
import { runSuite, type SuiteOutcome } from './micro/suite.js';
import { updateReadme } from './readme.js';
import { BENCH_RECORD_VERSION, describeMachine, type BenchRecord } from './record.js';
import { renderBenchMarkdown } from './table.js';
import { runSoak } from '../soak/run.js';
import { runScale, SCALE_SCENARIO } from './scale/run.js';
import { renderScaleMarkdown } from './scale/table.js';

const USAGE = `usage: npm run bench -- [options]   (node dist/bench/run.js [options])

Micro-benchmarks of the hot pieces, then chain, dual-bridge and fanout-50 through mcr-lab with
mcrd, socat, kernel and direct, scaling (4 streams) with mcrd at 1 and 2 workers and direct, and
the latency suite (chain at 10k and 50k pps without CPU placement: direct, kernel, mcrd, and mcrd
--busy-poll-us 200; --scenarios latency runs only that). Writes bench/results/<timestamp>.json and bench/results/latest.md.

options:
  --quick               quick lab runs and shorter micro-benchmarks
  --micro-only          only the micro-benchmarks (no root needed)
  --macro-only          only the lab runs
  --update-readme       rewrite README.md between <!-- perf:start --> and <!-- perf:end -->
  --readme FILE         README to update (default README.md)
  --out DIR             where results go (default bench/results)
  --scenarios LIST      lab scenarios, and ${SCALE_SCENARIO} for the scale suite (bench/scale: 1-1000 streams,
                        fan-out 1 → 50 and 200, 10k rules; ~3-4 min quick, ~8-10 min full) (default
                        ${[...DEFAULT_SCENARIOS, SCALE_SCENARIO].join(',')})
  --relays LIST         relays to compare (default ${DEFAULT_RELAYS.join(',')})
  --lab FILE            mcr-lab CLI (default dist/lab/cli/mcr-lab.js)
  --results A,B         take the macro results from these results.json files instead of running the lab
  --repeat N            run each scenario N times; ratios take the median (default 1)
  --micro-time MS       measuring time per micro task (default 1000, 300 with --quick)
  --soak MINUTES        after the lab runs, the soak under combined faults (npm run soak; docs/reliability.md)
  -h, --help            this text
`;

class UsageError extends Error {}

interface Options {
  quick: boolean; micro: boolean; macro: boolean; updateReadme: boolean; out: string;
  scenarios: string[]; relays: string[]; lab?: string; scaleNamed: boolean; microTimeMs: number; readme: string; repeat: number; results?: string[]; soakMinutes?: number;
}

function parseOptions(argv: string[]): Options | 'help' {
  let v;
  try {
    v = parseArgs({
      args: argv, strict: true, allowPositionals: false,
      options: {
        quick: { type: 'boolean' }, 'micro-only': { type: 'boolean' }, 'macro-only': { type: 'boolean' },
        'update-readme': { type: 'boolean' }, readme: { type: 'string' }, out: { type: 'string' }, scenarios: { type: 'string' },
        relays: { type: 'string' }, lab: { type: 'string' }, repeat: { type: 'string' }, results: { type: 'string' }, 'micro-time': { type: 'string' }, soak: { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (v.help) return 'help';
  if (v['update-readme'] && v['micro-only']) throw new UsageError('--update-readme needs the macro results; drop --micro-only (or give --results)');
  if (v.results !== undefined && v['micro-only']) throw new UsageError('--results gives the macro results; it makes no sense with --micro-only');
  if (v['micro-only'] && v['macro-only']) throw new UsageError('--micro-only and --macro-only exclude each other; give neither to run both');
  const quick = v.quick === true;
  const microTimeMs = v['micro-time'] === undefined ? (quick ? 300 : 1000) : Number(v['micro-time']);
  if (!Number.isInteger(microTimeMs) || microTimeMs < 10) throw new UsageError(`--micro-time: expected milliseconds >= 10, got "${v['micro-time']}"`);
  const repeat = v.repeat === undefined ? 1 : Number(v.repeat);
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 20) throw new UsageError(`--repeat: expected an integer 1-20, got "${v.repeat}"`);
  const soakMinutes = v.soak === undefined ? undefined : Number(v.soak);
  if (soakMinutes !== undefined && !(soakMinutes >= 2)) throw new UsageError(`--soak: expected minutes >= 2, got "${v.soak}"`);
  const split = (s: string | undefined, d: readonly string[]): string[] => (s === undefined ? [...d] : s.split(',').map((x) => x.trim()).filter(Boolean));
  return {
    quick, micro: !v['macro-only'], macro: !v['micro-only'], updateReadme: v['update-readme'] === true,
    out: resolve(v.out ?? join(repoRoot(), 'bench/results')),
    readme: resolve(v.readme ?? join(repoRoot(), 'README.md')),
    scenarios: split(v.scenarios, [...DEFAULT_SCENARIOS, SCALE_SCENARIO]), scaleNamed: split(v.scenarios, []).includes(SCALE_SCENARIO), relays: split(v.relays, DEFAULT_RELAYS),
    ...(v.lab !== undefined && { lab: resolve(v.lab) }), microTimeMs, repeat,
    ...(v.results !== undefined && { results: split(v.results, []).map((p) => resolve(p)) }),
    ...(soakMinutes !== undefined && { soakMinutes }),
  };
}

const log = (line: string): void => { process.stderr.write(`${line}\n`); };

async function runMicro(o: Options): Promise<{ outcomes: SuiteOutcome[]; failed: boolean }> {
  const outcomes: SuiteOutcome[] = [];
  let failed = false;
  for (const def of SUITES) {
    log(`bench: micro ${def.name}`);
    try {
      const outcome = await runSuite(def, { timeMs: o.microTimeMs, warmupMs: Math.max(10, o.microTimeMs / 5) });
      if (outcome.skipped) log(`bench: micro ${def.name} skipped: ${outcome.skipped}`);
      outcomes.push(outcome);
    } catch (err) {
      failed = true;
      log(`bench: micro ${def.name} failed: ${(err as Error).message}`);
      outcomes.push({ suite: def.name, results: [], skipped: `failed: ${(err as Error).message.split('\n')[0]}` });
    }
  }
  releaseEngines();
  return { outcomes, failed };
}

async function runMacro(o: Options, runDir: string): Promise<LabRun> {
  if (o.results) return { loaded: await Promise.all(o.results.map((p) => loadResults(p))), failures: [] };
  if (process.getuid?.() !== 0) throw new Error('the macro suite builds network namespaces and needs root (sudo npm run bench, or --micro-only)');
  return runLab({ scenarios: o.scenarios.filter((s) => s !== SCALE_SCENARIO), relays: o.relays, quick: o.quick, outDir: runDir, log, repeat: o.repeat, ...(o.lab && { labCli: o.lab }) });
}

async function main(argv: string[]): Promise<number> {
  const o = parseOptions(argv);
  if (o === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const startedAt = new Date().toISOString();
  const stamp = startedAt.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
  const micro = o.micro ? await runMicro(o) : { outcomes: [], failed: false };

  let files: LoadedResults[] = [];
  let macroError: string | undefined;
  if (o.macro) {
    try {
      const run = await runMacro(o, join(o.out, 'runs', stamp));
      files = run.loaded;
      if (run.failures.length > 0) macroError = run.failures.map((f) => `${f.scenario}: ${f.message.split('\n')[0]}`).join('; ');
    } catch (err) {
      macroError = (err as Error).message;
    }
    if (macroError !== undefined) log(`bench: macro suite failed: ${macroError}`);
  }

  let scale: BenchRecord['scale'];
  // The scale suite runs in-process on this build's lab library, so another lab CLI (--lab) cannot
  // stand in for it: with --lab it runs only when named in --scenarios.
  if (o.lab && o.scenarios.includes(SCALE_SCENARIO) && !o.scaleNamed) log(`bench: ${SCALE_SCENARIO} not run: --lab names another lab build; give --scenarios ${SCALE_SCENARIO} to run it`);
  else if (o.macro && !o.results && o.scenarios.includes(SCALE_SCENARIO)) {
    try {
      if (process.getuid?.() !== 0) throw new Error('the scale suite builds network namespaces and needs root');
      scale = await runScale({ quick: o.quick, root: repoRoot(), outDir: join(o.out, 'runs', stamp, SCALE_SCENARIO), log });
      if (scale.errors.length) macroError = [macroError, ...scale.errors.map((e) => `scale: ${e}`)].filter(Boolean).join('; ');
    } catch (err) {
      macroError = [macroError, `scale: ${(err as Error).message}`].filter(Boolean).join('; ');
    }
  }

  let soak: BenchRecord['soak'];
  if (o.soakMinutes !== undefined) {
    if (process.getuid?.() !== 0) throw new Error('the soak builds network namespaces and needs root');
    soak = { minutes: o.soakMinutes, verdict: (await runSoak({ minutes: o.soakMinutes, progress: log })).verdict };
  }

  const record: BenchRecord = {
    kind: 'mcr-bench', version: BENCH_RECORD_VERSION, startedAt, finishedAt: new Date().toISOString(), quick: o.quick,
    machine: describeMachine(files[0]?.results.environment),
    micro: micro.outcomes,
    ...(files.length > 0 && {
      macro: {
        ...macroSummary(files), results: files.map((f) => f.path),
        measuredAt: files.map((f) => f.results.startedAt).sort()[0]!,
      },
    }),
    ...(o.macro && macroError !== undefined && { macroError }),
    ...(soak && { soak }),
    ...(scale && { scale }),
  };
  await mkdir(o.out, { recursive: true });
  const recordFile = join(o.out, `${stamp}.json`);
  await writeFile(recordFile, JSON.stringify(record, null, 2) + '\n');
  const md = renderBenchMarkdown(record) + (scale ? `\n${renderScaleMarkdown(scale)}` : '');
  await writeFile(join(o.out, 'latest.md'), md);
  process.stdout.write(md);
  log(`bench: wrote ${recordFile} and ${join(o.out, 'latest.md')}`);
  if (o.updateReadme && record.macro && macroError === undefined) {
    await updateReadme(o.readme, renderBenchMarkdown(record, '###'));
    log(`bench: updated the performance section of ${o.readme}`);
  } else if (o.updateReadme) {
    // A README whose numbers vanished because one run failed is worse than slightly old numbers.
    log(`bench: ${o.readme} left as it was: the macro suite did not complete`);
  }
  return micro.failed || macroError !== undefined || soak?.verdict.ok === false ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`bench: ${err.message}\n(see --help)\n`);
      process.exitCode = 64;
    } else {
      process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    }
  },
);

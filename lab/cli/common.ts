/**
 * What every mcr-lab verb shares: exit codes, usage errors, loading + resolving + verifying a
 * scenario (parse → resolve → verify, one path for `validate`, `up` and `run`), the package root.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatProblem, ScenarioError, sortProblems, type ScenarioProblem } from '../scenario/errors.js';
import { loadScenarioFile } from '../scenario/load.js';
import { resolveScenario, type ResolveOptions, type ResolvedScenario } from '../scenario/resolve.js';
import { verifyScenario } from '../scenario/verify.js';
import { packageRoot } from '../traffic/binaries.js';

/** sysexits-style codes; documented in docs/lab.md. */
export const EXIT = { ok: 0, failed: 1, usage: 64, unavailable: 69, noperm: 77, config: 78, interrupted: 130 } as const;

export class UsageError extends Error {
  constructor(message: string, readonly usage?: string) { super(message); this.name = 'UsageError'; }
}

export function projectRoot(): string { return packageRoot(); }

export function toolVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch { return '0.0.0'; }
}

export interface Prepared { scenario: ResolvedScenario; warnings: ScenarioProblem[] }

/** Loads, resolves and verifies a scenario file; throws ScenarioError with every error found. */
export async function prepareScenario(file: string, opts: ResolveOptions = {}): Promise<Prepared> {
  const loaded = await loadScenarioFile(file);
  const scenario = resolveScenario(loaded.scenario, opts);
  const problems = verifyScenario(scenario, loaded.locate);
  const errors = problems.filter((p) => p.severity === 'error');
  if (errors.length > 0) throw new ScenarioError(file, problems);
  return { scenario, warnings: problems.filter((p) => p.severity === 'warning') };
}

export function printProblems(file: string, problems: ScenarioProblem[]): void {
  for (const p of sortProblems(problems)) process.stderr.write(`${formatProblem(file, p)}\n`);
}

/** Prints "mcr-lab: message" (or the problems of a scenario) and returns the exit code. */
export function reportError(err: unknown): number {
  if (err instanceof ScenarioError) {
    printProblems(err.file, err.problems);
    const n = err.problems.filter((p) => p.severity === 'error').length;
    process.stderr.write(`mcr-lab: ${err.file}: ${n} error${n === 1 ? '' : 's'}\n`);
    return EXIT.config;
  }
  if (err instanceof UsageError) {
    process.stderr.write(`mcr-lab: ${err.message}\n${err.usage ? `\n${err.usage}\n` : ''}`);
    return EXIT.usage;
  }
  process.stderr.write(`mcr-lab: ${(err as Error).message ?? String(err)}\n`);
  return EXIT.failed;
}

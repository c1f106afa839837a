/**
 * Markdown summary of a performance comparison: a verdict line and one table row per metric, as
 * printed by the CI job and written to ci/out/summary.md. Covered by ci/report.test.ts.
 */
import type { Comparison, Report } from './compare.js';
import { cell, formatBounded, formatKernel } from '../bench/format.js';
import { formatExpected } from './format.js';
import type { LabFailure } from '../bench/lab-run.js';
import type { LoadedResults } from '../lab/results/validate.js';

const VERDICT: Record<Comparison['verdict'], string> = {
  pass: '✅ pass',
  improved: '⬆️ improved',
  regression: '❌ regression',
  missing: '⚠️ missing',
  untracked: '➖ no baseline',
};

function verdictOf(c: Comparison): string {
  return c.verdict === 'missing' && c.failed ? '❌ missing (required)' : VERDICT[c.verdict];
}

/** One-line outcome, e.g. `FAIL: 1 regression, 1 required metric missing`. */
export function headline(report: Report): string {
  const requiredMissing = report.comparisons.filter((c) => c.verdict === 'missing' && c.failed).length;
  const parts = [
    report.counts.regression && `${report.counts.regression} regression${report.counts.regression > 1 ? 's' : ''}`,
    requiredMissing && `${requiredMissing} required metric${requiredMissing > 1 ? 's' : ''} missing`,
    report.counts.improved && `${report.counts.improved} improved`,
    report.counts.pass && `${report.counts.pass} pass`,
    report.counts.missing - requiredMissing && `${report.counts.missing - requiredMissing} missing (not required)`,
    report.counts.untracked && `${report.counts.untracked} without baseline`,
  ].filter(Boolean);
  return `${report.failed ? 'FAIL' : 'PASS'}: ${parts.join(', ')}`;
}

/** Describes the machine the first results file was measured on. */
export function machineLine(files: LoadedResults[]): string {
  const env = files[0]?.results.environment;
  if (!env) return 'machine: unknown (no results files)';
  const v = Object.entries(env.versions).map(([k, val]) => `${k} ${val}`).join(', ');
  return `machine: ${env.hostname}, ${env.cpus.count} × ${env.cpus.model}, ${formatKernel(env.kernel)}${v ? `; ${v}` : ''}`;
}

/**
 * Renders the summary.
 * @param report comparison result
 * @param files the results files it was computed from (named under the table, machine described)
 * @param failures lab runs that produced no results, listed above the table
 */
export function renderMarkdown(report: Report, files: LoadedResults[], failures: LabFailure[] = []): string {
  const rows = report.comparisons.map((c) =>
    `| ${cell(c.title)} | ${formatBounded(c.have, c.unit, c.bound, c)} | ${cell(formatExpected(c.expected, c.unit))} | ${verdictOf(c)} | ${cell(c.note)} |`);
  const sources = files.map((f) => `- \`${f.path}\`: ${f.results.scenario.name}${f.results.scenario.quick ? ' (quick)' : ''}, ` +
    `relays ${f.results.relays.join(', ')}${f.results.skipped.length ? `; skipped ${f.results.skipped.map((s) => `${s.relay} (${s.reason})`).join(', ')}` : ''}`);
  const failed = failures.length === 0 ? [] : [
    `**${failures.length} lab run(s) failed**; their metrics are missing below:`,
    '',
    ...failures.map((f) => `- ${f.scenario}: ${cell(f.message.split('\n')[0] ?? '')}`),
    '',
  ];
  return [
    `## mcr performance regression check — ${failures.length ? 'ERROR (lab run failed), ' : ''}${headline(report)}`,
    '',
    ...failed,
    '| metric | this run | baseline expects | verdict | measured as |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    machineLine(files),
    '',
    ...sources,
    '',
  ].join('\n');
}

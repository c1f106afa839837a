/**
 * JUnit XML of a performance comparison, one testcase per metric, for CI services that publish test
 * reports: a regression or a required missing metric is a <failure>, an optional missing metric is
 * <skipped>. Covered by ci/report.test.ts.
 */
import type { Comparison, Report } from './compare.js';
import type { LabFailure } from '../bench/lab-run.js';
import { formatBounded, formatValue } from '../bench/format.js';
import { formatLimit } from './format.js';

/** Escapes text for XML attributes and content, dropping characters XML 1.0 forbids. */
export function xml(text: string): string {
  return text
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** The failure message: have, expected, baseline value, tolerance and direction. */
export function failureMessage(c: Comparison): string {
  const e = c.expected;
  const tol = e ? `baseline ${formatValue(e.value, c.unit)}, tolerance ${Math.round(e.tolerance * 100)} %, ${e.direction}` : 'no baseline';
  const expected = e ? formatLimit(e, c.unit) : 'a value';
  if (c.verdict === 'missing') return `missing (required): ${c.note}; expected ${expected} (${tol})`;
  return `have ${formatBounded(c.have, c.unit, c.bound, c)}, expected ${expected} (${tol})`;
}

function testcase(c: Comparison): string {
  const open = `    <testcase classname="mcr.perf.${xml(c.id.split('.')[0] ?? 'perf')}" name="${xml(c.id)}" time="0">`;
  const out = `      <system-out>${xml(`${c.title}: ${formatBounded(c.have, c.unit, c.bound, c)} [${c.verdict}] ${c.note}`)}</system-out>`;
  let body = '';
  if (c.failed) {
    body = `      <failure type="${c.verdict}" message="${xml(failureMessage(c))}">${xml(c.note)}</failure>\n`;
  } else if (c.verdict === 'missing') {
    body = `      <skipped message="${xml(`missing (not required): ${c.note}`)}"/>\n`;
  }
  return `${open}\n${body}${out}\n    </testcase>`;
}

/**
 * Renders the JUnit XML document.
 * @param timestamp ISO time of the run, recorded on the testsuite
 * @param labFailures lab runs that produced no results, one <error> testcase each
 */
export function renderJunit(report: Report, timestamp: string, labFailures: LabFailure[] = []): string {
  const cs = report.comparisons;
  const failures = cs.filter((c) => c.failed).length;
  const skipped = cs.filter((c) => !c.failed && c.verdict === 'missing').length;
  const counts = `tests="${cs.length + labFailures.length}" failures="${failures}" errors="${labFailures.length}" skipped="${skipped}"`;
  // A lab run that failed is an <error> (the measurement broke), not a <failure> (mcrd got slower).
  const errors = labFailures.map((f) => [
    `    <testcase classname="mcr.perf.lab" name="${xml(`lab run ${f.scenario}`)}" time="0">`,
    `      <error type="lab" message="${xml(f.message.split('\n')[0] ?? '')}">${xml(f.message)}</error>`,
    '    </testcase>',
  ].join('\n'));
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="mcr performance" ${counts}>`,
    `  <testsuite name="perf-regression" ${counts} timestamp="${xml(timestamp)}">`,
    ...errors,
    ...cs.map(testcase),
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

/**
 * The summary table mcr-lab prints at the end of a run: relay × test → median (min–max) of the
 * figures that matter for that kind of test, then each threshold as PASS/FAIL. Plain text, aligned,
 * no colour codes (it also goes to logs and CI output).
 */
import type { Results, TestResult } from '../results/types.js';
import { fmtLoss, fmtMetric, fmtNs, fmtPps, fmtSummaryCompact } from './format.js';
import { latencySummary, relaysOf, testNames } from './model.js';
import { formatFigure, throughputFigure } from '../results/figures.js';
import { describePlacement } from '../run/placement.js';
import { membershipConsole } from './membership.js';

function row(t: TestResult): string[] {
  const p50 = latencySummary(t, 'p50');
  const p99 = latencySummary(t, 'p99');
  const lat = [p50 ? fmtSummaryCompact(p50, fmtNs) : '–', p99 ? fmtSummaryCompact(p99, fmtNs) : '–'];
  switch (t.kind) {
    case 'throughput':
      return [t.name, t.relay, throughputText(t), `≤ ${fmtLoss(t.lossTolerance)}`, '–', '–', '–', '–', '–'];
    case 'fixed-rate':
      return [t.name, t.relay, `@ ${fmtPps(t.offeredPps)}`, fmtSummaryCompact(t.summary.lossRatio, fmtLoss), ...lat,
        t.summary.relayCpuNsPerPacket ? fmtSummaryCompact(t.summary.relayCpuNsPerPacket, fmtNs) : '–',
        t.summary.relayCoreNsPerPacket ? fmtSummaryCompact(t.summary.relayCoreNsPerPacket, fmtNs) : '–',
        t.summary.relayCoreOwnNsPerPacket ? fmtSummaryCompact(t.summary.relayCoreOwnNsPerPacket, fmtNs) : '–'];
    case 'latency':
      return [t.name, t.relay, `@ ${fmtPps(t.offeredPps)}`, '–', ...lat, '–', '–', '–'];
  }
}

/** The figure ("196k", "10k–107k", "≥ 450k"), then its spread over repetitions when there is one. */
function throughputText(t: Extract<TestResult, { kind: 'throughput' }>): string {
  const f = throughputFigure(t);
  const s = f.spread;
  return `${formatFigure(f, fmtPps)}${s.n > 1 && s.min !== s.max ? ` [${fmtSummaryCompact(s, fmtPps)}]` : ''}`;
}

/** Columns padded to their widest cell; the first `left` left-aligned, the rest right-aligned. */
export function alignColumns(rows: string[][], left = 2): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => [...(r[i] ?? '')].length)));
  return rows.map((r) => r.map((cell, i) => {
    const pad = ' '.repeat(widths[i]! - [...cell].length);
    return i < left ? cell + pad : pad + cell;
  }).join('  ').trimEnd()).join('\n');
}

/** Render the console summary of a run. */
export function renderConsoleTable(r: Results): string {
  const order = relaysOf(r);
  const rows: string[][] = [['test', 'relay', 'throughput / rate', 'loss', 'p50', 'p99', 'CPU/pkt', 'core CPU/pkt', 'own/pkt']];
  for (const name of testNames(r)) {
    const tests = r.tests.filter((t) => t.name === name).sort((a, b) => order.indexOf(a.relay) - order.indexOf(b.relay));
    for (const t of tests) rows.push(row(t));
  }
  const lines = [`${r.scenario.name}${r.scenario.quick ? ' (quick)' : ''}: median (min–max) over repetitions`, ...(rows.length > 1 ? [alignColumns(rows)] : [])];
  const membership = membershipConsole(r);
  if (membership.table.length > 0) lines.push(alignColumns(membership.table), ...membership.lines);
  const placement = r.environment.placement;
  if (placement) lines.push(`CPU placement: ${describePlacement(placement)}. CPU/pkt: relay processes; core CPU/pkt: everything on the relay CPUs; own/pkt: relay processes' user time + system/irq/softirq time on the relay CPUs.`);
  for (const s of r.skipped) lines.push(`skipped ${s.relay}: ${s.reason}`);
  if (r.thresholds.length > 0) {
    lines.push('', alignColumns(r.thresholds.map((c) => [c.pass ? 'PASS' : 'FAIL', c.description, `actual ${c.actual === null ? 'no data' : fmtMetric(c.metric, c.actual)}`]), 3));
  }
  const skipped = r.skipped.length > 0 ? `, ${r.skipped.length} relay(s) skipped` : '';
  lines.push('', `${r.pass ? 'PASS' : 'FAIL'}: ${r.thresholds.filter((c) => c.pass).length}/${r.thresholds.length} thresholds passed${skipped}`);
  return lines.join('\n');
}

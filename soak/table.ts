/**
 * The soak's verdict as a plain-text table (what `npm run soak` prints; the JSON holds the same and
 * every raw segment and sample). Tested in verdict.test.ts.
 */
import type { SetVerdict, Verdict } from './verdict.js';

const mark = (ok: boolean) => (ok ? 'ok' : 'FAIL');

function grid(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

function sameSet(s: SetVerdict): string {
  return s.ok ? 'exactly as expected' : `FAIL missing ${s.missing.join(',') || '-'} unexpected ${s.unexpected.join(',') || '-'}`;
}

export function renderVerdict(v: Verdict): string {
  const parts: string[] = [];
  parts.push(grid([
    ['window', 'at s', 'ms', 'outputs', 'lost', 'counted', 'bound', ''],
    ...v.windows.map((w) => [w.kind, w.atS.toFixed(1), String(w.durationMs), String(w.outputs), String(w.loss), w.counted === null ? '–' : String(w.counted), String(w.bound), mark(w.ok)]),
    ['outside windows', '', '', `${v.clean.outputs} seg×out`, String(v.clean.loss), String(v.clean.countedDrops), '0', mark(v.clean.ok)],
  ]));
  parts.push(`lossless faults (no window): ${v.lossless.map((l) => `${l.kind} ×${l.count}`).join(', ') || 'none'}`);
  parts.push(grid([
    ['after warm-up', 'mean', 'slope/h', 'change %', ''],
    ...v.trends.map((t) => [t.what, t.mean.toFixed(0), t.slopePerHour.toFixed(1), t.changePct.toFixed(2), t.judged ? mark(t.ok) : 'shown']),
  ]));
  parts.push(`final rules: ${sameSet(v.finalRules)}`);
  parts.push(`final IGMP groups (churn, on r1): ${sameSet(v.finalIgmp)}`);
  parts.push(`error log lines: ${v.errors.total}, unexplained ${v.errors.unexplained.length} ${mark(v.errors.ok)}`);
  for (const f of v.clean.failures.slice(0, 10)) parts.push(`  ${f}`);
  for (const l of v.errors.unexplained.slice(0, 10)) parts.push(`  unexplained: ${l}`);
  parts.push(`verdict: ${v.ok ? 'PASS' : 'FAIL'}`);
  return parts.join('\n\n');
}

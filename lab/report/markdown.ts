/**
 * report.md: what a network engineer pastes into a design review, rendered from results.json alone
 * (how to read it: docs/reports.md). Tables come from tables.ts, shared with report.html.
 * Covered by report.test.ts.
 */
import type { Results } from '../results/types.js';
import {
  environmentTable, headerLines, methodNotes, ratioTable, summaryTable, testTables, thresholdTable, type TableModel,
} from './tables.js';
import { membershipMethodNotes, membershipTables } from './membership.js';

/** Markdown table cell text: pipes and newlines would break the row. */
export function mdCell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** A table as Markdown, with its title at heading `level` when it has one. */
export function mdTable(t: TableModel, level = '###'): string {
  const sep = t.head.map((_, i) => ((t.align?.[i] ?? (i === 0 ? 'l' : 'r')) === 'r' ? '---:' : '---'));
  const lines = [t.head.map(mdCell), sep, ...t.rows.map((row) => row.map((cell) => mdCell(cell.text)))].map((r) => `| ${r.join(' | ')} |`);
  return `${t.title ? `${level} ${t.title}\n\n` : ''}${t.note ? `${t.note}\n\n` : ''}${lines.join('\n')}\n`;
}

/** Render report.md. */
export function renderMarkdown(r: Results): string {
  const [verdict, ...rest] = headerLines(r);
  const parts = [
    `# mcr-lab report: ${mdCell(r.scenario.name)}\n`,
    ...(r.scenario.description ? [`${r.scenario.description}\n`] : []),
    `- **${verdict!}**\n${rest.map((l) => `- ${l}`).join('\n')}\n`,
  ];
  // A run of membership tests only has no forwarding figures: its summary would be a bare list of relays.
  const summary = summaryTable(r);
  if (summary.head.length > 1) parts.push(`## Summary\n\n${mdTable(summary)}`);
  const ratios = ratioTable(r);
  if (ratios) parts.push(mdTable(ratios));
  parts.push('## Tests\n', ...testTables(r).map((t) => mdTable(t)), ...membershipTables(r).map((t) => mdTable(t)));
  parts.push(`## Thresholds\n\n${mdTable(thresholdTable(r))}`);
  parts.push(`## Method\n\n${[...methodNotes(r), ...membershipMethodNotes(r)].map((n) => `- ${n}`).join('\n')}\n`);
  parts.push(`## Environment\n\n${mdTable(environmentTable(r))}`);
  return parts.join('\n');
}

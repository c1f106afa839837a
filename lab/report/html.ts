/**
 * report.html: one self-contained file (inline CSS, inline SVG, no script, no external fonts) that
 * opens offline. Every number a chart draws also appears in a table cell with data-* attributes
 * (data-relay, data-test, data-metric, data-value). Every string from results.json is escaped.
 * Covered by report.test.ts and report.chromium.test.ts (headless Chromium renders it).
 */
import type { Results } from '../results/types.js';
import { fanoutChart, latencyChart, lossChart, throughputChart, type Chart } from './charts.js';
import { attrs, esc } from './escape.js';
import { fixedTests, testNames } from './model.js';
import {
  environmentTable, fixedTable, headerLines, latencyTable, methodNotes, perOutputTable, ratioTable, summaryTable, throughputTable,
  thresholdTable, type TableModel,
} from './tables.js';
import { membershipMethodNotes, membershipTables } from './membership.js';

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#1d2330;margin:24px auto;max-width:1240px;padding:0 16px}
h1{font-size:22px;margin:0 0 6px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d8dde6;padding-bottom:4px}h3{font-size:15px;margin:18px 0 6px}
.verdict{display:inline-block;padding:2px 10px;border-radius:4px;font-weight:600;color:#fff}.verdict.pass{background:#2a9d4b}.verdict.fail{background:#c8362f}
ul.meta{margin:6px 0;padding-left:18px;color:#444}
table{border-collapse:collapse;margin:6px 0 12px;font-variant-numeric:tabular-nums}th,td{border:1px solid #d8dde6;padding:3px 8px}
th{background:#f1f4f8;text-align:left;font-weight:600}td.r,th.r{text-align:right}td .main{white-space:nowrap}td .spread{display:block;font-size:12px;color:#667;white-space:nowrap}
td.pass{color:#1d7a3a;font-weight:600}td.fail{color:#c8362f;font-weight:600}
p.note{margin:4px 0;color:#555}figure{margin:10px 0 4px}figcaption{font-weight:600;margin-bottom:2px}
svg.chart{max-width:100%;height:auto;background:#fff;border:1px solid #e3e7ee}
svg .grid{stroke:#e6e9ef}svg .axis{stroke:#555}svg .tick{font-size:12px;fill:#333}svg .axis-title{font-size:13px;fill:#222}
svg .legend text{font-size:13px;fill:#222}svg .whisker{stroke:#111;stroke-width:1.5}svg .value{font-size:12px;fill:#111}
details{margin:4px 0 14px}summary{cursor:pointer;color:#1f4f99}
`;

/**
 * "25.6 µs (25.3 µs–25.7 µs)" → median on one line, spread below in small type. The text content
 * stays identical to report.md's cell (the space before "(" is kept), so both read the same.
 */
function cellHtml(text: string, summary: boolean): string {
  const i = text.indexOf(' (');
  if (!summary || i < 0 || !text.endsWith(')')) return esc(text);
  return `<span class="main">${esc(text.slice(0, i))}</span> <span class="spread">${esc(text.slice(i + 1))}</span>`;
}

function htmlTable(t: TableModel, level: 'h3' | 'none' = 'h3'): string {
  const align = (i: number) => ((t.align?.[i] ?? (i === 0 ? 'l' : 'r')) === 'r' ? ' class="r"' : '');
  const head = `<tr>${t.head.map((h, i) => `<th${align(i)}>${esc(h)}</th>`).join('')}</tr>`;
  const rows = t.rows.map((row) => `<tr>${row.map((cell, i) => {
    const cls = [align(i) ? 'r' : '', cell.text === 'PASS' ? 'pass' : cell.text === 'FAIL' ? 'fail' : ''].filter(Boolean).join(' ');
    return `<td${cls ? ` class="${cls}"` : ''}${attrs(cell.attrs)}>${cellHtml(cell.text, cell.attrs?.['data-min'] !== undefined)}</td>`;
  }).join('')}</tr>`).join('\n');
  const title = t.title && level !== 'none' ? `<h3>${esc(t.title)}</h3>` : '';
  const note = t.note ? `<p class="note">${esc(t.note)}</p>` : '';
  return `${title}${note}<table id="${esc(t.id)}">${head}\n${rows}</table>\n`;
}

function figure(c: Chart | undefined, collapseTable = false): string {
  if (!c) return '';
  let out = `<figure id="fig-${esc(c.id)}"><figcaption>${esc(c.title)}</figcaption>${c.svg}</figure>\n`;
  if (c.table) {
    // Long tables (every search step, 50 outputs) fold away; they stay in the DOM for readers and tests.
    out += collapseTable || c.table.rows.length > 12
      ? `<details><summary>${esc(c.table.title ?? 'data')}: every point as a number</summary>${htmlTable(c.table, 'none')}</details>\n`
      : htmlTable(c.table);
  }
  return out;
}

/** Render report.html. */
export function renderHtml(r: Results): string {
  const [verdict, ...meta] = headerLines(r);
  const parts: string[] = [];
  parts.push(`<h1>mcr-lab report: ${esc(r.scenario.name)}</h1>`);
  if (r.scenario.description) parts.push(`<p>${esc(r.scenario.description)}</p>`);
  parts.push(`<p><span class="verdict ${r.pass ? 'pass' : 'fail'}" id="verdict" data-pass="${r.pass}">${esc(verdict!)}</span></p>`);
  parts.push(`<ul class="meta">${meta.map((m) => `<li>${esc(m)}</li>`).join('')}</ul>`);
  const summary = summaryTable(r);
  if (summary.head.length > 1) parts.push(`<h2>Summary</h2>${htmlTable(summary)}`);
  const ratios = ratioTable(r);
  if (ratios) parts.push(htmlTable(ratios));
  const loss = lossChart(r);
  if (loss) parts.push(`<h2>Loss vs offered rate</h2>${figure(loss, true)}`);

  parts.push('<h2>Tests</h2>');
  // The first fixed-rate test with latency gets a percentile chart: same offered rate for every relay.
  const latFixed = fixedTests(r).find((t) => t.summary.latencyP50Ns)?.name;
  for (const name of testNames(r)) {
    const kind = r.tests.find((t) => t.name === name)!.kind;
    if (kind === 'throughput') {
      parts.push(htmlTable(throughputTable(r, name)), figure(throughputChart(r, name)));
    } else if (kind === 'latency') {
      // The latency table right above already holds every number this chart draws.
      const chart = latencyChart(r, name);
      parts.push(htmlTable(latencyTable(r, name)), figure(chart && { ...chart, table: undefined }));
    } else {
      parts.push(htmlTable(fixedTable(r, name)));
      if (name === latFixed) parts.push(figure(latencyChart(r, name)));
      // The chart's own table lists delivery per output and relay (report.md lists the same as loss).
      if (perOutputTable(r, name)) parts.push(figure(fanoutChart(r, name)));
    }
  }
  parts.push(...membershipTables(r).map((t) => htmlTable(t)));
  parts.push(`<h2>Thresholds</h2>${htmlTable(thresholdTable(r))}`);
  parts.push(`<h2>Method</h2><ul>${[...methodNotes(r), ...membershipMethodNotes(r)].map((m) => `<li>${esc(m)}</li>`).join('')}</ul>`);
  parts.push(`<h2>Environment</h2>${htmlTable(environmentTable(r))}`);

  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(`mcr-lab report: ${r.scenario.name} (${r.runId})`)}</title>
<style>${CSS}</style></head>
<body data-schema-version="${r.schemaVersion}" data-run-id="${esc(r.runId)}">
${parts.join('\n')}
</body></html>
`;
}

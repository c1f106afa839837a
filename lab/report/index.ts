/**
 * Report entry points used by `mcr-lab run` and `mcr-lab report`: write results.json, report.md and
 * report.html into a directory, and render the console summary table. Everything is rendered from
 * the Results object alone. Covered by report.test.ts and report.chromium.test.ts.
 *
 * Usage:  const files = await writeReports(results, 'lab-results/dual-bridge-1a2b'); console.log(renderConsoleTable(results));
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Results } from '../results/types.js';
import { parseResults } from '../results/validate.js';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';

export { renderConsoleTable } from './console.js';
export { renderHtml } from './html.js';
export { renderMarkdown } from './markdown.js';

/**
 * Validate the results, then write results.json, report.md and report.html into outDir (created if missing).
 * @returns the three file paths.
 * @throws ResultsError when results do not match the schema (nothing is written then).
 */
export async function writeReports(results: Results, outDir: string): Promise<{ json: string; md: string; html: string }> {
  // Validating first means a bug upstream shows as a clear field error, not as a broken report.
  const r = parseResults(JSON.parse(JSON.stringify(results)) as unknown, 'results');
  await mkdir(outDir, { recursive: true });
  const files = { json: path.join(outDir, 'results.json'), md: path.join(outDir, 'report.md'), html: path.join(outDir, 'report.html') };
  await writeFile(files.json, `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(files.md, renderMarkdown(r));
  await writeFile(files.html, renderHtml(r));
  return files;
}

/**
 * Where a run's results go: results.json is always written first, so a run keeps its numbers even if
 * rendering the reports (lab/report) fails.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderConsoleTable, writeReports } from '../report/index.js';
import type { Results } from '../results/types.js';

/** Writes results.json, report.md and report.html into outDir; returns the paths written. */
export async function writeAll(results: Results, outDir: string): Promise<string[]> {
  mkdirSync(outDir, { recursive: true });
  const json = join(outDir, 'results.json');
  writeFileSync(json, `${JSON.stringify(results, null, 2)}\n`);
  try {
    const paths = await writeReports(results, outDir);
    return [...new Set([json, paths.json, paths.md, paths.html])];
  } catch (err) {
    process.stderr.write(`mcr-lab: reports not rendered (${(err as Error).message.split('\n')[0]}); results.json is complete\n`);
    return [json];
  }
}

export function consoleTable(results: Results): string {
  try {
    return renderConsoleTable(results);
  } catch (err) {
    return `(summary table unavailable: ${(err as Error).message.split('\n')[0]})`;
  }
}

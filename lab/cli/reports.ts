/**
 * Bridge to the report module (lab/report/index.ts, written by the measurement side): results.json
 * is always written here first, so a run keeps its numbers even if rendering fails.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Results } from '../results/types.js';

interface ReportApi {
  writeReports(results: Results, outDir: string): Promise<{ json: string; md: string; html: string }>;
  renderConsoleTable(results: Results): string;
}

async function reportApi(): Promise<ReportApi> {
  const path = '../report/index.js';
  return (await import(path)) as ReportApi;
}

/** Writes results.json, report.md and report.html into outDir; returns the paths written. */
export async function writeAll(results: Results, outDir: string): Promise<string[]> {
  mkdirSync(outDir, { recursive: true });
  const json = join(outDir, 'results.json');
  writeFileSync(json, `${JSON.stringify(results, null, 2)}\n`);
  try {
    const paths = await (await reportApi()).writeReports(results, outDir);
    return [...new Set([json, paths.json, paths.md, paths.html])];
  } catch (err) {
    process.stderr.write(`mcr-lab: reports not rendered (${(err as Error).message.split('\n')[0]}); results.json is complete\n`);
    return [json];
  }
}

export async function consoleTable(results: Results): Promise<string> {
  try {
    return (await reportApi()).renderConsoleTable(results);
  } catch (err) {
    return `(summary table unavailable: ${(err as Error).message.split('\n')[0]})`;
  }
}

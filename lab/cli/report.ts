/** `mcr-lab report RESULTS.json [--out DIR]`: re-renders report.md and report.html from results.json alone. */
import { dirname, resolve } from 'node:path';
import { readResults } from '../results/validate.js';
import { parse } from './args.js';
import { EXIT, UsageError } from './common.js';
import { consoleTable, writeAll } from './reports.js';

export const usage = `usage: mcr-lab report RESULTS.json [--out DIR]

Renders report.md and report.html (and the summary table) from a results.json; --out defaults to
the directory of RESULTS.json.`;

export async function reportCmd(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { out: { type: 'string' } }, usage);
  if (values.help) { process.stdout.write(`${usage}\n`); return EXIT.ok; }
  if (positionals.length !== 1) throw new UsageError('report needs exactly one RESULTS.json', usage);
  const results = await readResults(positionals[0]!);
  const outDir = resolve(values.out ?? dirname(positionals[0]!));
  const written = await writeAll(results, outDir);
  process.stdout.write(`${consoleTable(results)}\nwrote ${written.join(', ')}\n`);
  return EXIT.ok;
}

/**
 * Writes scenarios/scenario.schema.json from the zod schema (the one the loader uses).
 * Run after changing schema.ts: `npx tsc -p tsconfig.build.json && node dist/lab/scenario/emit-schema.js`.
 * schema.test.ts fails while the committed file is stale.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { scenarioJsonSchema } from './schema.js';

export function renderSchemaFile(): string {
  return `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = process.argv[2] ?? 'scenarios/scenario.schema.json';
  writeFileSync(out, renderSchemaFile());
  process.stderr.write(`wrote ${out}\n`);
}

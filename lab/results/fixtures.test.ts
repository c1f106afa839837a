// The committed results fixtures are exactly what lab/results/fixtures/build.ts produces (typed against
// lab/results/types.ts), pass the lab's strict results validator, and load through the CI job's reader.
// Regenerate after changing build.ts: UPDATE_FIXTURES=1 npx vitest run lab/results/fixtures.test.ts
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { buildResults, FIXTURES } from './fixtures/build.js';
import { loadResults, parseResults } from './validate.js';

const dir = join(import.meta.dirname, 'fixtures');

describe('results fixtures', () => {
  test.each(Object.keys(FIXTURES))('%s matches its spec in build.ts and loads as a results file', async (name) => {
    const built = buildResults(FIXTURES[name]!);
    const text = JSON.stringify(built, null, 1) + '\n';
    if (process.env.UPDATE_FIXTURES === '1') await writeFile(join(dir, name), text);
    expect(await readFile(join(dir, name), 'utf8')).toBe(text);
    // The lab's own strict validator: the fixtures are files mcr-lab could have written.
    expect(() => parseResults(JSON.parse(text), name)).not.toThrow();
    const loaded = await loadResults(join(dir, name));
    expect(loaded.results.scenario.name).toBe(FIXTURES[name]!.scenario);
  });
});

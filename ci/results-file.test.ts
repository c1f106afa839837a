// Reading results.json for the CI job: what it refuses and how it says so, and that it tolerates
// fields a newer lab adds.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildResults, FIXTURES } from './fixtures/build.js';
import { checkResults, loadResults } from './results-file.js';

const good = (): Record<string, unknown> => JSON.parse(JSON.stringify(buildResults(FIXTURES['chain.json']!))) as Record<string, unknown>;
let tmp: string;
beforeAll(async () => { tmp = await mkdtemp(join(tmpdir(), 'mcr-results-test-')); });
afterAll(async () => { await rm(tmp, { recursive: true, force: true }); });

describe('checkResults', () => {
  test('another schema version is refused, saying what to do', () => {
    expect(() => checkResults({ ...good(), schemaVersion: 2 }, 'r.json')).toThrow('r.json: schemaVersion: expected 1, got 2 (results from another mcr-lab version; re-run the scenario with this one)');
  });

  test('a missing summary is refused with its path', () => {
    const r = good();
    const tests = r.tests as Array<Record<string, unknown>>;
    delete tests[0]!.summary;
    expect(() => checkResults(r, 'r.json')).toThrow(/^r\.json: tests\[0\]\.summary: /);
  });

  test('an unknown relay name is refused', () => {
    expect(() => checkResults({ ...good(), relays: ['vpp'] }, 'r.json')).toThrow(/^r\.json: relays\[0\]: /);
  });

  test('fields a newer lab adds are accepted', () => {
    const r = { ...good(), report: { html: 'report.html' } };
    expect(checkResults(r, 'r.json').scenario.name).toBe('chain');
  });
});

describe('loadResults', () => {
  test('a file that is not JSON is named in the error', async () => {
    const f = join(tmp, 'bad.json');
    await writeFile(f, '{ nope');
    await expect(loadResults(f)).rejects.toThrow(`${f}: not valid JSON`);
  });

  test('a missing file says so with its errno code', async () => {
    await expect(loadResults(join(tmp, 'none.json'))).rejects.toThrow(`${join(tmp, 'none.json')}: cannot read results file (ENOENT)`);
  });
});

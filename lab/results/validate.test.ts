import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildResults, FIXTURES } from './fixtures/build.js';
import { loadResults, parseResults, readResults, ResultsError } from './validate.js';

const FIXTURE = path.join(import.meta.dirname, '../report/fixtures/results.json');
let dir: string;
beforeAll(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'mcr-results-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

const fixture = async (): Promise<Record<string, unknown>> => JSON.parse(await readFile(FIXTURE, 'utf8')) as Record<string, unknown>;

describe('results validation', () => {
  test('the report fixture is a valid results file', async () => {
    const r = await readResults(FIXTURE);
    expect(r.schemaVersion).toBe(1);
    expect(r.tests.length).toBeGreaterThan(0);
  });

  test('another schema version is refused with a message saying what this version reads and what to do', async () => {
    const file = path.join(dir, 'v2.json');
    await writeFile(file, JSON.stringify({ ...(await fixture()), schemaVersion: 2 }));
    const err = await readResults(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResultsError);
    expect((err as Error).message).toMatch(/v2\.json: results schema version 2 is not supported; this mcr-lab reads version 1\. Render it with the mcr-lab release that wrote it/);
  });

  test('a file without a version is refused as such', () => {
    expect(() => parseResults({ tests: [] }, 'x.json')).toThrow(/x\.json: results schema version null is not supported/);
  });

  test('an added field (an additive change within version 1) is accepted', async () => {
    const data = { ...(await fixture()), notes: 'added later' };
    expect(parseResults(data, 'plus.json').runId).toBe('fx7k2q');
  });

  test('a wrong field is reported with its path', async () => {
    const bad = await fixture();
    const tests = bad.tests as Array<Record<string, unknown>>;
    tests[0]!.relay = 'vpp';
    (bad.environment as Record<string, unknown>).memoryBytes = -1;
    const msg = (() => { try { parseResults(bad, 'bad.json'); return ''; } catch (e) { return (e as Error).message; } })();
    expect(msg).toMatch(/^bad\.json: not a valid results file:\n/);
    expect(msg).toMatch(/^ {2}tests\.0\.relay: .*"mcrd"/m);
    expect(msg).toMatch(/^ {2}environment\.memoryBytes: /m);
  });

  test('relay-core CPU fields and the CPU placement are checked: kept when valid, reported with their path when not', async () => {
    const r = await readResults(FIXTURE);
    const fixed = r.tests.find((t) => t.kind === 'fixed-rate' && t.relay === 'kernel');
    expect(fixed?.kind === 'fixed-rate' && fixed.summary.relayCoreNsPerPacket?.median).toBeGreaterThan(0);
    expect(fixed?.kind === 'fixed-rate' && fixed.repetitions[0]!.relayCoreBusyNs).toBeGreaterThan(0);
    expect(r.environment.placement).toEqual({ pinned: true, source: 'default', traffic: [0], relay: [1], trafficMask: '1', relayMask: '2' });
    const bad = await fixture();
    (bad.environment as Record<string, unknown>).placement = { pinned: true, source: 'guess', traffic: [0], relay: [-1] };
    const msg = (() => { try { parseResults(bad, 'bad.json'); return ''; } catch (e) { return (e as Error).message; } })();
    expect(msg).toMatch(/^ {2}environment\.placement\.source: /m);
    expect(msg).toMatch(/^ {2}environment\.placement\.relay\.0: /m);
  });

  test('an unreadable file and non-JSON text give clear errors', async () => {
    await expect(readResults(path.join(dir, 'missing.json'))).rejects.toThrow(/missing\.json: cannot read/);
    const file = path.join(dir, 'text.json');
    await writeFile(file, 'not json');
    await expect(readResults(file)).rejects.toThrow(/text\.json: not JSON/);
    expect(() => parseResults([], 'arr')).toThrow(/expected a JSON object .* got array/);
  });
});

describe('results validation of what the bench and the CI job read', () => {
  const good = (): Record<string, unknown> => JSON.parse(JSON.stringify(buildResults(FIXTURES['chain.json']!))) as Record<string, unknown>;

  test('a missing summary is refused with its path', () => {
    const r = good();
    delete (r.tests as Array<Record<string, unknown>>)[0]!.summary;
    expect(() => parseResults(r, 'r.json')).toThrow(/r\.json: not a valid results file:\n {2}tests\.0\.summary: /);
  });

  test('an unknown relay name is refused', () => {
    expect(() => parseResults({ ...good(), relays: ['vpp'] }, 'r.json')).toThrow(/ {2}relays\.0: /);
  });

  test('fields a newer lab adds are accepted', () => {
    expect(parseResults({ ...good(), report: { html: 'report.html' } }, 'r.json').scenario.name).toBe('chain');
  });

  test('loadResults keeps the path and names a missing file', async () => {
    const file = path.join(dir, 'chain.json');
    await writeFile(file, JSON.stringify(good()));
    expect((await loadResults(file)).path).toBe(file);
    await expect(loadResults(path.join(dir, 'none.json'))).rejects.toThrow(/none\.json: cannot read/);
  });
});

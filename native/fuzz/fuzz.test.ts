// Runs the libFuzzer target of the frame parser (native/fuzz/parse_fuzz.cc, ASan + UBSan) over the
// committed seed corpus and a bounded number of mutations: any crash, leak or undefined behaviour the
// sanitizers see makes the fuzzer exit non-zero. Longer campaigns: native/fuzz/build.sh, then
// `native/fuzz/parse_fuzz -max_total_time=600 native/fuzz/corpus-out native/fuzz/corpus`.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';

const here = fileURLToPath(new URL('.', import.meta.url));
const hasClang = spawnSync('clang++', ['--version']).status === 0;
if (!hasClang) console.warn('skipping the parser fuzz run: clang++ is not installed (apt-get install clang)');

describe.skipIf(!hasClang)('parser fuzz target', () => {
  const work = mkdtempSync(join(tmpdir(), 'mcr-fuzz-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test('survives the seed corpus and 200k mutations with ASan and UBSan on', () => {
    const binary = join(work, 'parse_fuzz');
    execFileSync('bash', [join(here, 'build.sh')], { env: { ...process.env, FUZZ_OUT: binary }, stdio: 'pipe' });
    const seeds = join(here, 'corpus');
    expect(readdirSync(seeds).length).toBeGreaterThan(0);
    const scratch = mkdtempSync(join(work, 'corpus-'));
    const run = spawnSync(binary, ['-runs=200000', '-seed=1', '-max_len=9100', scratch, seeds], { encoding: 'utf8' });
    expect(run.stderr).toMatch(/Done \d+ runs/);
    expect(run.status, run.stderr.split('\n').slice(-30).join('\n')).toBe(0);
  }, 240_000);
});

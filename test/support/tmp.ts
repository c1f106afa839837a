/**
 * Temporary directories for tests, removed when the test that made them finishes (pass or fail).
 *   const dir = await tempDir('state');   // /tmp/mcrR-state-XXXXXX
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';

export async function tempDir(tag: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `mcrR-${tag}-`));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

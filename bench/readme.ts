/**
 * Regenerates README.md's performance section: everything between `<!-- perf:start -->` and
 * `<!-- perf:end -->` is replaced by the bench table, the markers stay. Only `npm run bench --
 * --update-readme` calls this; the README itself is the lead's. Covered by bench/table.test.ts.
 */
import { readFile, writeFile } from 'node:fs/promises';

export const PERF_START = '<!-- perf:start -->';
export const PERF_END = '<!-- perf:end -->';

/**
 * Replaces the text between the markers.
 * @throws Error saying which marker is missing or that they are out of order
 */
export function replacePerfSection(text: string, content: string, source = 'README.md'): string {
  const start = text.indexOf(PERF_START);
  const end = text.indexOf(PERF_END);
  if (start < 0 || end < 0) {
    throw new Error(`${source}: no ${start < 0 ? PERF_START : PERF_END} marker; add the pair ` +
      `${PERF_START} … ${PERF_END} where the performance section belongs`);
  }
  if (end < start) throw new Error(`${source}: ${PERF_END} comes before ${PERF_START}`);
  if (text.indexOf(PERF_START, start + 1) >= 0) throw new Error(`${source}: ${PERF_START} appears more than once`);
  return `${text.slice(0, start + PERF_START.length)}\n${content.trim()}\n${text.slice(end)}`;
}

/** Rewrites the README's performance section in place. */
export async function updateReadme(path: string, content: string): Promise<void> {
  const text = await readFile(path, 'utf8');
  await writeFile(path, replacePerfSection(text, content, path));
}

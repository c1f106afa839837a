/**
 * The e2e files that need kernel multicast routing: those whose text carries the marker of
 * test/support/mroute.ts. Found by walking the tree, so a new file only has to carry the marker.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** In a file's opening comment: "run me in the VM when the host cannot route multicast". */
export const vmMarker = '@needs-kernel-mroute';

const skipDirs = new Set(['node_modules', 'dist', 'build', '.git']);

function e2eFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    if (d.isDirectory()) return skipDirs.has(d.name) ? [] : e2eFiles(join(dir, d.name));
    return d.name.endsWith('.e2e.test.ts') ? [join(dir, d.name)] : [];
  });
}

/** Paths relative to `root`, sorted. */
export function mrouteTestFiles(root: string): string[] {
  return e2eFiles(root).filter((f) => readFileSync(f, 'utf8').includes(vmMarker)).map((f) => relative(root, f)).sort();
}

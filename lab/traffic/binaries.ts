/**
 * Where the native traffic tools live: `build/Release/mcr-gen` and `build/Release/mcr-sink` under the
 * package root, found by walking up from this file (works from `lab/traffic/*.ts` under vitest and
 * from `dist/lab/traffic/*.js` when installed). `MCR_NATIVE_DIR` overrides the directory.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type NativeTool = 'mcr-gen' | 'mcr-sink' | 'mcr-member';

let cachedRoot: string | undefined;

/** The directory holding mcr's package.json. Throws when run outside the package. */
export function packageRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      const name: unknown = (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name;
      if (name === 'mcr') return (cachedRoot = dir);
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the mcr package root above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

/**
 * Absolute path of a native traffic tool.
 * @param name `mcr-gen` or `mcr-sink`
 * @returns the path; existence is not checked (see {@link assertBuilt})
 */
export function nativeBinary(name: NativeTool): string {
  const dir = process.env.MCR_NATIVE_DIR ?? join(packageRoot(), 'build', 'Release');
  return join(dir, name);
}

/** Throws an Error that says how to build the tool when it is missing. */
export function assertBuilt(name: NativeTool): string {
  const path = nativeBinary(name);
  if (!existsSync(path)) {
    throw new Error(`${name}: native binary not built (no ${path}); run \`npm install\` or \`npm run install\``);
  }
  return path;
}

/**
 * Finds the native surfaces the micro-benchmarks time: through relay/engine/engine.js (the wrapper the
 * daemon uses) when it is built, else straight from the addon build/Release/mcr_native.node, so the
 * parser can be benched before the TypeScript wrapper lands.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { repoRoot } from '../lab-run.js';
import { importFromRoot } from './suite.js';

/** An export of the engine wrapper or, failing that, of the addon; or why neither has it. */
export async function nativeExport(name: string): Promise<{ value: unknown; from: string } | string> {
  const engine = await importFromRoot('relay/engine/engine.js');
  if (typeof engine !== 'string' && engine[name] !== undefined) return { value: engine[name], from: 'relay/engine/engine.js' };
  const addonPath = join(repoRoot(), 'build/Release/mcr_native.node');
  const why = typeof engine === 'string' ? engine : `relay/engine/engine.js has no ${name} export`;
  if (!existsSync(addonPath)) return `${why}; ${addonPath} not built (npm run install)`;
  try {
    const addon = createRequire(import.meta.url)(addonPath) as Record<string, unknown>;
    if (addon[name] !== undefined) return { value: addon[name], from: 'build/Release/mcr_native.node' };
    return `${why}; the addon has no ${name} either`;
  } catch (err) {
    return `${why}; loading ${addonPath} failed: ${(err as Error).message.split('\n')[0]}`;
  }
}

/**
 * Whether the native addon the micro-benchmarks time (through relay/engine/engine.ts, the wrapper the
 * daemon uses) loads here; a suite reports the reason and is skipped when it does not.
 */
import { loadNative } from '../../relay/engine/native.js';

/** Why the addon cannot be used (not built, fails to load), or undefined when it loads. */
export function addonUnavailable(): string | undefined {
  try {
    loadNative();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * How the CI job writes a baseline's limit (bench/format.ts formats the values). Covered by ci/report.test.ts.
 */
import { formatValue } from '../bench/format.js';
import type { BaselineEntry } from './baseline.js';

/** The regression limit alone, e.g. `≥ 0.637×`. */
export function formatLimit(e: BaselineEntry, unit: string): string {
  return e.direction === 'higher-is-better' ? `≥ ${formatValue(e.value * (1 - e.tolerance), unit)}` : `≤ ${formatValue(e.value * (1 + e.tolerance), unit)}`;
}

/** What the baseline expects, e.g. `≥ 0.637× (0.85× −25 %)` or `≤ 40.0 µs (20.0 µs +100 %)`. */
export function formatExpected(e: BaselineEntry | undefined, unit: string): string {
  if (!e) return 'no baseline';
  const pct = `${Math.round(e.tolerance * 100)} %`;
  if (e.direction === 'higher-is-better') return `≥ ${formatValue(e.value * (1 - e.tolerance), unit)} (${formatValue(e.value, unit)} −${pct})`;
  return `≤ ${formatValue(e.value * (1 + e.tolerance), unit)} (${formatValue(e.value, unit)} +${pct})`;
}


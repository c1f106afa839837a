/**
 * Number formatting shared by the bench table, the CI job's Markdown summary and its JUnit messages,
 * so the same value reads the same everywhere. Covered by ci/report.test.ts.
 */
import { UNSTABLE_MARK } from '../lab/results/figures.js';

/**
 * A metric value with its unit: ratios as `0.912×`, latencies as `12.3 µs` (`11.50 ms` from 1 ms on),
 * loss as `0.050 %`, counts as `1,234`; `–` for none.
 */
export function formatValue(v: number | null | undefined, unit: string): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (unit === 'µs') return Math.abs(v) >= 1000 ? `${(v / 1000).toFixed(2)} ms` : `${v.toFixed(1)} µs`;
  if (unit === 'count') return Math.round(v).toLocaleString('en-US');
  if (unit === 'loss') return `${(v * 100).toFixed(v < 0.001 ? 3 : 2)} %`;
  if (unit === 'ratio') return `${v.toFixed(v >= 10 ? 1 : v >= 1 ? 2 : 3)}×`;
  return unit ? `${v.toPrecision(3)} ${unit}` : v.toPrecision(3);
}

/**
 * A value that may only bound the truth: `≥ 4.50×` (lower), `≤ 0.900×` (upper), `≈ 1.00×` (bounds
 * disagree), `0.550–0.610×` (only the range is known), plus ` (unstable)` when its repetitions spread
 * too far (lab/results/figures.ts).
 */
export function formatBounded(v: number | null | undefined, unit: string, bound?: 'lower' | 'upper' | 'unknown',
  extra: { range?: [number, number]; unstable?: boolean } = {}): string {
  const text = formatValue(v, unit);
  if (text === '–') return text;
  const mark = extra.unstable ? UNSTABLE_MARK : '';
  if (extra.range) return `${formatValue(extra.range[0], unit).replace(/[^\d.,]+$/, '')}–${formatValue(extra.range[1], unit)}${mark}`;
  if (!bound) return `${text}${mark}`;
  return `${bound === 'lower' ? '≥' : bound === 'upper' ? '≤' : '≈'} ${text}${mark}`;
}

/** A packet rate as `287k pps` or `1.23M pps`. */
export function formatPps(pps: number): string {
  if (pps >= 1e6) return `${(pps / 1e6).toFixed(2)}M pps`;
  if (pps >= 1e4) return `${Math.round(pps / 1000)}k pps`;
  return `${(pps / 1000).toFixed(1)}k pps`;
}

/** A kernel as the lab recorded it (`uname -r` or a full `uname -a` line), prefixed `Linux` once. */
export function formatKernel(kernel: string): string {
  return /^linux\b/i.test(kernel) ? kernel : `Linux ${kernel}`;
}

/** Escapes what would break a table cell. */
export function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

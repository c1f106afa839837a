/** Human formatting for mcrctl: aligned tables like `ip -br`, SI rates, durations. Tested in format.test.ts. */

/** Left-aligned columns separated by two spaces; the header row first. */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => { widths[i] = Math.max(widths[i] ?? 0, c.length); });
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

function si(n: number, unit: string): string {
  const steps: [number, string][] = [[1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [f, p] of steps) if (Math.abs(n) >= f) return `${(n / f).toFixed(n / f >= 100 ? 0 : 1)} ${p}${unit}`;
  return `${Math.round(n)} ${unit}`;
}

export const pps = (n: number | null) => (n === null ? '-' : si(n, 'pps'));
export const bitRate = (n: number | null) => (n === null ? '-' : si(n, 'bit/s'));
export const count = (n: number) => String(n);

/** "3.2 s ago", "never". */
export function ago(ms: number | null): string {
  return ms === null ? 'never' : `${duration(ms)} ago`;
}

export const endpoint = (e: { group: string; port: number; interface: string }) => `${e.group}:${e.port} ${e.interface}`;

/** Time left or elapsed: "850 ms", "12.3 s", "4 min", "-" for none. */
export function duration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '-';
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 3_600_000)} h`;
}

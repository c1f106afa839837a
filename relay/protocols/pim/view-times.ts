/**
 * PIM's views carry clock times (`joinTimerAtMs`, `upSinceMs`: the host's monotonic milliseconds),
 * which mean nothing outside the daemon. The control API shows them relative to now instead:
 * `xAtMs` → `xInMs` (time left; null stays null) and `upSinceMs` → `uptimeMs`.
 */
export function relativeTimes(v: unknown, nowMs: number): unknown {
  if (Array.isArray(v)) return v.map((x) => relativeTimes(x, nowMs));
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (k.endsWith('AtMs')) out[`${k.slice(0, -4)}InMs`] = typeof x === 'number' ? Math.max(0, x - nowMs) : null;
    else if (k === 'upSinceMs') out.uptimeMs = typeof x === 'number' ? Math.max(0, nowMs - x) : null;
    else out[k] = relativeTimes(x, nowMs);
  }
  return out;
}

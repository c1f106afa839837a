/**
 * How many times slower than native this machine runs the tests: 1, except inside the test VM
 * (test/vm/), whose emulated CPU (TCG) is several times slower; there MCRVM_TIME_SCALE (default 6)
 * stretches polling deadlines (waitFor), vitest's hook and test timeouts, and the slack a test allows
 * around a protocol timer. Never the protocol timers themselves: those run at their real rate anyway.
 */
const inVm = process.env['MCRVM_GUEST'] === '1';

function parse(v: string | undefined): number {
  if (v === undefined) return inVm ? 6 : 1;
  const n = Number(v);
  if (!(n >= 1)) throw new Error(`MCRVM_TIME_SCALE=${v}: expected a number ≥ 1`);
  return n;
}

export const timeScale = parse(process.env['MCRVM_TIME_SCALE']);

/** `ms` stretched by the time scale. */
export function scaled(ms: number): number {
  return Math.round(ms * timeScale);
}

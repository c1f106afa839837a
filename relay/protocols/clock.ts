/**
 * The real Clock of the protocol modules: monotonic milliseconds (performance.now, immune to wall-clock
 * steps) and setTimeout-based one-shot timers, unref'd so a pending protocol timer never keeps a
 * stopping daemon alive. Tests inject a fake clock instead (timers as data).
 */
import type { Clock, TimerHandle } from './types.js';

export function realClock(): Clock {
  return {
    now: () => performance.now(),
    setTimer(ms: number, fn: () => void): TimerHandle {
      const t = setTimeout(fn, Math.max(0, ms));
      t.unref();
      return { cancel: () => clearTimeout(t) };
    },
  };
}

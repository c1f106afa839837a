/**
 * Counts control-socket requests by command and result for mcr_control_requests_total. The control
 * server calls record() once per reply it sends. Label values are kept to a closed set: a command
 * name not in the protocol becomes `unknown` and a line that is no request at all `invalid`, so a
 * client sending garbage cannot grow the number of series. Tested in collect.test.ts.
 */
import { COMMANDS } from '../control/protocol.js';
import type { ControlRequestCount } from './input.js';

export const UNKNOWN_COMMAND = 'unknown';
export const INVALID_REQUEST = 'invalid';

const KNOWN = new Set<string>(COMMANDS);
// McrError codes are a closed union, but a result string comes from whatever was thrown; keep the shape bounded.
const RESULT = /^(ok|E[A-Z]{2,15})$/;

export class ControlRequestCounter {
  private readonly counts = new Map<string, number>();

  constructor() {
    // Every command's ok series exists from the start, so the first request shows up in rate().
    for (const c of COMMANDS) this.counts.set(key(c, 'ok'), 0);
  }

  /**
   * Count one reply. `command`: the request's cmd, or undefined when the line was not a request
   * (not JSON, oversized, no cmd). `result`: 'ok' or the McrError code of the error reply.
   */
  record(command: string | undefined, result: string): void {
    const cmd = command === undefined ? INVALID_REQUEST : KNOWN.has(command) ? command : UNKNOWN_COMMAND;
    const k = key(cmd, RESULT.test(result) ? result : 'EIO');
    this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
  }

  snapshot(): ControlRequestCount[] {
    return [...this.counts].map(([k, count]) => {
      const [command, result] = k.split('\0') as [string, string];
      return { command, result, count };
    });
  }
}

const key = (command: string, result: string) => `${command}\0${result}`;

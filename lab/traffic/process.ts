/**
 * Runs mcr-gen / mcr-sink through execa with the lab's defaults: argv arrays, killed with the parent
 * (`cleanup`), SIGTERM on abort or stop escalating to SIGKILL after a grace period (2 s unless the
 * caller gives more), and failures turned into a TrafficToolError whose message ends with the tool's
 * last stderr lines.
 */
import { execa } from 'execa';

import { assertBuilt, type NativeTool } from './binaries.js';
import { inNetns } from './options.js';

export class TrafficToolError extends Error {
  override name = 'TrafficToolError';
  constructor(
    message: string,
    readonly tool: NativeTool,
    readonly command: string,
    readonly exitCode: number | undefined,
    readonly stderrTail: string,
    readonly isCanceled: boolean,
    /** SIGKILLed after the grace period because it did not end on SIGTERM: the tool was slow, no verdict on the relay. */
    readonly isForcefullyTerminated = false,
  ) {
    super(message);
  }
}

/** The last @n non-empty lines of @text. */
export function lastLines(text: string, n = 8): string {
  return text.split('\n').filter((l) => l.trim() !== '').slice(-n).join('\n');
}

interface ExecaFailure {
  shortMessage?: string;
  exitCode?: number;
  stderr?: unknown;
  isCanceled?: boolean;
  escapedCommand?: string;
  isForcefullyTerminated?: boolean;
}

/** Wrap whatever execa threw into a TrafficToolError: reason, then the stderr tail. */
export function toolError(tool: NativeTool, err: unknown): TrafficToolError {
  const e = (err ?? {}) as ExecaFailure;
  const stderr = typeof e.stderr === 'string' ? lastLines(e.stderr) : '';
  const reason = e.shortMessage ?? (err instanceof Error ? err.message : String(err));
  const message = stderr ? `${tool} failed: ${reason}\n${stderr}` : `${tool} failed: ${reason}`;
  return new TrafficToolError(message, tool, e.escapedCommand ?? tool, e.exitCode, stderr, e.isCanceled === true, e.isForcefullyTerminated === true);
}

export interface SpawnOptions {
  netns: string | undefined;
  signal: AbortSignal | undefined;
  timeoutMs?: number;
  /** Pin the tool (and the `ip netns exec` in front of it) to these CPUs with taskset. */
  cpus?: number[] | undefined;
  /** How long SIGTERM may take before SIGKILL (default 2000 ms). */
  stopGraceMs?: number;
}

/** Start @tool with @args (in a namespace if asked). The caller awaits the result. */
export function spawnTool(tool: NativeTool, args: string[], o: SpawnOptions) {
  const [inner, innerArgv] = inNetns(o.netns, [assertBuilt(tool), ...args]);
  // taskset execs the command in place, as `ip netns exec` does: the pid stays the tool's own.
  const [file, argv] = o.cpus && o.cpus.length > 0
    ? ['taskset', ['-c', o.cpus.join(','), inner, ...innerArgv]]
    : [inner, innerArgv];
  return execa(file, argv, {
    cleanup: true,
    killSignal: 'SIGTERM',
    forceKillAfterDelay: o.stopGraceMs ?? 2000,
    ...(o.signal ? { cancelSignal: o.signal } : {}),
    ...(o.timeoutMs ? { timeout: o.timeoutMs } : {}),
    stdin: 'ignore',
    maxBuffer: 64 * 1024 * 1024,
  });
}

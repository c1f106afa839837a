/**
 * Runs mcr-gen / mcr-sink through execa with the lab's defaults: argv arrays, killed with the parent
 * (`cleanup`), SIGTERM on abort escalating to SIGKILL after 2 s, and failures turned into a
 * TrafficToolError whose message ends with the tool's last stderr lines.
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
}

/** Wrap whatever execa threw into a TrafficToolError: reason, then the stderr tail. */
export function toolError(tool: NativeTool, err: unknown): TrafficToolError {
  const e = (err ?? {}) as ExecaFailure;
  const stderr = typeof e.stderr === 'string' ? lastLines(e.stderr) : '';
  const reason = e.shortMessage ?? (err instanceof Error ? err.message : String(err));
  const message = stderr ? `${tool} failed: ${reason}\n${stderr}` : `${tool} failed: ${reason}`;
  return new TrafficToolError(message, tool, e.escapedCommand ?? tool, e.exitCode, stderr, e.isCanceled === true);
}

export interface SpawnOptions {
  netns: string | undefined;
  signal: AbortSignal | undefined;
  timeoutMs?: number;
}

/** Start @tool with @args (in a namespace if asked). The caller awaits the result. */
export function spawnTool(tool: NativeTool, args: string[], o: SpawnOptions) {
  const [file, argv] = inNetns(o.netns, [assertBuilt(tool), ...args]);
  return execa(file, argv, {
    cleanup: true,
    killSignal: 'SIGTERM',
    forceKillAfterDelay: 2000,
    ...(o.signal ? { cancelSignal: o.signal } : {}),
    ...(o.timeoutMs ? { timeout: o.timeoutMs } : {}),
    stdin: 'ignore',
    maxBuffer: 64 * 1024 * 1024,
  });
}

/**
 * The one process runner of the lab: every command (ip, tc, sysctl, socat, mcrd, smcroute, …) goes
 * through here on execa — argv arrays (no shell), the run's AbortSignal, a timeout, SIGTERM then
 * SIGKILL after a delay, children killed when the lab dies, and one run-log line per command.
 * Inside a host, commands run under `ip netns exec NS`, which execs in place, so pids are the
 * program's own.
 */
import { execa, type ResultPromise } from 'execa';
import type { RunContext } from '../topology/context.js';
import { tasksetPrefix } from '../run/placement.js';

export interface CommandOptions {
  /** Namespace to run in; absent = the lab's own. */
  netns?: string;
  timeoutMs?: number;
  /** false: return the result even on a non-zero exit instead of throwing. */
  reject?: boolean;
  /** Ignore the run's abort signal (teardown must run after Ctrl-C). */
  uncancellable?: boolean;
}

export interface CommandResult { exitCode: number; stdout: string; stderr: string }

/** A failed command: one line saying what ran and why it failed, then the last stderr lines. */
export class CommandError extends Error {
  constructor(readonly argv: string[], readonly exitCode: number | undefined, readonly stderr: string, reason: string) {
    super(`${reason}: ${argv.join(' ')}${stderr ? `\n  ${tail(stderr, 5).join('\n  ')}` : ''}`);
    this.name = 'CommandError';
  }
}

/** "socat sink1 exited (exit 1): <last stderr line>" for the first process that is gone, if any. */
export function deadProcess(procs: ProcessHandle[]): string | undefined {
  const dead = procs.find((p) => !p.running());
  if (!dead) return undefined;
  const last = dead.stderrTail().split('\n').pop();
  return `${dead.label} exited${dead.exitInfo() ? ` (${dead.exitInfo()})` : ''}${last ? `: ${last}` : ''}`;
}

export function inNetns(netns: string | undefined, argv: string[]): string[] {
  return netns ? ['ip', 'netns', 'exec', netns, ...argv] : argv;
}

/** Runs a short command to completion and returns its output. */
export async function runCommand(ctx: Pick<RunContext, 'log' | 'signal'>, argv: string[], opts: CommandOptions = {}): Promise<CommandResult> {
  const full = inNetns(opts.netns, argv);
  const [file, ...args] = full as [string, ...string[]];
  const res = await execa(file, args, {
    reject: false,
    timeout: opts.timeoutMs ?? 30_000,
    forceKillAfterDelay: 2000,
    cleanup: true,
    stdin: 'ignore',
    ...(opts.uncancellable ? {} : { cancelSignal: ctx.signal }),
  });
  const exitCode = res.exitCode ?? -1;
  ctx.log.write(`$ ${full.join(' ')} → ${res.failed ? (res.timedOut ? 'timed out' : res.isCanceled ? 'canceled' : `exit ${exitCode}`) : 'ok'}` +
    (res.failed && res.stderr ? ` | ${tail(String(res.stderr), 3).join(' | ')}` : ''));
  if (res.failed && opts.reject !== false) {
    const reason = res.timedOut ? 'timed out' : res.isCanceled ? 'canceled' : res.code === 'ENOENT' ? 'not found' : `exit ${exitCode}`;
    throw new CommandError(full, res.exitCode, String(res.stderr ?? ''), reason);
  }
  return { exitCode, stdout: String(res.stdout ?? ''), stderr: String(res.stderr ?? '') };
}

export interface ProcessHandle {
  pid: number;
  label: string;
  /** Settles when the process exits (never rejects). */
  exited: Promise<{ exitCode?: number; signal?: string; stderr: string }>;
  /** SIGTERM, SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** False once the process has exited. */
  running(): boolean;
  /** "exit 1" or "SIGSEGV" once exited, else "". */
  exitInfo(): string;
  /** Last stderr lines so far (for error messages). */
  stderrTail(): string;
}

export interface SpawnOptions {
  netns?: string;
  label: string;
  /** The process's whole environment (nothing inherited); absent = the lab's own. */
  env?: Record<string, string>;
  /** Pin the process (and everything it forks) to these CPUs with taskset; absent or empty = no pinning. */
  cpus?: readonly number[];
}

/**
 * Starts a long-running process and records it in the run's state (so `down` can kill it after a
 * crash). Rejects if it cannot be spawned; a later exit is reported through `exited`.
 */
export async function spawnProcess(ctx: RunContext, argv: string[], opts: SpawnOptions): Promise<ProcessHandle> {
  // taskset and `ip netns exec` both exec in place, so the pid recorded is the program's own.
  const full = [...tasksetPrefix(opts.cpus), ...inNetns(opts.netns, argv)];
  const [file, ...args] = full as [string, ...string[]];
  let stderrBuf = '';
  const sub: ResultPromise = execa(file, args, {
    reject: false,
    cleanup: true,
    forceKillAfterDelay: 2000,
    cancelSignal: ctx.signal,
    stdin: 'ignore',
    stdout: 'ignore',
    buffer: false,
    ...(opts.env ? { env: opts.env, extendEnv: false } : {}),
  });
  sub.stderr?.on('data', (chunk: Buffer) => { stderrBuf = (stderrBuf + chunk.toString()).slice(-4000); });
  const spawned = await new Promise<number>((resolve, reject) => {
    sub.once('spawn', () => resolve(sub.pid!));
    sub.once('error', reject);
  }).catch(async (err: Error) => {
    ctx.log.write(`$ ${full.join(' ')} → spawn failed: ${err.message}`);
    throw new CommandError(full, undefined, '', `cannot start (${err.message})`);
  });
  ctx.track({ kind: 'process', pid: spawned, ...(opts.netns ? { netns: opts.netns } : {}), argv0: argv[0]!, label: opts.label });
  ctx.log.write(`$ ${full.join(' ')} & → pid ${spawned} (${opts.label})`);
  const exited = sub.then((r) => {
    const info = { ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}), ...(r.signal ? { signal: r.signal } : {}), stderr: stderrBuf };
    ctx.log.write(`pid ${spawned} (${opts.label}) exited ${r.signal ?? r.exitCode}${stderrBuf ? ` | ${tail(stderrBuf, 3).join(' | ')}` : ''}`);
    ctx.untrack((x) => x.kind === 'process' && x.pid === spawned);
    return info;
  }, (err: Error) => ({ stderr: `${stderrBuf}${err.message}` }));
  return {
    pid: spawned,
    label: opts.label,
    exited,
    stderrTail: () => tail(stderrBuf, 5).join('\n'),
    running: () => sub.exitCode === null && sub.signalCode === null,
    exitInfo: () => (sub.signalCode ? sub.signalCode : sub.exitCode !== null ? `exit ${sub.exitCode}` : ''),
    async stop(graceMs = 2000) {
      if (sub.exitCode !== null || sub.signalCode !== null) { await exited; return; }
      sub.kill('SIGTERM');
      const timer = setTimeout(() => sub.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

function tail(text: string, n: number): string[] {
  return text.trim().split('\n').filter(Boolean).slice(-n);
}

/**
 * Polls `fn` until it returns a truthy value; fails with "gave up after N s: <what>". A throw from
 * `fn` means the wait is hopeless (the process died) and ends it at once.
 */
export async function waitFor<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, what: string, opts: { timeoutMs?: number; intervalMs?: number; signal?: AbortSignal } = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 5000);
  for (;;) {
    opts.signal?.throwIfAborted();
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`gave up after ${((opts.timeoutMs ?? 5000) / 1000).toFixed(1)} s: ${what}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 50));
  }
}

/**
 * startSink: an mcr-sink running in the background, resolved once every socket is bound and joined
 * (it writes a ready file, which is polled with a deadline), so traffic sent afterwards is counted.
 * Exercised by traffic.test.ts (loopback) and traffic.e2e.test.ts (namespaces).
 */
import { rmSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { sinkArgs, type SinkOptions } from './options.js';
import { lastLines, spawnTool, toolError, TrafficToolError } from './process.js';
import { parseReport, SinkReportSchema, type SinkReport } from './reports.js';

export interface SinkHandle {
  pid: number;
  /** SIGTERM the sink (it stops receiving and reports); resolves with that report. */
  stop(): Promise<SinkReport>;
  /** Settles when the sink ends by itself (duration, idle timeout, expect count) or is stopped. */
  done: Promise<SinkReport>;
}

const POLL_MS = 20;

/**
 * How long a stopped sink may take to report before it is SIGKILLed: it leaves every group and
 * computes percentiles over every listen's samples, which with 50 listens on a busy 2-core machine
 * took over 2 s. Generous, growing with the listens, capped so a hung sink still ends.
 */
export function sinkStopGraceMs(listens: number): number {
  return Math.min(60_000, 10_000 + 200 * Math.max(0, listens));
}

/**
 * Ready-file directories of sinks still running. Each is removed once its sink has ended; an
 * exit hook removes the rest when the process ends first (Ctrl-C, a test worker ending).
 */
const liveDirs = new Set<string>();
let exitHook = false;
function track(dir: string): void {
  liveDirs.add(dir);
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const d of liveDirs) rmSync(d, { recursive: true, force: true });
  });
}
async function untrack(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  liveDirs.delete(dir);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Start mcr-sink with @o and wait until it is ready.
 * @returns a handle; its `done` never rejects unobserved (a failure surfaces where it is awaited)
 * @throws TypeError for invalid options; TrafficToolError when the sink exits or is not ready in time
 *   (o.readyTimeoutMs, default 10 s), with its last stderr lines
 */
export async function startSink(o: SinkOptions): Promise<SinkHandle> {
  const args = sinkArgs(o);
  const dir = await mkdtemp(join(tmpdir(), 'mcr-sink-'));
  track(dir);
  const readyFile = join(dir, 'ready');
  const child = spawnTool('mcr-sink', [...args, '--ready-file', readyFile], {
    netns: o.netns, signal: o.signal, cpus: o.cpus, stopGraceMs: o.stopGraceMs ?? sinkStopGraceMs(o.listen.length),
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = lastLines(stderr + chunk.toString(), 20);
  });
  let exited = false;
  // `done` settles only after the directory is gone, so a caller that awaited it leaves nothing behind.
  const done: Promise<SinkReport> = child.then(
    async (result) => {
      exited = true;
      await untrack(dir);
      return parseReport('mcr-sink', SinkReportSchema, String(result.stdout));
    },
    async (err: unknown) => {
      exited = true;
      await untrack(dir);
      throw toolError('mcr-sink', err);
    },
  );
  done.catch(() => undefined);

  const timeoutMs = o.readyTimeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  while (!(await exists(readyFile))) {
    if (exited) {
      await done; // rethrows the sink's own failure (bad interface, bind error, ...)
      throw new TrafficToolError('mcr-sink exited before it was ready', 'mcr-sink', 'mcr-sink', undefined, stderr, false);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await done.catch(() => undefined);
      throw new TrafficToolError(
        `mcr-sink: gave up after ${timeoutMs} ms waiting for it to be ready${stderr ? `\n${stderr}` : ''}`,
        'mcr-sink',
        'mcr-sink',
        undefined,
        stderr,
        false,
      );
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  const pid = child.pid;
  if (pid === undefined) throw new TrafficToolError('mcr-sink: no pid after start', 'mcr-sink', 'mcr-sink', undefined, stderr, false);
  return {
    pid,
    done,
    stop: async () => {
      if (!exited) child.kill('SIGTERM');
      return done;
    },
  };
}

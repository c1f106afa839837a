/**
 * mcr-member from TypeScript: a receiver that joins and leaves on a schedule and reports each
 * cycle's join and leave delay (runMember), and a watcher that reports when a stream flowed on a
 * link (startWatch, stopped with SIGTERM). Also a generator that streams until stopped
 * (startStream): RFC 3918's delays are measured with the stream already flowing. All reports are
 * checked by the zod schemas below. Tool: native/traffic/member.cc; exercised by the lab e2e tests.
 */
import { z } from 'zod';
import { genArgs, type GenOptions } from './options.js';
import { lastLines, spawnTool, toolError } from './process.js';
import { GenReportSchema, parseReport, type GenReport } from './reports.js';

const count = z.number().int().nonnegative();
const us = count.nullable();

export const MemberReportSchema = z.object({
  mode: z.literal('member'),
  interface: z.string(), group: z.string(), port: count,
  cycles: z.array(z.object({
    outcome: z.enum(['ok', 'no-report', 'no-data', 'no-leave-message', 'still-forwarding', 'interrupted']),
    joinAtUs: us, reportAtUs: us, firstDataAtUs: us, leaveAtUs: us, leaveMessageAtUs: us, lastDataAtUs: us,
    joinDelayNs: count.nullable(), leaveDelayNs: count.nullable(),
    framesJoined: count, framesAfterLeave: count, framesWhileLeft: count, quietReopened: count,
  })),
  settleFrames: count, socketReceived: count, captured: count, captureDrops: count, missingStamps: count,
});
export type MemberReport = z.infer<typeof MemberReportSchema>;

export const WatchReportSchema = z.object({
  mode: z.literal('watch'),
  interface: z.string(), group: z.string(), port: count,
  runs: z.array(z.object({ startUs: count, endUs: count, frames: count })),
  captured: count, captureDrops: count, missingStamps: count,
});
export type WatchReport = z.infer<typeof WatchReportSchema>;

export interface MemberSchedule {
  cycles: number; holdMs: number; gapMs: number; timeoutMs: number; quietMs: number; settleMs?: number;
}

export interface MemberOptions extends MemberSchedule {
  netns?: string;
  interface: string;
  /** "GROUP:PORT" */
  group: string;
  cpus?: number[];
  signal?: AbortSignal;
}

export function memberArgs(o: MemberOptions): string[] {
  const args = ['--json', '--interface', o.interface, '--group', o.group, '--cycles', String(o.cycles),
    '--hold-ms', String(o.holdMs), '--gap-ms', String(o.gapMs), '--timeout-ms', String(o.timeoutMs), '--quiet-ms', String(o.quietMs)];
  if (o.settleMs !== undefined) args.push('--settle-ms', String(o.settleMs));
  return args;
}

/** The longest a member run can take: every cycle timing out on join and leave. */
export function memberBoundMs(o: MemberSchedule): number {
  return (o.settleMs ?? 300) + o.cycles * (2 * o.timeoutMs + o.holdMs + o.gapMs);
}

/**
 * Run the cycles to the end.
 * @throws TrafficToolError when the tool fails or is aborted; Error when its report is malformed.
 */
export async function runMember(o: MemberOptions): Promise<MemberReport> {
  try {
    const r = await spawnTool('mcr-member', memberArgs(o), {
      netns: o.netns, signal: o.signal, cpus: o.cpus, timeoutMs: memberBoundMs(o) + 30_000,
    });
    return parseReport('mcr-member', MemberReportSchema, String(r.stdout));
  } catch (err) {
    if (err instanceof Error && err.message.startsWith('mcr-member: report')) throw err;
    throw toolError('mcr-member', err);
  }
}

/** A background tool that reports when told to stop (SIGTERM). */
export interface Stoppable<T> { pid: number; stop(): Promise<T> }

function startUntilStopped<T>(tool: 'mcr-member' | 'mcr-gen', args: string[], netns: string | undefined, cpus: number[] | undefined, parse: (stdout: string) => T): Stoppable<T> {
  // No cancel signal: stopping is SIGTERM from stop() (or the lab's exit), after which the tool reports.
  const child = spawnTool(tool, args, { netns, signal: undefined, cpus });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { stderr = lastLines(stderr + d.toString(), 10); });
  const done = child.then((r) => parse(String(r.stdout)), (err: unknown) => { throw toolError(tool, err); });
  done.catch(() => undefined);
  return {
    pid: child.pid ?? 0,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return done;
    },
  };
}

export interface WatchOptions { netns?: string; interface: string; group: string; quietMs: number; cpus?: number[]; outgoing?: boolean }

/** Start watching `group` on a link (incoming frames, or with `outgoing` the host's own); stop() returns the runs seen. */
export function startWatch(o: WatchOptions): Stoppable<WatchReport> {
  return startUntilStopped('mcr-member', ['--json', '--watch', ...(o.outgoing ? ['--outgoing'] : []), '--interface', o.interface, '--group', o.group, '--quiet-ms', String(o.quietMs)],
    o.netns, o.cpus, (out) => parseReport('mcr-member', WatchReportSchema, out));
}

/** mcr-gen for at most `durationS` (an upper bound): stop() ends it earlier and returns its report. */
export function startStream(o: Omit<GenOptions, 'count' | 'signal'> & { durationS: number }): Stoppable<GenReport> {
  return startUntilStopped('mcr-gen', genArgs(o), o.netns, o.cpus, (out) => parseReport('mcr-gen', GenReportSchema, out));
}

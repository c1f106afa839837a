/**
 * Membership tests in results.json (`membership`, beside `tests`; optional, so files without it stay
 * valid at schema version 1): RFC 3918 §6.1 group join delay and §6.2 group leave delay per relay,
 * every cycle of every receiver kept, summaries derived from them (lab/measure/membership.ts).
 * The zod schema here is what validate.ts reads them with.
 */
import { z } from 'zod';
import type { RelayName } from './types.js';

/** How a join/leave cycle ended (mcr-member's words). */
export const CYCLE_OUTCOMES = ['ok', 'no-report', 'no-data', 'no-leave-message', 'still-forwarding', 'interrupted'] as const;
export type CycleOutcome = (typeof CYCLE_OUTCOMES)[number];

export interface MembershipCycle {
  outcome: CycleOutcome;
  /** First data frame at the receiver − its Membership Report (both on the receiver's one clock); null: no data or no report. */
  joinDelayNs: number | null;
  /** Last data frame − the Leave, 0 when none came after it; null: the leave did not complete. */
  leaveDelayNs: number | null;
  framesJoined: number;
  framesAfterLeave: number;
  /** Data frames while not a member (before the report, in the gap): a router forwarding regardless. */
  framesWhileLeft: number;
  /** Times data came back after quietS without any: a stall upstream, so the leave went on (absent in older files). */
  quietReopened?: number;
  /**
   * Longest pause of the source itself (no frame sent for at least the source-pause threshold) in
   * the join window (report .. first frame) and right after the last frame of the leave: the router
   * had nothing to forward then, so that cycle's delay says nothing about it and the summary leaves
   * it out. Absent when the source was not watched.
   */
  sourcePauseJoinNs?: number;
  sourcePauseLeaveNs?: number;
  /** First frame on the router's SPT interface − first frame at the receiver; null: not on the SPT in this cycle. */
  sptSwitchNs?: number | null;
  /** Last frame on the router's RPT interface while joined − first frame at the receiver; null: the RPT still carried it at the leave. */
  rptStopNs?: number | null;
}

export interface MembershipReceiver {
  /** Output name in the scenario. */
  receiver: string;
  host: string;
  interface: string;
  group: string;
  port: number;
  cycles: MembershipCycle[];
  /** Data frames seen before the first join. */
  settleFrames: number;
  /** Datagrams the receiver host delivered to its socket (the stack, not only the wire). */
  socketReceived: number;
  /** Frames the capture socket dropped (a non-zero count makes that repetition's timings suspect). */
  captureDrops: number;
}

export interface MembershipRepetition { receivers: MembershipReceiver[]; sent: number }

/** Median with spread: min–max and the interquartile range (q1–q3, type 7, as every lab summary). */
export interface DelaySummary { median: number; min: number; max: number; q1: number; q3: number; n: number }

export interface MembershipTest {
  kind: 'membership';
  name: string;
  relay: RelayName;
  offeredPps: number;
  /** Cycles per receiver and repetition asked for. */
  cycles: number;
  repetitions: MembershipRepetition[];
  summary: {
    joinDelayNs?: DelaySummary;
    leaveDelayNs?: DelaySummary;
    sptSwitchNs?: DelaySummary;
    rptStopNs?: DelaySummary;
    cyclesRun: number;
    joinsCompleted: number;
    leavesCompleted: number;
    /** Completed joins/leaves left out of the delay summaries because the source paused (absent in older files). */
    joinsExcluded?: number;
    leavesExcluded?: number;
    framesWhileLeft: number;
  };
  /** Why figures are missing or odd, in words (e.g. why FRR + kernel cannot forward this source). */
  notes: string[];
}

const count = z.number().int().min(0);
const num = z.number().finite();
const delay = z.object({ median: num, min: num, max: num, q1: num, q3: num, n: count });

export const membershipTestSchema: z.ZodType<MembershipTest> = z.object({
  kind: z.literal('membership'),
  name: z.string(),
  relay: z.enum(['mcrd', 'socat', 'kernel', 'direct', 'frr']),
  offeredPps: num,
  cycles: count,
  repetitions: z.array(z.object({
    sent: count,
    receivers: z.array(z.object({
      receiver: z.string(), host: z.string(), interface: z.string(), group: z.string(), port: count,
      settleFrames: count, socketReceived: count, captureDrops: count,
      cycles: z.array(z.object({
        outcome: z.enum(CYCLE_OUTCOMES),
        joinDelayNs: num.nullable(), leaveDelayNs: num.nullable(),
        framesJoined: count, framesAfterLeave: count, framesWhileLeft: count, quietReopened: count.optional(),
        sourcePauseJoinNs: num.optional(), sourcePauseLeaveNs: num.optional(),
        sptSwitchNs: num.nullable().optional(), rptStopNs: num.nullable().optional(),
      })),
    })),
  })),
  summary: z.object({
    joinDelayNs: delay.optional(), leaveDelayNs: delay.optional(), sptSwitchNs: delay.optional(), rptStopNs: delay.optional(),
    cyclesRun: count, joinsCompleted: count, leavesCompleted: count, framesWhileLeft: count,
    joinsExcluded: count.optional(), leavesExcluded: count.optional(),
  }),
  notes: z.array(z.string()),
});

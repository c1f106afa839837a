/**
 * RFC 3918 §6.1/§6.2 from mcr-member's reports: per cycle the join and leave delay as the receiver
 * measured them, whether the source itself paused then (a watcher at the source: such cycles are
 * kept but left out of the figures), the shortest-path-tree switch from watchers on the router's own
 * links, and the summaries (median, IQR, min–max over every kept cycle of every receiver and
 * repetition: a delay is a per-event figure, so cycles pool). Pure functions on data; covered by
 * membership.test.ts.
 */
import type {
  DelaySummary, MembershipCycle, MembershipReceiver, MembershipRepetition, MembershipTest,
} from '../results/membership.js';
import type { RelayName } from '../results/types.js';
import type { MemberReport, WatchReport } from '../traffic/member.js';
import { summarize } from './stats.js';

/** Median, IQR and min–max of a list, or undefined for none. */
export function delaySummary(values: readonly number[]): DelaySummary | undefined {
  if (values.length === 0) return undefined;
  const { median, min, max, n, q1, q3 } = summarize(values);
  return { median, min, max, n, q1: q1!, q3: q3! };
}

export interface TreeWatch { spt: WatchReport; rpt: WatchReport }

/** The source's own frames (mcr-member --watch --outgoing at the source), split into runs at pauses of `pauseUs`. */
export interface SourceWatch { runs: WatchReport['runs']; pauseUs: number }

/** What watched the cycles besides the receiver: the router's tree links, the source. */
export interface Watched { tree?: TreeWatch; source?: SourceWatch }

/**
 * Longest time in [a, b] (µs) the source sent nothing for at least its pause threshold: a gap between
 * two runs, or before the first or after the last run. 0 when it sent throughout.
 */
export function sourcePauseUs(src: SourceWatch, a: number, b: number): number {
  const runs = src.runs;
  if (runs.length === 0) return b - a;
  let longest = 0;
  const gap = (from: number, to: number) => { if (from < b && to > a) longest = Math.max(longest, Math.min(to, b) - Math.max(from, a)); };
  gap(Number.NEGATIVE_INFINITY, runs[0]!.startUs);
  for (let i = 0; i + 1 < runs.length; i++) gap(runs[i]!.endUs, runs[i + 1]!.startUs);
  gap(runs[runs.length - 1]!.endUs, Number.POSITIVE_INFINITY);
  return longest;
}

/**
 * One cycle as stored: the receiver's delays, and with watchers the SPT figures. Within the cycle's
 * membership (first data frame at the receiver .. its Leave): sptSwitch = first frame on the SPT
 * link − first frame at the receiver (0 when the SPT link carried it first), rptStop = end of the
 * last RPT run that started by then − first frame at the receiver, null while the RPT still carried
 * it when the receiver left.
 */
export function cycleOf(c: MemberReport['cycles'][number], watched: Watched = {}): MembershipCycle {
  const out: MembershipCycle = {
    outcome: c.outcome, joinDelayNs: c.joinDelayNs, leaveDelayNs: c.leaveDelayNs,
    framesJoined: c.framesJoined, framesAfterLeave: c.framesAfterLeave, framesWhileLeft: c.framesWhileLeft, quietReopened: c.quietReopened,
  };
  const src = watched.source;
  // The join window: report .. first frame. The leave's end: the source must have gone on sending
  // for a pause threshold after the last frame (or the Leave), else the silence may be its own.
  if (src && c.joinDelayNs !== null && c.reportAtUs !== null && c.firstDataAtUs !== null) {
    out.sourcePauseJoinNs = sourcePauseUs(src, c.reportAtUs, c.firstDataAtUs) * 1000;
  }
  if (src && c.leaveDelayNs !== null && c.leaveMessageAtUs !== null) {
    const end = Math.max(c.lastDataAtUs ?? 0, c.leaveMessageAtUs);
    out.sourcePauseLeaveNs = sourcePauseUs(src, end, end + src.pauseUs) * 1000;
  }
  const watch = watched.tree;
  if (!watch || c.firstDataAtUs === null) return out;
  const first = c.firstDataAtUs;
  const from = c.reportAtUs ?? c.joinAtUs ?? first;
  const until = c.leaveMessageAtUs ?? c.leaveAtUs ?? Number.POSITIVE_INFINITY;
  const spt = watch.spt.runs.find((r) => r.endUs >= from && r.startUs <= until);
  out.sptSwitchNs = spt ? Math.max(0, spt.startUs - first) * 1000 : null;
  const rpt = watch.rpt.runs.filter((r) => r.endUs >= from && r.startUs <= until);
  const last = rpt[rpt.length - 1];
  out.rptStopNs = last === undefined ? 0 : last.endUs >= until ? null : Math.max(0, last.endUs - first) * 1000;
  return out;
}

export interface ReceiverRef { receiver: string; host: string; interface: string }

export function receiverOf(ref: ReceiverRef, r: MemberReport, watched: Watched = {}): MembershipReceiver {
  return {
    ...ref, group: r.group, port: r.port, cycles: r.cycles.map((c) => cycleOf(c, watched)),
    settleFrames: r.settleFrames, socketReceived: r.socketReceived, captureDrops: r.captureDrops,
  };
}

/** The test record: every repetition kept, summaries over every cycle. */
export function membershipTest(
  name: string, relay: RelayName, offeredPps: number, cycles: number, repetitions: MembershipRepetition[], notes: string[],
): MembershipTest {
  const all = repetitions.flatMap((r) => r.receivers.flatMap((x) => x.cycles));
  const pick = (f: (c: MembershipCycle) => number | null | undefined) =>
    all.map(f).filter((v): v is number => typeof v === 'number');
  // A cycle whose source paused measured the source, not the router.
  const joinPaused = (c: MembershipCycle) => (c.sourcePauseJoinNs ?? 0) > 0;
  const leavePaused = (c: MembershipCycle) => (c.sourcePauseLeaveNs ?? 0) > 0;
  const summary: MembershipTest['summary'] = {
    cyclesRun: all.length,
    joinsCompleted: all.filter((c) => c.joinDelayNs !== null).length,
    leavesCompleted: all.filter((c) => c.leaveDelayNs !== null).length,
    framesWhileLeft: all.reduce((a, c) => a + c.framesWhileLeft, 0),
  };
  if (all.some((c) => c.sourcePauseJoinNs !== undefined || c.sourcePauseLeaveNs !== undefined)) {
    summary.joinsExcluded = all.filter((c) => c.joinDelayNs !== null && joinPaused(c)).length;
    summary.leavesExcluded = all.filter((c) => c.leaveDelayNs !== null && leavePaused(c)).length;
  }
  const figures = {
    joinDelayNs: pick((c) => (joinPaused(c) ? null : c.joinDelayNs)), leaveDelayNs: pick((c) => (leavePaused(c) ? null : c.leaveDelayNs)),
    sptSwitchNs: pick((c) => (joinPaused(c) ? null : c.sptSwitchNs)), rptStopNs: pick((c) => (joinPaused(c) ? null : c.rptStopNs)),
  };
  for (const [key, values] of Object.entries(figures) as Array<[keyof typeof figures, number[]]>) {
    const d = delaySummary(values);
    if (d) summary[key] = d;
  }
  return { kind: 'membership', name, relay, offeredPps, cycles, repetitions, summary, notes: [...notes, ...outcomeNotes(all), ...pauseNotes(summary)] };
}

/** Why some completed cycles are not in the delay figures. */
function pauseNotes(s: MembershipTest['summary']): string[] {
  const out: string[] = [];
  if (s.joinsExcluded) out.push(`${s.joinsExcluded} of ${s.joinsCompleted} join delays left out: the source itself paused between the report and the first frame (a loaded machine; the router had nothing to forward)`);
  if (s.leavesExcluded) out.push(`${s.leavesExcluded} of ${s.leavesCompleted} leave delays left out: the source itself paused right after the last frame, so the end of forwarding cannot be told from it`);
  return out;
}

/** "3 of 10 cycles: no-data (no data frame within the timeout after the report)" per kind of failure. */
function outcomeNotes(all: MembershipCycle[]): string[] {
  const meaning: Record<string, string> = {
    'no-report': 'the receiver\'s Membership Report was never seen on its link',
    'no-data': 'no data frame reached the receiver within the timeout after its report',
    'no-leave-message': 'the receiver\'s Leave was never seen on its link',
    'still-forwarding': 'data still reached the receiver when the leave timed out',
    interrupted: 'the run was stopped during the cycle',
  };
  const counts = new Map<string, number>();
  for (const c of all) if (c.outcome !== 'ok') counts.set(c.outcome, (counts.get(c.outcome) ?? 0) + 1);
  const notes = [...counts].map(([k, n]) => `${n} of ${all.length} cycles: ${k} (${meaning[k]})`);
  const reopened = all.filter((c) => (c.quietReopened ?? 0) > 0).length;
  if (reopened > 0) notes.push(`${reopened} of ${all.length} leaves looked complete (no data for quietS) but data came back: a stall upstream of the receiver; those delays run to the last frame`);
  const leaked = all.reduce((a, c) => a + c.framesWhileLeft, 0);
  if (leaked > 0) notes.push(`${leaked} data frames reached a receiver while it was not a member (another member on its link, or forwarding that ignores membership)`);
  return notes;
}

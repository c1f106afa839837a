import { describe, expect, test } from 'vitest';
import type { MemberReport, WatchReport } from '../traffic/member.js';
import { cycleOf, delaySummary, membershipTest, receiverOf, sourcePauseUs } from './membership.js';

type Cycle = MemberReport['cycles'][number];
/** A cycle as mcr-member reports it: join at t0 µs, report +8 ms, first data +8 ms + joinMs, leave at +1 s. */
function cycle(t0: number, joinMs: number | null, leaveMs: number | null, over: Partial<Cycle> = {}): Cycle {
  const report = t0 + 8_000;
  const leaveMsg = t0 + 1_000_000 + 8_000;
  return {
    outcome: joinMs === null ? 'no-data' : 'ok',
    joinAtUs: t0, reportAtUs: report, firstDataAtUs: joinMs === null ? null : report + joinMs * 1000,
    leaveAtUs: t0 + 1_000_000, leaveMessageAtUs: leaveMsg, lastDataAtUs: leaveMs === null ? null : leaveMsg + leaveMs * 1000,
    joinDelayNs: joinMs === null ? null : joinMs * 1e6, leaveDelayNs: leaveMs === null ? null : leaveMs * 1e6,
    framesJoined: 500, framesAfterLeave: 10, framesWhileLeft: 0, quietReopened: 0, ...over,
  };
}
const watch = (runs: Array<[number, number]>): WatchReport => ({
  mode: 'watch', interface: 'x', group: '239.1.1.1', port: 5000, captured: 0, captureDrops: 0, missingStamps: 0,
  runs: runs.map(([startUs, endUs]) => ({ startUs, endUs, frames: 1 })),
});

describe('delaySummary', () => {
  test('median, quartiles (type 7) and min–max; nothing for no values', () => {
    expect(delaySummary([40, 10, 30, 20])).toEqual({ median: 25, min: 10, max: 40, n: 4, q1: 17.5, q3: 32.5 });
    expect(delaySummary([])).toBeUndefined();
  });
});

describe('cycleOf', () => {
  test('without watchers: the receiver\'s own figures, nothing about trees', () => {
    const c = cycleOf(cycle(1e9, 12, 1000));
    expect(c).toEqual({ outcome: 'ok', joinDelayNs: 12e6, leaveDelayNs: 1000e6, framesJoined: 500, framesAfterLeave: 10, framesWhileLeft: 0, quietReopened: 0 });
  });

  test('SPT switch: first SPT frame after the first frame at the receiver; RPT stop: end of the shared-tree run', () => {
    const t0 = 1e9;
    const first = t0 + 8_000 + 12_000;
    const c = cycleOf(cycle(t0, 12, 1000), { tree: { spt: watch([[first + 3_000, first + 900_000]]), rpt: watch([[first - 500, first + 7_000]]) } });
    expect(c.sptSwitchNs).toBe(3e6);
    expect(c.rptStopNs).toBe(7e6);
  });

  test('a router that never leaves the shared tree: SPT null, RPT still flowing at the leave = null', () => {
    const t0 = 1e9;
    const c = cycleOf(cycle(t0, 12, 1000), { tree: { spt: watch([]), rpt: watch([[t0 + 10_000, t0 + 1_050_000]]) } });
    expect(c.sptSwitchNs).toBeNull();
    expect(c.rptStopNs).toBeNull();
  });

  test('runs of other cycles do not count, and data straight on the SPT is a switch of 0', () => {
    const t0 = 10e9;
    const first = t0 + 20_000;
    const c = cycleOf(cycle(t0, 12, 1000), { tree: { spt: watch([[1e9, 2e9], [first - 1_000, first + 500_000]]), rpt: watch([[1e9, 2e9]]) } });
    expect(c.sptSwitchNs).toBe(0);
    expect(c.rptStopNs).toBe(0);
  });

  test('a cycle without data has no tree figures', () => {
    expect(cycleOf(cycle(1e9, null, null), { tree: { spt: watch([]), rpt: watch([]) } })).not.toHaveProperty('sptSwitchNs');
  });
});

describe('membershipTest', () => {
  const report = (cycles: Cycle[]): MemberReport => ({
    mode: 'member', interface: 'eth0', group: '239.1.1.1', port: 5000, cycles,
    settleFrames: 0, socketReceived: 900, captured: 1000, captureDrops: 0, missingStamps: 0,
  });
  const ref = { receiver: 'rx1', host: 'rx1', interface: 'eth0' };

  test('pools every cycle of every receiver and repetition; counts completions', () => {
    const rep1 = { sent: 100, receivers: [receiverOf(ref, report([cycle(0, 10, 900), cycle(5e6, 30, 1100)]))] };
    const rep2 = { sent: 100, receivers: [receiverOf(ref, report([cycle(0, 20, 1000), cycle(5e6, null, null)]))] };
    const t = membershipTest('jl', 'mcrd', 1000, 2, [rep1, rep2], []);
    expect(t.summary).toMatchObject({ cyclesRun: 4, joinsCompleted: 3, leavesCompleted: 3, framesWhileLeft: 0 });
    expect(t.summary.joinDelayNs).toMatchObject({ median: 20e6, min: 10e6, max: 30e6, n: 3 });
    expect(t.summary.leaveDelayNs).toMatchObject({ median: 1000e6, n: 3 });
    expect(t.summary.sptSwitchNs).toBeUndefined();
    expect(t.repetitions[0]!.receivers[0]).toMatchObject({ receiver: 'rx1', group: '239.1.1.1', port: 5000, socketReceived: 900 });
  });

  test('failed cycles and leaked frames are explained in notes, after the caller\'s', () => {
    const rep = { sent: 1, receivers: [receiverOf(ref, report([cycle(0, null, null), cycle(5e6, 10, 10, { framesWhileLeft: 7, quietReopened: 2 })]))] };
    expect(membershipTest('jl', 'frr', 1000, 2, [rep], ['frr: why']).notes).toEqual([
      'frr: why',
      '1 of 2 cycles: no-data (no data frame reached the receiver within the timeout after its report)',
      '1 of 2 leaves looked complete (no data for quietS) but data came back: a stall upstream of the receiver; those delays run to the last frame',
      '7 data frames reached a receiver while it was not a member (another member on its link, or forwarding that ignores membership)',
    ]);
  });
});

describe('source pauses', () => {
  const src = (runs: Array<[number, number]>) => ({ runs: runs.map(([startUs, endUs]) => ({ startUs, endUs, frames: 1 })), pauseUs: 20_000 });

  test('sourcePauseUs: the longest silence of the source inside a window, edges included', () => {
    const s = src([[0, 1000], [1100, 2000], [2300, 3000]]);
    expect(sourcePauseUs(s, 500, 900)).toBe(0);
    expect(sourcePauseUs(s, 900, 2500)).toBe(300);
    expect(sourcePauseUs(s, 1050, 1070)).toBe(20);
    expect(sourcePauseUs(s, 2900, 3500)).toBe(500);
    expect(sourcePauseUs(s, -100, 100)).toBe(100);
    expect(sourcePauseUs(src([]), 0, 10)).toBe(10);
  });

  test('a cycle whose source paused in its join window or right after its last frame is kept but left out of the figures', () => {
    const t0 = 1e9;
    const report = t0 + 8_000;
    const steady = src([[t0 - 1e6, t0 + 5e6]]);
    const pausedJoin = src([[t0 - 1e6, report + 1_000], [report + 40_000, t0 + 5e6]]);
    const lastData = t0 + 1_008_000 + 500_000;
    const pausedLeave = src([[t0 - 1e6, lastData + 2_000], [lastData + 60_000, t0 + 5e6]]);
    const ok = cycleOf(cycle(t0, 12, 500), { source: steady });
    expect(ok).toMatchObject({ sourcePauseJoinNs: 0, sourcePauseLeaveNs: 0 });
    const j = cycleOf(cycle(t0, 50, 500), { source: pausedJoin });
    expect(j.sourcePauseJoinNs).toBe(39_000_000);
    const l = cycleOf(cycle(t0, 12, 500), { source: pausedLeave });
    expect(l).toMatchObject({ sourcePauseJoinNs: 0, sourcePauseLeaveNs: 18_000_000 });
    const ref = { receiver: 'rx1', host: 'rx1', interface: 'eth0' };
    const rec = { ...ref, group: '239.1.1.1', port: 5000, cycles: [ok, j, l], settleFrames: 0, socketReceived: 1, captureDrops: 0 };
    const t = membershipTest('jl', 'mcrd', 1000, 3, [{ sent: 1, receivers: [rec] }], []);
    expect(t.summary).toMatchObject({ joinsCompleted: 3, joinsExcluded: 1, leavesCompleted: 3, leavesExcluded: 1 });
    expect(t.summary.joinDelayNs).toMatchObject({ n: 2, max: 12e6 });
    expect(t.summary.leaveDelayNs).toMatchObject({ n: 2 });
    expect(t.notes).toEqual([
      '1 of 3 join delays left out: the source itself paused between the report and the first frame (a loaded machine; the router had nothing to forward)',
      '1 of 3 leave delays left out: the source itself paused right after the last frame, so the end of forwarding cannot be told from it',
    ]);
  });
});

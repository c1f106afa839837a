import { describe, expect, test } from 'vitest';
import { renderVerdict } from './table.js';
import { type FaultRecord, type Sample, type SegmentRecord, type SoakRecord, judge, linearFit } from './verdict.js';

const T0 = 1_000_000;
const A = '239.21.0.1:6001@r1';
const B = '239.22.0.1:6001@r2';

/** Stream 3 fans out to A2 and B2. */
const A2 = '239.21.0.3:6003@r1';
const B2 = '239.22.0.3:6003@r2';
const STREAM: Record<string, number> = { [A]: 1, [B]: 2, [A2]: 3, [B2]: 3 };

/** Segment k spans [k·10 s, k·10 s + 10 s); `loss` and `sendErrors` per output (A and B: one stream each). */
function seg(k: number, loss: Record<string, number> = {}, countedDrops = 0, sent = 25_000, outputs = [A, B], sendErrors: Record<string, number> = {}): SegmentRecord {
  const outs = Object.fromEntries(outputs.map((o) => [o, { stream: STREAM[o]!, sent, received: sent - (loss[o] ?? 0), sendErrors: sendErrors[o] ?? 0 }]));
  return { index: k, startMs: T0 + k * 10_000, endMs: T0 + k * 10_000 + 10_000, outputs: outs, countedDrops };
}

/** Sample k, taken k × 2 min in: six samples after a short warm-up span the 8 minutes trends need. */
function sample(k: number, supRss: number, supFds = 26, workerFds = 40, workerSockets = 30): Sample {
  return {
    atMs: T0 + k * 120_000, rules: 20,
    processes: [
      { role: 'supervisor', pid: 1, rssKiB: supRss, anonKiB: supRss / 2, fds: supFds, sockets: 8 },
      { role: 'worker', pid: 2, rssKiB: 50_000, anonKiB: 20_000, fds: workerFds, sockets: workerSockets },
    ],
  };
}

function record(p: Partial<SoakRecord> = {}): SoakRecord {
  return {
    startMs: T0, warmupMs: 20_000, streamPps: 2500,
    faults: [], segments: [seg(0), seg(1), seg(2), seg(3)], lateCountedDrops: 0,
    samples: [0, 1, 2, 3, 4, 5].map((k) => sample(k, 80_000)),
    finalRules: { expected: ['s1', 's2'], actual: ['s1', 's2'] },
    finalIgmp: { expected: ['239.80.0.1'], actual: ['239.80.0.1'] },
    errorLines: [],
    ...p,
  };
}

const flap = (atMs: number, counted: number, extra: Partial<FaultRecord> = {}): FaultRecord =>
  ({ kind: 'link-flap', startMs: T0 + atMs, endMs: T0 + atMs + 2100, affects: [B], counted: { [B]: counted }, detail: 'r2 down 2 s, up', ...extra });

describe('judge', () => {
  test('a clean run passes: no loss, flat resources, the expected rules, no error lines', () => {
    const v = judge(record());
    expect(v.ok).toBe(true);
    expect(v.clean).toMatchObject({ segments: 4, outputs: 8, loss: 0, ok: true });
    expect(v.trends.find((t) => t.what === 'supervisor RSS (KiB)')).toMatchObject({ slopePerHour: 0, changePct: 0, ok: true });
  });

  test('one datagram lost outside every window fails the run, naming the segment', () => {
    const v = judge(record({ segments: [seg(0), seg(1, { [A]: 1 }), seg(2), seg(3)] }));
    expect(v.ok).toBe(false);
    expect(v.clean.failures).toEqual(['segment 1: 1 lost outside any loss window (0 of them send errors): 1 input frames, 0 counted as ring, socket or backlog drops, 1 not counted by the next read either']);
  });

  test('loss outside windows is excused only up to what the ring and socket counters count', () => {
    expect(judge(record({ segments: [seg(0), seg(1, { [A]: 5 }, 5), seg(2), seg(3)] })).clean).toMatchObject({ ok: true, loss: 5, countedDrops: 5 });
    expect(judge(record({ segments: [seg(0), seg(1, { [A]: 6 }, 5), seg(2), seg(3)] })).clean.ok).toBe(false);
  });

  test('ring drops counted a segment late (the engine was stalled) settle the loss; never early, never two segments late', () => {
    const late = (counts: number[], lateCounted = 0) => judge(record({ segments: [seg(0), seg(1, { [A]: 50 }, counts[0]), seg(2, {}, counts[1]), seg(3, {}, counts[2])], lateCountedDrops: lateCounted })).clean.ok;
    expect(late([20, 30, 0])).toBe(true);
    expect(late([20, 20, 10])).toBe(false);
    // Counted before the loss does not explain it.
    expect(judge(record({ segments: [seg(0, {}, 50), seg(1, { [A]: 50 }), seg(2), seg(3)] })).clean.ok).toBe(false);
    // The last segment's late drops come from the read after the run drained.
    const last = (lateCounted: number) => judge(record({ segments: [seg(0), seg(1), seg(2), seg(3, { [A]: 50 }, 40)], lateCountedDrops: lateCounted })).clean.ok;
    expect(last(10)).toBe(true);
    expect(last(9)).toBe(false);
  });

  test('a ring drop is an input frame: it excuses one datagram on every output of its stream, no more', () => {
    const fan = (loss: Record<string, number>, ring: number) => judge(record({ segments: [seg(0, {}, 0, 25_000, [A2, B2]), seg(1, loss, ring, 25_000, [A2, B2])] })).clean;
    expect(fan({ [A2]: 100, [B2]: 100 }, 100)).toMatchObject({ ok: true, loss: 200 });
    // One output losing more than the frames the ring dropped is not hidden by its sibling's share.
    expect(fan({ [A2]: 101, [B2]: 99 }, 100).ok).toBe(false);
    expect(fan({ [A2]: 101, [B2]: 99 }, 100).failures).toEqual(['segment 1: 200 lost outside any loss window (0 of them send errors): 101 input frames, 100 counted as ring, socket or backlog drops, 1 not counted by the next read either']);
  });

  test('an output\'s own send errors excuse its loss, and only its own', () => {
    const errs = (loss: Record<string, number>, sendErrors: Record<string, number>) => judge(record({ segments: [seg(0), seg(1, loss, 0, 25_000, [A, B], sendErrors)] })).clean.ok;
    expect(errs({ [A]: 40 }, { [A]: 40 })).toBe(true);
    expect(errs({ [A]: 40 }, { [B]: 40 })).toBe(false);
  });

  test('a link flap alone: the loss on its outputs must equal the ENETDOWN count, in both directions', () => {
    const hit = judge(record({ faults: [flap(12_000, 5100)], segments: [seg(0), seg(1, { [B]: 5100 }), seg(2), seg(3)] }));
    expect(hit.windows).toEqual([expect.objectContaining({ kind: 'link-flap', atS: 12, outputs: 1, loss: 5100, counted: 5100, ok: true })]);
    expect(hit.ok).toBe(true);
    // More lost than counted, and fewer: the counter and the sinks disagree either way.
    expect(judge(record({ faults: [flap(12_000, 5000)], segments: [seg(0), seg(1, { [B]: 5100 }), seg(2), seg(3)] })).windows[0]!.ok).toBe(false);
    expect(judge(record({ faults: [flap(12_000, 5200)], segments: [seg(0), seg(1, { [B]: 5100 }), seg(2), seg(3)] })).windows[0]!.ok).toBe(false);
  });

  test('a link flap may lose one datagram per output beyond the count (in flight as the link went down), not two', () => {
    const flapLoss = (loss: number) => judge(record({ faults: [flap(12_000, 5100)], segments: [seg(0), seg(1, { [B]: loss }), seg(2), seg(3)] })).windows[0]!.ok;
    expect(flapLoss(5101)).toBe(true);
    expect(flapLoss(5102)).toBe(false);
    expect(flapLoss(5099)).toBe(false);
  });

  test('a flap does not excuse loss on an output it does not touch in the same segment', () => {
    const v = judge(record({ faults: [flap(12_000, 5100)], segments: [seg(0), seg(1, { [A]: 3, [B]: 5100 }), seg(2), seg(3)] }));
    expect(v.clean.ok).toBe(false);
    expect(v.windows[0]!.ok).toBe(true);
  });

  test('a worker kill may lose at most the rate over the measured gap plus a second of drain, on every output', () => {
    const kill: FaultRecord = { kind: 'worker-kill', startMs: T0 + 15_000, endMs: T0 + 15_400, gapMs: 400, affects: 'all', detail: 'worker 10 → 11' };
    // bound per output: 2500 pps × 1.4 s = 3500
    const ok = judge(record({ faults: [kill], segments: [seg(0), seg(1, { [A]: 3500, [B]: 1000 }), seg(2), seg(3)] }));
    expect(ok.windows[0]).toMatchObject({ kind: 'worker-kill', outputs: 2, loss: 4500, bound: 7000, counted: null, ok: true });
    const over = judge(record({ faults: [kill], segments: [seg(0), seg(1, { [A]: 3501, [B]: 3500 }), seg(2), seg(3)] }));
    expect(over.windows[0]).toMatchObject({ loss: 7001, bound: 7000, ok: false });
  });

  test('overlapping windows on one output share a bound instead of demanding an exact count', () => {
    const kill: FaultRecord = { kind: 'worker-kill', startMs: T0 + 13_000, endMs: T0 + 13_400, gapMs: 400, affects: 'all', detail: '' };
    const v = judge(record({ faults: [flap(12_000, 5100), kill], segments: [seg(0), seg(1, { [A]: 2000, [B]: 6000 }), seg(2), seg(3)] }));
    // flap on B: its 5100 + the kill's 3500 on B; the counted 5100 alone would not explain 6000.
    expect(v.windows[0]).toMatchObject({ kind: 'link-flap', loss: 6000, bound: 8600, ok: true });
  });

  test('lossless faults open no window and are only counted', () => {
    const hup: FaultRecord = { kind: 'sighup', startMs: T0 + 12_000, endMs: T0 + 12_200, affects: [], detail: '' };
    const v = judge(record({ faults: [hup, { ...hup, startMs: T0 + 22_000 }], segments: [seg(0), seg(1, { [A]: 1 }), seg(2), seg(3)] }));
    expect(v.windows).toEqual([]);
    expect(v.lossless).toEqual([{ kind: 'sighup', count: 2 }]);
    expect(v.clean.ok).toBe(false);
  });

  test('supervisor RSS growing 2 % per sample after warm-up fails the 5 % flatness; warm-up growth does not count', () => {
    const growing = [0, 1, 2, 3, 4, 5, 6, 7].map((k) => sample(k, 80_000 * (1 + 0.02 * k)));
    const v = judge(record({ samples: growing }));
    const rss = v.trends.find((t) => t.what === 'supervisor RSS (KiB)')!;
    expect(rss.ok).toBe(false);
    expect(rss.slopePerHour).toBeCloseTo(1600 * 30, 0);
    expect(v.ok).toBe(false);
    const warm = [0, 1, 2, 3, 4, 5, 6].map((k) => sample(k, k < 2 ? 40_000 + k * 20_000 : 80_000));
    expect(judge(record({ samples: warm, warmupMs: 130_000 })).trends.find((t) => t.what === 'supervisor RSS (KiB)')).toMatchObject({ judged: true, ok: true });
  });

  test('a sample taken while a fault runs is left out of the trends (control-abuse holds 96 connections)', () => {
    const samples = [0, 1, 2, 3, 4, 5].map((k) => sample(k, 80_000, k === 4 ? 109 : 29));
    const abuse: FaultRecord = { kind: 'control-abuse', startMs: T0 + 4 * 120_000 - 100, endMs: T0 + 4 * 120_000 + 200, affects: [], detail: '96 connections' };
    const fds = (faults: FaultRecord[]) => judge(record({ samples, faults })).trends.find((t) => t.what === 'supervisor fds')!;
    expect(fds([])).toMatchObject({ ok: false });
    expect(fds([abuse])).toMatchObject({ ok: true, changePct: 0, mean: 29 });
  });

  test('trends over less than 8 minutes after warm-up are shown, not judged (a 3-minute run sees start-up)', () => {
    const short = [0, 1, 2, 3, 4, 5, 6, 7].map((k) => ({ ...sample(k, 80_000 * (1 + 0.02 * k)), atMs: T0 + k * 20_000 }));
    const v = judge(record({ samples: short }));
    expect(v.trends.every((t) => !t.judged && t.ok)).toBe(true);
    expect(v.trends.find((t) => t.what === 'supervisor RSS (KiB)')!.changePct).toBeGreaterThan(5);
    expect(v.ok).toBe(true);
  });

  test('worker sockets go up and down with the groups joined and are shown; its other fds are judged', () => {
    // The soak's churns move a worker's IGMP-join sockets (20 groups each): 9 to 12 and back.
    const joins = [9, 10, 12, 11, 12, 12].map((socks, k) => sample(k, 80_000, 26, 20 + socks, socks));
    const v = judge(record({ samples: joins }));
    expect(v.trends.find((t) => t.what === 'worker sockets')).toMatchObject({ judged: false, ok: true });
    expect(v.trends.find((t) => t.what === 'worker fds, not sockets')).toMatchObject({ judged: true, ok: true, changePct: 0 });
    expect(v.ok).toBe(true);
  });

  test('a worker fd leak fails; worker RSS is shown, never judged (a restart resets it)', () => {
    const leak = [0, 1, 2, 3, 4, 5].map((k) => sample(k, 80_000, 26, 40 + 2 * k));
    const v = judge(record({ samples: leak }));
    expect(v.trends.find((t) => t.what === 'worker fds, not sockets')!.ok).toBe(false);
    expect(v.trends.find((t) => t.what === 'worker RSS (KiB)')).toMatchObject({ judged: false, ok: true });
  });

  test('the final rule set must be exactly the expected one', () => {
    const v = judge(record({ finalRules: { expected: ['c3', 's1', 's2'], actual: ['c4', 's1', 's2'] } }));
    expect(v.finalRules).toEqual({ ok: false, missing: ['c3'], unexpected: ['c4'] });
    expect(v.ok).toBe(false);
  });

  test('the IGMP groups mcrd has members for must be exactly those the churn left joined', () => {
    const v = judge(record({ finalIgmp: { expected: ['239.80.0.1', '239.80.0.3'], actual: ['239.80.0.1', '239.80.0.2'] } }));
    expect(v.finalIgmp).toEqual({ ok: false, missing: ['239.80.0.3'], unexpected: ['239.80.0.2'] });
    expect(v.ok).toBe(false);
    expect(renderVerdict(v)).toContain('final IGMP groups (churn, on r1): FAIL missing 239.80.0.3 unexpected 239.80.0.2');
  });

  test('an error log line no injected fault explains fails the run', () => {
    const v = judge(record({ errorLines: [{ line: 'worker 12 exited', explainedBy: 'worker-kill' }, { line: 'boom', explainedBy: null }] }));
    expect(v.errors).toEqual({ total: 2, unexplained: ['boom'], ok: false });
  });

  test('a run without segments cannot pass', () => {
    expect(judge(record({ segments: [] })).ok).toBe(false);
  });
});

describe('linearFit', () => {
  test('recovers the slope and mean of a line', () => {
    expect(linearFit([[0, 10], [1, 12], [2, 14]])).toEqual({ slope: 2, mean: 12 });
    expect(linearFit([[5, 3], [5, 4]])).toEqual({ slope: 0, mean: 3.5 });
  });
});

describe('renderVerdict', () => {
  test('one row per window, the outside-windows row, trends, rules, errors and the verdict', () => {
    const text = renderVerdict(judge(record({ faults: [flap(12_000, 5100)], segments: [seg(0), seg(1, { [B]: 5100 }), seg(2), seg(3)] })));
    expect(text).toMatch(/^window\s+at s\s+ms\s+outputs\s+lost\s+counted\s+bound$/m);
    expect(text).toMatch(/^link-flap\s+12\.0\s+2100\s+1\s+5100\s+5100\s+5100\s+ok$/m);
    expect(text).toMatch(/^outside windows\s+7 seg×out\s+0\s+0\s+0\s+ok$/m);
    expect(text).toMatch(/^supervisor RSS \(KiB\)\s+80000\s+0\.0\s+0\.00\s+ok$/m);
    expect(text).toContain('final rules: exactly as expected');
    expect(text).toContain('final IGMP groups (churn, on r1): exactly as expected');
    expect(text).toMatch(/verdict: PASS$/);
  });
});

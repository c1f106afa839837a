import { describe, expect, test } from 'vitest';
import type { ScaleResult, StreamsResult } from './result.js';
import { cpuRatio, renderScaleMarkdown } from './table.js';

const drops = { ring: 0, send: 0, byErrno: {} };
const streams = (n: number, cpu: number, achieved = 50_000, gso = true): StreamsResult => ({
  streams: n, gso, offeredPps: 50_000, filter: n > 64 ? 'small' : 'exact', achievedPps: achieved, lossRatio: 0, cpuNsPerPacket: cpu, cpuNsPerPacketRuns: [cpu], mcrdDrops: drops,
});
const result = (over: Partial<ScaleResult> = {}): ScaleResult => ({
  startedAt: '2026-12-05T15:00:00Z', quick: true, placement: 'traffic CPU 0, relay CPU 1', errors: [],
  streams: [streams(1, 2000), streams(10, 2100), streams(100, 2200), streams(1000, 2300), streams(1, 2500, 50_000, false), streams(1000, 2600, 50_000, false)],
  fanout: [{ outputs: 50, inputPps: 2000, sentPerTrial: 6000, worstOutputLoss: 0, outputsOverTolerance: 0, mcrdDrops: drops },
    { outputs: 200, inputPps: 500, sentPerTrial: 1500, worstOutputLoss: 0.02, outputsOverTolerance: 3, mcrdDrops: { ring: 0, send: 90, byErrno: { ENOBUFS: 90 } } }],
  rules: { installed: 10_000, adds: 30, loadMs: 20_000, addMs: { p50: 4, p90: 6, p99: 19.5, max: 22 }, addMsIdle: { p50: 2, p90: 3, p99: 7.5, max: 9 }, stream: { pps: 20_000, received: 100_000, lost: 0, maxDelayUs: 800 }, quiet: { seconds: 3, received: 60_000, lost: 0, maxDelayUs: 700 }, rssBytesPerRule: 2048 },
  ...over,
});

describe('scale table', () => {
  test('the CPU ratio compares the most streams with one, within one GSO setting', () => {
    expect(cpuRatio(result())).toEqual({ streams: 1000, ratio: 1.15, generatorLimited: false });
    expect(cpuRatio(result(), false)).toEqual({ streams: 1000, ratio: 1.04, generatorLimited: false });
    expect(renderScaleMarkdown(result())).toContain('| the same with --gso off (what more rules cost, without GSO\'s help for one stream) | 1.04× (1000 streams) | met |');
    expect(cpuRatio(result({ streams: [streams(1, 2000)] }))).toBeUndefined();
  });

  test('a ratio from trials the generator could not drive at the offered rate gives no verdict', () => {
    const r = result({ streams: [streams(1, 2000), streams(1000, 2100, 30_000)] });
    expect(cpuRatio(r)?.generatorLimited).toBe(true);
    expect(renderScaleMarkdown(r)).toContain('| 1.05× (1000 streams) | no verdict: generator-limited |');
  });

  test('targets are judged: CPU ratio met, a fan-out output over 0.1 % not met, add p99 met idle and not under the stream, no loss met', () => {
    const md = renderScaleMarkdown(result());
    expect(md).toContain('| CPU per packet, most streams ÷ 1 stream ≤ 1.2 | 1.15× (1000 streams) | met |');
    expect(md).toContain('1 → 200: worst 2.000 % | not met |');
    expect(md).toContain('| add with 10000 rules: p99 ≤ 10 ms (no traffic: the daemon\'s own latency) | 7.5 ms | met |');
    expect(md).toContain('| the same while a stream runs (mcrd\'s control plane shares the traffic CPU with the generator\'s pacing spin) | 19.5 ms | not met |');
    expect(md).toContain('| forwarding never pauses during adds | 0 lost | met |');
    expect(md).toContain('(mcrd: 0 ring, 90 send (ENOBUFS 90))');
    expect(md).toContain('| 10000 | 20.0 s | 4.0 / 6.0 / 19.5 / 22.0 ms (30 adds) | 2.0 / 3.0 / 7.5 / 9.0 ms |');
  });

  test('a failed case is listed and its targets say not measured', () => {
    const md = renderScaleMarkdown(result({ rules: undefined, errors: ['10000 rules, 30 adds: mcrd refused rules 0..: ENOSPC'] }));
    expect(md).toContain('| add with n rules: p99 ≤ 10 ms (no traffic: the daemon\'s own latency) | n/a | not measured |');
    expect(md).toContain('- failed: 10000 rules, 30 adds: mcrd refused rules 0..: ENOSPC');
  });
});

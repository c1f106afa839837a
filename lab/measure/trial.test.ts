import { describe, expect, test } from 'vitest';
import { buildTrial, type SinkListenLike } from './trial.js';

const listen = (over: Partial<SinkListenLike>): SinkListenLike => ({ group: '239.1.1.1', port: 5000, received: 0, ...over });

describe('buildTrial', () => {
  test('judges each output against what was sent and takes the worst as the trial loss', () => {
    const t = buildTrial({
      offeredPps: 10_000, payloadBytes: 1316, durationS: 2,
      gen: { sent: 20_000, achievedPps: 9_990 },
      sinks: [listen({ received: 20_000 }), listen({ group: '239.1.1.2', received: 19_800 }), listen({ group: '239.1.1.3', received: 19_990 })],
      outputNames: ['a', 'b', 'c'],
    });
    expect(t.outputs.map((o) => o.lost)).toEqual([0, 200, 10]);
    expect(t.outputs.map((o) => o.lossRatio)).toEqual([0, 0.01, 0.0005]);
    expect(t.lossRatio).toBe(0.01);
    expect(t.deliveredPps).toBe((20_000 + 19_800 + 19_990) / 2);
    expect(t.sent).toBe(20_000);
    expect(t.achievedPps).toBe(9_990);
    expect(t.outputs[1]!.name).toBe('b');
  });

  test('duplicates do not count as delivered and do not hide loss', () => {
    const t = buildTrial({
      offeredPps: 1000, payloadBytes: 64, durationS: 1, gen: { sent: 1000, achievedPps: 1000 },
      sinks: [listen({ received: 1000, duplicates: 50 })], outputNames: ['x'],
    });
    expect(t.outputs[0]!.lost).toBe(50);
    expect(t.lossRatio).toBe(0.05);
    expect(t.deliveredPps).toBe(950);
  });

  test('a corrupted datagram counts as lost, not delivered', () => {
    const t = buildTrial({
      offeredPps: 1000, payloadBytes: 64, durationS: 1, gen: { sent: 1000, achievedPps: 1000 },
      sinks: [listen({ received: 1000, payloadErrors: 3 })], outputNames: ['x'],
    });
    expect(t.outputs[0]!.lost).toBe(3);
    expect(t.outputs[0]!.payloadErrors).toBe(3);
    expect(t.deliveredPps).toBe(997);
  });

  test('loss after the last arrival counts even though the sink saw no gap', () => {
    const t = buildTrial({
      offeredPps: 1000, payloadBytes: 64, durationS: 1, gen: { sent: 1000, achievedPps: 1000 },
      sinks: [listen({ received: 600, lost: 0 })], outputNames: ['x'],
    });
    expect(t.outputs[0]!.lossRatio).toBe(0.4);
  });

  test('a per-stream expected count overrides the generator total', () => {
    const t = buildTrial({
      offeredPps: 2000, payloadBytes: 64, durationS: 1, gen: { sent: 2000, achievedPps: 2000 },
      sinks: [listen({ received: 1000, expected: 1000 }), listen({ received: 900, expected: 1000 })], outputNames: ['s1', 's2'],
    });
    expect(t.outputs.map((o) => o.lossRatio)).toEqual([0, 0.1]);
  });

  test('CPU per packet divides relay CPU by packets forwarded; nothing forwarded gives no per-packet figure', () => {
    const base = { offeredPps: 1000, payloadBytes: 64, durationS: 1, gen: { sent: 1000, achievedPps: 1000 }, outputNames: ['o1', 'o2'] };
    const t = buildTrial({ ...base, sinks: [listen({ received: 1000 }), listen({ received: 1000 })], relayCpuNs: 6_000_000 });
    expect(t.relayCpuNs).toBe(6_000_000);
    expect(t.relayCpuNsPerPacket).toBe(3_000);
    const dead = buildTrial({ ...base, sinks: [listen({}), listen({})], relayCpuNs: 1_000 });
    expect(dead.relayCpuNsPerPacket).toBeUndefined();
    expect(dead.lossRatio).toBe(1);
    expect(buildTrial({ ...base, sinks: [listen({}), listen({})] })).not.toHaveProperty('relayCpuNs');
  });

  test('relay-core CPU per packet divides the core\'s busy time by packets forwarded, kernel and direct included', () => {
    const base = { offeredPps: 1000, payloadBytes: 64, durationS: 1, gen: { sent: 1000, achievedPps: 1000 }, outputNames: ['o1', 'o2'] };
    const t = buildTrial({ ...base, sinks: [listen({ received: 1000 }), listen({ received: 1000, duplicates: 500 })], relayCoreBusyNs: 7_500_000 });
    expect(t.relayCoreBusyNs).toBe(7_500_000);
    expect(t.relayCoreNsPerPacket).toBe(5_000);
    expect(t).not.toHaveProperty('relayCpuNs');
    const dead = buildTrial({ ...base, sinks: [listen({}), listen({})], relayCoreBusyNs: 1_000 });
    expect(dead.relayCoreBusyNs).toBe(1_000);
    expect(dead.relayCoreNsPerPacket).toBeUndefined();
    expect(() => buildTrial({ ...base, sinks: [listen({}), listen({})], relayCoreBusyNs: -1 })).toThrow(/relayCoreBusyNs must be a count/);
  });

  test('own core CPU per packet is the relay\'s user time plus the relay CPUs\' kernel time, per packet', () => {
    const base = { offeredPps: 1000, payloadBytes: 64, durationS: 1, gen: { sent: 1000, achievedPps: 1000 }, outputNames: ['o1'] };
    const socat = buildTrial({ ...base, sinks: [listen({ received: 1000 })], relayCpuNs: 4_000_000, relayUserNs: 1_000_000, relayCoreBusyNs: 9_000_000, relayCoreKernelNs: 5_000_000 });
    expect(socat.relayCoreOwnNsPerPacket).toBe(6_000);
    expect(socat.relayCoreNsPerPacket).toBe(9_000);
    const kernel = buildTrial({ ...base, sinks: [listen({ received: 1000 })], relayCoreBusyNs: 9_000_000, relayCoreKernelNs: 3_000_000 });
    expect(kernel.relayCoreOwnNsPerPacket).toBe(3_000);
    expect(buildTrial({ ...base, sinks: [listen({ received: 1000 })] })).not.toHaveProperty('relayCoreOwnNsPerPacket');
  });

  test('latency is kept only for outputs that received something', () => {
    const latencyNs = { p50: 1, p90: 2, p99: 3, p999: 4, max: 5 };
    const t = buildTrial({
      offeredPps: 10, payloadBytes: 64, durationS: 1, gen: { sent: 10, achievedPps: 10 },
      sinks: [listen({ received: 10, latencyNs }), listen({ received: 0, latencyNs })], outputNames: ['a', 'b'],
    });
    expect(t.outputs[0]!.latencyNs).toEqual(latencyNs);
    expect(t.outputs[1]!.latencyNs).toBeUndefined();
  });

  test('mismatched names and reports, or negative counts, are refused with the field named', () => {
    const base = { offeredPps: 10, payloadBytes: 64, durationS: 1, gen: { sent: 10, achievedPps: 10 } };
    expect(() => buildTrial({ ...base, sinks: [listen({})], outputNames: [] })).toThrow(/1 sink reports but 0 output names/);
    expect(() => buildTrial({ ...base, sinks: [listen({ received: -1 })], outputNames: ['z'] })).toThrow(/sinks\[0\] \(z\)\.received/);
    expect(() => buildTrial({ ...base, durationS: 0, sinks: [listen({})], outputNames: ['z'] })).toThrow(/durationS/);
  });
});

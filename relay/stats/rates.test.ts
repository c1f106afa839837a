import { expect, test } from 'vitest';
import type { EngineCounters } from '../engine/types.js';
import { emptyGlobal, sumCounters } from './counters.js';
import { RateSampler } from './rates.js';

const snap = (rulePk: bigint, ruleBytes: bigint, outPk: bigint, last = 0n): EngineCounters => ({
  global: { ...emptyGlobal(), rxFrames: rulePk, unmatched: 1n, malformed: { badIhl: 2n } as EngineCounters['global']['malformed'] },
  rules: new Map([[3, { packets: rulePk, bytes: ruleBytes, lastPacketNs: last }]]),
  outputs: new Map([[7, { packets: outPk, bytes: ruleBytes, sendErrors: 1n, errorsByErrno: { ENOBUFS: 1n } }]]),
});

test('rates come from the last two samples: packets and payload bits per second', () => {
  const s = new RateSampler(async () => snap(0n, 0n, 0n));
  expect(s.ruleRate(3)).toBeNull();
  s.record(snap(1000n, 1_000_000n, 1000n), 10_000);
  s.record(snap(3000n, 3_000_000n, 2000n), 12_000);
  expect(s.ruleRate(3)).toEqual({ pps: 1000, bps: 8_000_000 });
  expect(s.outputRate(7)).toEqual({ pps: 500, bps: 8_000_000 });
  expect(s.outputRate(99)).toBeNull();
});

test('a counter that went backwards (restarted worker) gives no rate rather than a negative one', () => {
  const s = new RateSampler(async () => snap(0n, 0n, 0n));
  s.record(snap(5000n, 5000n, 5000n), 0);
  s.record(snap(10n, 10n, 10n), 1000);
  expect(s.ruleRate(3)).toBeNull();
});

test('worker snapshots sum, keeping the latest last-packet time', () => {
  const t = sumCounters([snap(10n, 100n, 10n, 5n), snap(20n, 200n, 20n, 9n)]);
  expect(t.rules.get(3)).toEqual({ packets: 30n, bytes: 300n, lastPacketNs: 9n });
  expect(t.outputs.get(7)).toEqual({ packets: 30n, bytes: 300n, sendErrors: 2n, errorsByErrno: { ENOBUFS: 2n } });
  expect(t.global).toMatchObject({ rxFrames: 30n, unmatched: 2n, malformed: { badIhl: 4n } });
});

import { expect, test } from 'vitest';
import { renderStats } from './stats.js';
import { ago, bitRate, pps, table } from './format.js';

test('tables align columns and rates use SI prefixes', () => {
  expect(table([['A', 'BB'], ['ccc', 'd']])).toBe('A    BB\nccc  d');
  expect(pps(12_345)).toBe('12.3 kpps');
  expect(bitRate(8_000_000)).toBe('8.0 Mbit/s');
  expect(pps(null)).toBe('-');
  expect(ago(null)).toBe('never');
  expect(ago(2500)).toBe('2.5 s ago');
});

test('stats render one line per rule and per output, then global drops by reason', () => {
  const text = renderStats({
    at: '2026-01-01T00:00:00.000Z',
    global: { rxFrames: 10, rxBytes: 100, ringDrops: 1, ringFreezes: 0, unmatched: 2, malformed: { badIhl: 3, notUdp: 0 } },
    rules: [{ id: 'cam1', input: { interface: 'eth0', group: '239.1.1.1', port: 5000 }, packets: 7, bytes: 70, pps: 1000, bps: 8000, lastPacketAgoMs: 200,
      outputs: [{ interface: 'eth1', group: '239.2.2.2', port: 6000, packets: 7, bytes: 70, sendErrors: 1, errorsByErrno: { ENOBUFS: 1 }, pps: 1000, bps: 8000 }] }],
  });
  expect(text).toContain('cam1  in  239.1.1.1:5000 eth0');
  expect(text).toMatch(/out 239\.2\.2\.2:6000 eth1\s+7\s+70\s+1\.0 kpps\s+8\.0 kbit\/s\s+1 ENOBUFS=1/);
  expect(text).toContain('drops: ring 1 (freezes 0), unmatched 2, malformed badIhl=3');
});

import { expect, test } from 'vitest';
import { relativeTimes } from './view-times.js';

test('clock times become time left and uptime, nested and in lists', () => {
  expect(relativeTimes([{ address: '10.0.0.2', upSinceMs: 1000, expiresAtMs: 106_000, genId: 7 }], 6000))
    .toEqual([{ address: '10.0.0.2', uptimeMs: 5000, expiresInMs: 100_000, genId: 7 }]);
  expect(relativeTimes({ bsr: null, ranges: [{ range: '224.0.0.0/4', rp: '10.0.0.9', expiresAtMs: null }] }, 5))
    .toEqual({ bsr: null, ranges: [{ range: '224.0.0.0/4', rp: '10.0.0.9', expiresInMs: null }] });
  expect(relativeTimes({ joinTimerAtMs: 10 }, 50)).toEqual({ joinTimerInMs: 0 });
});

import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { decodePim, encodePim, inetChecksum, PARSE_REASONS, type PimMessage } from './codec.js';
import { FRR, hex } from './fixtures.js';
import { seeded } from './test-clock.js';

const synthetic: PimMessage[] = [
  { type: 'assert', group: { addr: '239.1.1.1', maskLen: 32 }, source: '10.0.0.5', rpt: false, metricPreference: 1, metric: 2 },
  { type: 'hello', holdtime: 105, drPriority: 3, genId: 7, addresses: ['10.0.0.1'] },
  {
    type: 'bootstrap', noForward: false, fragmentTag: 1, hashMaskLen: 30, bsrPriority: 1, bsrAddress: '10.9.9.9',
    groups: [{ group: { addr: '224.0.0.0', maskLen: 4 }, rpCount: 1, fragmentRpCount: 1, rps: [{ address: '10.1.1.1', holdtime: 150, priority: 1 }] }],
  },
  {
    type: 'join-prune', upstream: '10.0.0.1', holdtime: 210, groups: [
      { group: { addr: '239.1.1.1', maskLen: 32 }, joins: [{ addr: '10.9.9.1', maskLen: 32, s: true, w: true, r: true }], prunes: [{ addr: '10.1.1.1', maskLen: 32, s: true, w: false, r: true }] },
      { group: { addr: '239.1.1.2', maskLen: 32 }, joins: [{ addr: '10.1.1.2', maskLen: 32, s: true, w: false, r: false }], prunes: [] },
    ],
  },
];

const seeds: Uint8Array[] = [...Object.values(FRR).map(hex), ...synthetic.map(encodePim)];

function mutate(src: Uint8Array, rnd: () => number): Uint8Array {
  let b = Uint8Array.from(src);
  const n = 1 + Math.floor(rnd() * 4);
  for (let k = 0; k < n; k++) {
    const op = Math.floor(rnd() * 6);
    const at = Math.floor(rnd() * (b.length + 1));
    if (op === 0 && b.length) b[at % b.length]! ^= 1 << Math.floor(rnd() * 8);
    else if (op === 1 && b.length) b[at % b.length] = Math.floor(rnd() * 256);
    else if (op === 2) b = b.slice(0, at);
    else if (op === 3) { const nb = new Uint8Array(b.length + 1); nb.set(b.subarray(0, at)); nb[at] = Math.floor(rnd() * 256); nb.set(b.subarray(at), at + 1); b = nb; }
    else if (op === 4 && b.length > 4) { const len = 1 + Math.floor(rnd() * 8); const nb = new Uint8Array(b.length + len); nb.set(b); nb.set(b.subarray(Math.max(0, b.length - len)), b.length); b = nb; }
    else if (b.length > 1) b[at % b.length] = [0, 1, 2, 0xff, 0x20, 32, 33][Math.floor(rnd() * 7)]!;
  }
  // Most mutations would only exercise the checksum; fix it up in 3 of 4 cases to reach the parsers.
  if (b.length >= 4 && rnd() < 0.75) {
    b[2] = 0; b[3] = 0;
    const s = inetChecksum(b, 0, (b[0]! & 15) === 1 && rnd() < 0.5 ? Math.min(8, b.length) : b.length);
    b[2] = s >> 8; b[3] = s & 255;
  }
  return b;
}

describe('PIM codec fuzz', () => {
  it('never throws on 200k seeded mutations and round-trips every message it accepts', () => {
    const rnd = seeded(0x5eed_0011);
    const reasons = new Map<string, number>();
    let accepted = 0;
    for (let i = 0; i < 200_000; i++) {
      const b = mutate(seeds[i % seeds.length]!, rnd);
      const r = decodePim(b);
      if (!r.ok) { reasons.set(r.reason, (reasons.get(r.reason) ?? 0) + 1); continue; }
      accepted++;
      const again = decodePim(encodePim(r.msg));
      if (!again.ok || !isDeepStrictEqual(again.msg, r.msg)) {
        throw new Error(`round trip failed at input ${i}: ${Buffer.from(b).toString('hex')}`);
      }
    }
    // The mutator reaches both the parsers and most rejection paths.
    expect(accepted).toBeGreaterThan(10_000);
    for (const reason of ['badChecksum', 'truncated', 'badVersion', 'unknownType', 'badEncodedAddress', 'trailingBytes'] as const) {
      expect(reasons.get(reason) ?? 0, reason).toBeGreaterThan(0);
    }
    for (const reason of reasons.keys()) expect(PARSE_REASONS).toContain(reason);
  });
});
